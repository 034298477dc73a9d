// Per-document analysis shared by every request: the compiler's diagnostics and plan,
// the aliases in the document and the devices the compiler emits. Computed by the same
// compiler functions the CLI uses.
import {
  compile, parseDomain, parseXml, plannedDevices, type CompileOptions, type Diagnostic, type Plan, type PlannedDevice, type QemuCaps,
  type XmlDocument,
} from '../../compiler/src/index.js';
import { scanTags, type ScannedTag } from './xml-scan.js';

export interface AliasDecl { name: string; start: number; end: number; element: string }
export interface AliasUse { name: string; start: number; end: number }

export interface DocumentAnalysis {
  text: string;
  diagnostics: Diagnostic[];
  plan?: Plan;
  devices: PlannedDevice[];
  aliasDecls: AliasDecl[];
  aliasUses: AliasUse[];
  emulator?: string;
  caps?: QemuCaps;
  /** The one parse of this version, shared by the compiler and the lint checks. */
  xml: XmlDocument;
  /** The tolerant scan of this version (works on malformed text too). */
  tags: ScannedTag[];
}

const QEMU_NS_PREFIX_DEVICE = /(^|:)device$/;

export function findAliases(tags: ScannedTag[]): { decls: AliasDecl[]; uses: AliasUse[] } {
  const decls: AliasDecl[] = [];
  const uses: AliasUse[] = [];
  const stack: string[] = [];
  for (const t of tags) {
    if (t.closing) { const k = stack.lastIndexOf(t.name); if (k >= 0) stack.length = k; continue; }
    if (t.name === 'alias') {
      const a = t.attrs.find((x) => x.name === 'name');
      if (a) decls.push({ name: a.value, start: a.valueStart, end: a.valueEnd, element: stack[stack.length - 1] ?? '' });
    } else if (QEMU_NS_PREFIX_DEVICE.test(t.name) && t.name.includes(':') && stack.some((s) => s.endsWith(':override'))) {
      const a = t.attrs.find((x) => x.name === 'alias');
      if (a) uses.push({ name: a.value, start: a.valueStart, end: a.valueEnd });
    }
    if (!t.selfClosing && t.terminated) stack.push(t.name);
  }
  return { decls, uses };
}

export function analyse(text: string, options: CompileOptions | undefined): DocumentAnalysis {
  const tags = scanTags(text);
  const { decls, uses } = findAliases(tags);
  const emulatorTag = tags.findIndex((t) => t.name === 'emulator' && !t.closing);
  let emulator: string | undefined;
  if (emulatorTag >= 0) {
    const open = tags[emulatorTag]!;
    const close = tags[emulatorTag + 1];
    if (close?.closing) emulator = text.slice(open.end, close.start).trim() || undefined;
  }
  const xml = parseXml(text);
  const base = { text, aliasDecls: decls, aliasUses: uses, emulator, caps: options?.caps, xml, tags };
  if (!options) {
    const parsed = parseDomain(text, xml);
    return { ...base, diagnostics: parsed.diagnostics, devices: [] };
  }
  const r = compile(text, { ...options, nowEpochSeconds: Math.floor(Date.now() / 1000), document: xml });
  return { ...base, diagnostics: r.diagnostics, plan: r.plan, devices: r.plan ? plannedDevices(r.plan) : r.devices ?? [] };
}
