// QEMU capabilities as data, read from libvirt's capability-cache format (<qemuCaps>).
// The file is machine-written and flat, so a small tag scanner is enough and keeps
// `qdc compile` start-up cheap (the x86_64 file has ~3,000 lines).

export interface MachineCaps {
  type: string; // accelerator the entry was probed with (kvm, tcg)
  name: string;
  alias?: string;
  maxCpus?: number;
  default: boolean;
  defaultCPU?: string;
  defaultRAMid?: string;
  numaMemSupported: boolean;
  deprecated: boolean;
  acpi?: boolean;
  hotplugCpus: boolean;
}

export interface CpuModelCaps {
  type: string;
  name: string;
  typename?: string;
  usable: boolean | undefined;
  deprecated: boolean;
}

export interface DevicePropsCaps { [device: string]: string[] }

export interface QemuCaps {
  emulator?: string;
  version: number; // e.g. 7002050 for 7.2.50
  kvmVersion: number;
  arch: string;
  package?: string;
  flags: Set<string>;
  machines: MachineCaps[];
  cpus: CpuModelCaps[];
  /** Extension beyond libvirt's format, written by `qdc caps`: command-line options and device properties. */
  options?: string[];
  deviceProps?: DevicePropsCaps;
  deviceTypes?: string[];
  /** user-creatable QOM object types (-object), probed by `qdc caps` */
  objectTypes?: string[];
}

export class CapsParseError extends Error {
  constructor(message: string, readonly line: number) { super(message); }
}

const TAG = /<(\/?)([A-Za-z][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt': return '<'; case 'gt': return '>'; case 'amp': return '&'; case 'quot': return '"'; case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

function attrsOf(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  ATTR.lastIndex = 0;
  for (let m; (m = ATTR.exec(s));) out[m[1]!] = unescapeXml(m[2] ?? m[3] ?? '');
  return out;
}

/** Parse a <qemuCaps> document. Throws CapsParseError (with a line) on malformed input. */
export function parseQemuCaps(text: string): QemuCaps {
  const caps: QemuCaps = { version: 0, kvmVersion: 0, arch: '', flags: new Set(), machines: [], cpus: [] };
  const stack: string[] = [];
  let last = 0;
  let sawRoot = false;
  let textStart = 0;
  let currentDevice: string | undefined;
  const lineAt = (off: number): number => { let n = 1; for (let i = 0; i < off; i++) if (text.charCodeAt(i) === 10) n++; return n; };
  TAG.lastIndex = 0;
  for (let m; (m = TAG.exec(text));) {
    const between = text.slice(last, m.index);
    if (/[<>]/.test(between)) throw new CapsParseError('malformed capabilities XML', lineAt(last));
    last = TAG.lastIndex;
    if (!m[2]) continue; // comment or processing instruction
    const [, close, name, rawAttrs, selfClose] = m as unknown as [string, string, string, string, string];
    if (close) {
      if (stack.pop() !== name) throw new CapsParseError(`unexpected </${name}>`, lineAt(m.index));
      const parent = stack[stack.length - 1];
      if (parent === 'qemuCaps') {
        const value = unescapeXml(text.slice(textStart, m.index).trim());
        if (name === 'emulator') caps.emulator = value;
        else if (name === 'version') caps.version = Number(value);
        else if (name === 'kvmVersion') caps.kvmVersion = Number(value);
        else if (name === 'arch') caps.arch = value;
        else if (name === 'package') caps.package = value;
      }
      continue;
    }
    if (!sawRoot) {
      if (name !== 'qemuCaps') throw new CapsParseError(`expected <qemuCaps>, found <${name}>`, lineAt(m.index));
      sawRoot = true;
    }
    const parent = stack[stack.length - 1];
    // most of the file is host-CPU properties and model blockers we do not use: skip their attributes
    const wanted = parent === 'qemuCaps' || parent === 'deviceProps' || stack[stack.length - 2] === 'deviceProps';
    const a = wanted ? attrsOf(rawAttrs) : {};
    if (parent === 'qemuCaps') {
      if (name === 'flag' && a.name) caps.flags.add(a.name);
      else if (name === 'machine' && a.name) {
        caps.machines.push({
          type: a.type ?? 'tcg', name: a.name, alias: a.alias,
          maxCpus: a.maxCpus ? Number(a.maxCpus) : undefined, default: a.default === 'yes',
          defaultCPU: a.defaultCPU, defaultRAMid: a.defaultRAMid, numaMemSupported: a.numaMemSupported === 'yes',
          deprecated: a.deprecated === 'yes', acpi: a.acpi === undefined ? undefined : a.acpi === 'on',
          hotplugCpus: a.hotplugCpus === 'yes',
        });
      } else if (name === 'cpu' && a.name) {
        caps.cpus.push({ type: a.type ?? 'tcg', name: a.name, typename: a.typename, usable: a.usable === undefined ? undefined : a.usable === 'yes', deprecated: a.deprecated === 'yes' });
      } else if (name === 'option' && a.name) (caps.options ??= []).push(a.name);
      else if (name === 'deviceType' && a.name) (caps.deviceTypes ??= []).push(a.name);
      else if (name === 'objectType' && a.name) (caps.objectTypes ??= []).push(a.name);
    } else if (parent === 'deviceProps' || (stack[stack.length - 2] === 'deviceProps')) {
      // <deviceProps><device name='x'><prop name='y' type='z'/></device></deviceProps>
      if (name === 'device' && a.name) { (caps.deviceProps ??= {})[a.name] = []; currentDevice = a.name; }
      else if (name === 'prop' && a.name && currentDevice) caps.deviceProps![currentDevice]!.push(a.type ? `${a.name}:${a.type}` : a.name);
    }
    if (!selfClose) { stack.push(name); textStart = TAG.lastIndex; }
  }
  if (!sawRoot) throw new CapsParseError('not a capabilities file: no <qemuCaps> element', 1);
  if (stack.length) throw new CapsParseError(`unclosed <${stack[stack.length - 1]}>`, lineAt(text.length));
  return caps;
}
/** Capabilities as JSON (the cached form of a probed or parsed capability file). */
export function capsToJson(caps: QemuCaps): string {
  return JSON.stringify({ ...caps, flags: [...caps.flags] });
}

export function capsFromJson(text: string): QemuCaps {
  const v = JSON.parse(text) as Omit<QemuCaps, 'flags'> & { flags: string[] };
  return { ...v, flags: new Set(v.flags) };
}

export function hasCap(caps: QemuCaps, flag: string): boolean {
  return caps.flags.has(flag);
}

/** Resolve a machine name or alias from the domain to the caps entry for an accelerator. */
export function findMachine(caps: QemuCaps, name: string, accel: string): MachineCaps | undefined {
  const type = accel === 'kvm' ? 'kvm' : 'tcg';
  return caps.machines.find((m) => m.type === type && (m.name === name || m.alias === name))
    ?? caps.machines.find((m) => m.name === name || m.alias === name);
}
