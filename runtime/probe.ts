// Capability probing (libvirt's qemu_capabilities probe): start the emulator with no
// machine, ask it over QMP what it has, and write libvirt's <qemuCaps> format, which the
// compiler reads. The requests are pipelined over stdio in one batch (one round trip), and
// the KVM and TCG views are probed by two processes in parallel.
import { spawn } from 'node:child_process';
import { cacheKey } from './cache-key.js';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { capsFromJson, capsToJson, parseQemuCaps, type QemuCaps } from '../compiler/src/caps/caps.js';
import { deriveFlags, propertyTargets, type ProbeFindings, type QmpSchema, type SchemaEntry } from './probe-flags.js';
import type { CommandLineOptionInfo, CpuDefinition, MachineInfo, ObjectPropertyInfo } from './qmp.js';
import { missingEmulatorError, RuntimeError } from './errors.js';
import { atomicWrite } from './atomic-write.js';

interface AccelView { accel: 'kvm' | 'tcg'; machines: MachineInfo[]; cpus: CpuDefinition[] }

export interface ProbeResult {
  emulator: string;
  version: number;
  package: string;
  arch: string;
  kvmAvailable: boolean;
  flags: string[];
  views: AccelView[];
  options: Map<string, Set<string>>;
  deviceTypes: string[];
  props: Map<string, Map<string, unknown>>;
  elapsedMs: number;
}

type Reply = { return?: unknown; error?: { class: string; desc: string } };

/** Run one QEMU with `-machine none` and a batch of QMP requests; replies by request id. */
async function batch(emulator: string, accel: string, requests: [id: string, execute: string, args?: Record<string, unknown>][], timeoutMs: number): Promise<Map<string, Reply>> {
  const lines = [JSON.stringify({ execute: 'qmp_capabilities' })];
  for (const [id, execute, args] of requests) lines.push(JSON.stringify(args ? { execute, arguments: args, id } : { execute, id }));
  lines.push(JSON.stringify({ execute: 'quit' }));
  const child = spawn(emulator, ['-machine', `none,accel=${accel}`, '-S', '-nodefaults', '-no-user-config', '-display', 'none', '-qmp', 'stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  child.stdin.on('error', () => { /* QEMU exiting early shows up as its exit status */ });
  child.stdin.end(lines.join('\n') + '\n');
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new RuntimeError(`probing ${emulator} took longer than ${timeoutMs} ms`)); }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); reject(e.code === 'ENOENT' ? missingEmulatorError(emulator) : new RuntimeError(`cannot start ${emulator}: ${e.message}`)); });
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  const replies = new Map<string, Reply>();
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    let msg: Record<string, unknown>;
    try { msg = JSON.parse(line) as Record<string, unknown>; } catch { throw new RuntimeError(`${emulator} wrote garbage on its monitor: ${line.slice(0, 80)}`); }
    if (typeof msg.id === 'string') replies.set(msg.id, msg as Reply);
  }
  if (code !== 0 && replies.size === 0) throw new RuntimeError(`${emulator} -machine none,accel=${accel} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return replies;
}

function kvmUsable(): boolean {
  try { accessSync('/dev/kvm', constants.R_OK | constants.W_OK); return true; } catch { return false; }
}

function ok<T>(r: Reply | undefined, fallback: T): T {
  return r && 'return' in r ? (r.return as T) : fallback;
}

export async function probeEmulator(emulator: string, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const targets = propertyTargets();
  // Two processes share the work evenly (QEMU start-up, module loading and the big schema
  // dominate): one answers the type and property questions and the TCG CPU models, the other
  // (KVM when /dev/kvm is usable) the schema, the machine types and its own CPU models.
  // Machine types do not depend on the accelerator, so both views share one query-machines.
  const main: [string, string, Record<string, unknown>?][] = [
    ['version', 'query-version'], ['target', 'query-target'], ['commands', 'query-commands'], ['events', 'query-events'],
    ['kvm', 'query-kvm'], ['types', 'qom-list-types'], ['options', 'query-command-line-options'], ['cpus', 'query-cpu-definitions'],
    ['mprops', 'qom-list-properties', { typename: 'generic-pc-machine' }],
    ...targets.devices.map((t): [string, string, Record<string, unknown>] => [`dev:${t}`, 'device-list-properties', { typename: t }]),
    ...targets.objects.map((t): [string, string, Record<string, unknown>] => [`obj:${t}`, 'qom-list-properties', { typename: t }]),
  ];
  const withKvm = kvmUsable();
  const side: [string, string][] = [['schema', 'query-qmp-schema'], ['machines', 'query-machines'], ...(withKvm ? [['cpus', 'query-cpu-definitions'] as [string, string]] : [])];
  let [tcg, other] = await Promise.all([
    batch(emulator, 'tcg', main, timeoutMs),
    batch(emulator, withKvm ? 'kvm' : 'tcg', side, timeoutMs).catch(() => undefined),
  ]);
  // KVM present but unusable after all (e.g. nested virtualisation off): ask TCG instead.
  if (!other && withKvm) other = await batch(emulator, 'tcg', side.slice(0, 2), timeoutMs);
  if (!other) throw new RuntimeError(`${emulator} did not answer the capability probe`);
  const kvm = withKvm && ok<MachineInfo[]>(other.get('cpus'), []).length ? other : undefined;
  const v = ok<{ qemu: { major: number; minor: number; micro: number }; package: string } | undefined>(tcg.get('version'), undefined);
  if (!v) throw new RuntimeError(`${emulator} did not answer query-version: is it a QEMU system emulator?`);
  const version = v.qemu.major * 1_000_000 + v.qemu.minor * 1000 + v.qemu.micro;
  const arch = ok<{ arch: string }>(tcg.get('target'), { arch: '' }).arch;
  const props = new Map<string, Map<string, unknown>>();
  for (const [id, r] of tcg) {
    const m = /^(?:dev|obj):(.+)$/.exec(id);
    if (!m || !r.return) continue;
    props.set(m[1]!, new Map((r.return as ObjectPropertyInfo[]).map((p) => [p.name, p['default-value']])));
  }
  const options = new Map<string, Set<string>>();
  for (const o of ok<CommandLineOptionInfo[]>(tcg.get('options'), [])) options.set(o.option, new Set(o.parameters.map((p) => p.name)));
  const schema: QmpSchema = new Map();
  for (const e of ok<SchemaEntry[]>(other.get('schema'), [])) schema.set(e.name, e);
  const types = ok<{ name: string }[]>(tcg.get('types'), []).map((t) => t.name);
  const views: AccelView[] = [];
  const machines = ok<MachineInfo[]>(other.get('machines'), []);
  if (kvm) views.push({ accel: 'kvm', machines, cpus: ok<CpuDefinition[]>(kvm.get('cpus'), []) });
  views.push({ accel: 'tcg', machines, cpus: ok<CpuDefinition[]>(tcg.get('cpus'), []) });
  const findings: ProbeFindings = {
    version, arch, types: new Set(types), props, options, schema,
    accels: new Set(views.map((x) => x.accel)),
    commands: new Set(ok<{ name: string }[]>(tcg.get('commands'), []).map((c) => c.name)),
    events: new Set(ok<{ name: string }[]>(tcg.get('events'), []).map((c) => c.name)),
    machineProps: new Set(ok<ObjectPropertyInfo[]>(tcg.get('mprops'), []).map((p) => p.name)),
    cpus: new Set(views.flatMap((x) => x.cpus.map((c) => c.name))),
  };
  return {
    emulator, version, package: v.package.trim(), arch, kvmAvailable: views.some((x) => x.accel === 'kvm'),
    flags: deriveFlags(findings), views, options, deviceTypes: types.sort(), props, elapsedMs: performance.now() - t0,
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** libvirt's <qemuCaps> document, plus qdc's extension element <option>. */
export function formatCapsXml(r: ProbeResult, stamp: { mtimeSeconds: number }): string {
  const o: string[] = ['<qemuCaps>', `  <emulator>${esc(r.emulator)}</emulator>`, `  <qemuctime>${stamp.mtimeSeconds}</qemuctime>`, '  <selfctime>0</selfctime>', '  <selfvers>0</selfvers>'];
  for (const f of r.flags) o.push(`  <flag name='${esc(f)}'/>`);
  o.push(`  <version>${r.version}</version>`, `  <kvmVersion>0</kvmVersion>`, `  <microcodeVersion>0</microcodeVersion>`);
  if (r.package) o.push(`  <package>${esc(r.package)}</package>`);
  o.push(`  <arch>${esc(r.arch)}</arch>`);
  for (const view of r.views) {
    for (const c of view.cpus) {
      const blockers = c['unavailable-features'] ?? [];
      const attrs = `type='${view.accel}' name='${esc(c.name)}'${c.typename ? ` typename='${esc(c.typename)}'` : ''} usable='${blockers.length ? 'no' : 'yes'}'${c.deprecated ? " deprecated='yes'" : ''}`;
      if (!blockers.length) { o.push(`  <cpu ${attrs}/>`); continue; }
      o.push(`  <cpu ${attrs}>`, ...blockers.map((b) => `    <blocker name='${esc(b)}'/>`), '  </cpu>');
    }
  }
  for (const view of r.views) {
    for (const m of view.machines) {
      let a = `type='${view.accel}' name='${esc(m.name)}'`;
      if (m.alias) a += ` alias='${esc(m.alias)}'`;
      if (m['hotpluggable-cpus']) a += " hotplugCpus='yes'";
      a += ` maxCpus='${m['cpu-max']}'`;
      if (m['is-default']) a += " default='yes'";
      if (m['default-cpu-type']) a += ` defaultCPU='${esc(m['default-cpu-type'])}'`;
      if (m['numa-mem-supported']) a += " numaMemSupported='yes'";
      if (m['default-ram-id']) a += ` defaultRAMid='${esc(m['default-ram-id'])}'`;
      if (m.deprecated) a += " deprecated='yes'";
      if (m.acpi !== undefined) a += ` acpi='${m.acpi ? 'on' : 'off'}'`;
      o.push(`  <machine ${a}/>`);
    }
  }
  // Command-line options are qdc's extension (the language server offers them). Device types
  // and properties only feed the flags above: libvirt does not store them and neither do we,
  // which keeps the file every compile reads small.
  for (const opt of [...r.options.keys()].sort()) o.push(`  <option name='${esc(opt)}'/>`);
  o.push('</qemuCaps>', '');
  return o.join('\n');
}

/** Bumped when what we write changes, so older cache entries are probed again. */
const CACHE_FORMAT = 'f2';

/** Cache entries are keyed by the binary's path, size and mtime, as libvirt invalidates on change. */
export function capsCacheFile(cacheDir: string, emulator: string): { file: string; dir: string; prefix: string; mtimeSeconds: number } {
  let st;
  try { st = statSync(emulator); } catch { throw missingEmulatorError(emulator); }
  const prefix = cacheKey(emulator);
  const dir = join(cacheDir, 'capabilities');
  return { dir, prefix, file: join(dir, `${prefix}-${st.size}-${Math.floor(st.mtimeMs)}-${CACHE_FORMAT}.xml`), mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
}

export interface CachedCaps { caps: QemuCaps; file: string; probed: boolean; elapsedMs?: number; xml(): string }

/** The capabilities of `emulator`, from the cache when the binary is unchanged, else probed and
 *  cached — with the parsed caps beside the XML, so every `qdc run` skips re-parsing it. */
export async function cachedCaps(cacheDir: string, emulator: string, opts: { refresh?: boolean } = {}): Promise<CachedCaps> {
  const entry = capsCacheFile(cacheDir, emulator);
  const json = entry.file.replace(/\.xml$/, '.json');
  const xml = (): string => readFileSync(entry.file, 'utf8');
  if (!opts.refresh) {
    try { return { caps: capsFromJson(readFileSync(json, 'utf8')), file: entry.file, probed: false, xml }; } catch { /* no sidecar */ }
    try { return { caps: parseQemuCaps(xml()), file: entry.file, probed: false, xml }; } catch { /* missing or unreadable: probe again */ }
  }
  const result = await probeEmulator(emulator);
  const text = formatCapsXml(result, entry);
  const caps = parseQemuCaps(text);
  mkdirSync(entry.dir, { recursive: true, mode: 0o700 });
  // Drop entries of older builds of this binary (not the one being replaced, nor another probe's temp file).
  for (const f of readdirSync(entry.dir)) {
    const stale = f.startsWith(`${entry.prefix}-`) && /\.(xml|json)$/.test(f) && join(entry.dir, f) !== entry.file && join(entry.dir, f) !== json;
    if (stale) { try { unlinkSync(join(entry.dir, f)); } catch { /* raced */ } }
  }
  atomicWrite(entry.file, text);
  atomicWrite(json, capsToJson(caps));
  return { caps, file: entry.file, probed: true, elapsedMs: result.elapsedMs, xml: () => text };
}
