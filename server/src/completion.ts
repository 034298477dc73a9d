// Completion: what QEMU itself knows (probed options, device types and properties,
// capability names, aliases) inside the qemu: namespace, plus what the grammar allows
// everywhere else. Works on half-typed documents through the tolerant scanner.
import { CompletionItemKind, CompletionItemTag, type CompletionItem } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { capabilityNames, secretUsageType, type QemuCaps } from '../../compiler/src/index.js';
import type { DocumentAnalysis } from './analysis.js';
import { DEPRECATION_BEHAVIORS, OVERRIDE_TYPES, QEMU_ENV_VARS, overrideTypeFor } from './qemu-knowledge.js';
import { contextAt, scanTags, type CursorContext } from './xml-scan.js';
import type { GrammarCompletion } from './grammar-completion.js';
import type { HostKnowledge } from './host-knowledge.js';

const local = (name: string): string => name.slice(name.indexOf(':') + 1);
const isQemu = (name: string): boolean => name.includes(':') && /^(qemu|[a-z]+):/.test(name);

export function complete(doc: TextDocument, offset: number, a: DocumentAnalysis, grammar?: GrammarCompletion, host?: HostKnowledge): CompletionItem[] {
  const text = doc.getText();
  const ctx = contextAt(text, offset);
  const range = (start: number, end = offset) => ({ start: doc.positionAt(start), end: doc.positionAt(end) });
  if (ctx.kind === 'attribute-value') {
    const items = isQemu(ctx.element) ? qemuValueCompletion(ctx, text, offset, a) : host && hostValueCompletion(ctx, host);
    if (items?.length) return items.map((i) => ({ ...i, textEdit: i.textEdit ?? { range: range(ctx.replaceStart, ctx.replaceEnd), newText: i.insertText ?? i.label } }));
  }
  return grammar ? grammar.complete(doc, offset, ctx) : [];
}

/** Values only the host knows: its secrets and bridges (the grammar says "any text"). */
function hostValueCompletion(ctx: Extract<CursorContext, { kind: 'attribute-value' }>, host: HostKnowledge): CompletionItem[] | undefined {
  if (ctx.element === 'secret' && (ctx.attribute === 'uuid' || ctx.attribute === 'usage')) {
    const type = ctx.tag.attrs.find((x) => x.name === 'type')?.value;
    const usage = type ? secretUsageType(type) : undefined;
    return host.secrets().filter((d) => !usage || d.usageType === usage).flatMap((d) => {
      const label = ctx.attribute === 'uuid' ? d.uuid : d.usageId;
      if (!label) return [];
      const what = d.usageType ? `${d.usageType} secret${ctx.attribute === 'uuid' ? ` for ${d.usageId}` : ` ${d.uuid}`}` : 'secret without a usage';
      return [{ label, kind: CompletionItemKind.Value, detail: what, documentation: d.description }];
    });
  }
  if (ctx.element === 'source' && ctx.attribute === 'bridge') {
    return host.bridges().map((b) => ({ label: b, kind: CompletionItemKind.Value, detail: 'a bridge on this host' }));
  }
  return undefined;
}

function qemuValueCompletion(ctx: Extract<CursorContext, { kind: 'attribute-value' }>, text: string, offset: number, a: DocumentAnalysis): CompletionItem[] | undefined {
  const el = local(ctx.element);
  const caps = a.caps;
  if (el === 'arg' && ctx.attribute === 'value') return argCompletion(ctx, text, caps);
  if (el === 'env' && ctx.attribute === 'name') {
    return QEMU_ENV_VARS.map((e) => ({ label: e.name, kind: CompletionItemKind.Variable, documentation: e.doc }));
  }
  if ((el === 'add' || el === 'del') && ctx.attribute === 'capability') {
    return capabilityNames().map((c, i) => {
      const has = caps ? caps.flags.has(c.name) : undefined;
      return {
        label: c.name, kind: CompletionItemKind.EnumMember, sortText: `${c.retired ? 1 : 0}${String(i).padStart(4, '0')}`,
        detail: c.retired ? 'retired capability (kept by libvirt for old status files)' : has === undefined ? 'QEMU capability' : has ? 'the probed QEMU has it' : 'the probed QEMU lacks it',
        tags: c.retired ? [CompletionItemTag.Deprecated] : undefined,
      };
    });
  }
  if (el === 'deprecation' && ctx.attribute === 'behavior') {
    return DEPRECATION_BEHAVIORS.map((b) => ({ label: b.value, kind: CompletionItemKind.EnumMember, documentation: b.doc }));
  }
  if (el === 'device' && ctx.attribute === 'alias') {
    const seen = new Set<string>();
    const out: CompletionItem[] = [];
    for (const d of a.aliasDecls) {
      if (seen.has(d.name) || !d.name) continue;
      seen.add(d.name);
      const dev = a.devices.find((x) => x.id === d.name);
      out.push({ label: d.name, kind: CompletionItemKind.Reference, detail: dev ? `${dev.driver} (user alias on <${d.element}>)` : `user alias on <${d.element}>` });
    }
    for (const dev of a.devices) {
      if (seen.has(dev.id)) continue;
      seen.add(dev.id);
      out.push({ label: dev.id, kind: CompletionItemKind.Reference, detail: `${dev.driver} (alias assigned by the compiler)` });
    }
    return out;
  }
  if (el === 'property' && (ctx.attribute === 'name' || ctx.attribute === 'type')) {
    const alias = enclosingOverrideAlias(text, offset);
    const dev = alias ? a.devices.find((d) => d.id === alias) : undefined;
    const props = dev ? deviceProps(caps, dev.driver) : [];
    if (ctx.attribute === 'name') {
      return props.map((p) => ({
        label: p.name, kind: CompletionItemKind.Property, detail: p.type ? `${p.type}${dev ? ` — ${dev.driver}` : ''}` : dev?.driver,
        documentation: dev && p.name in dev.props ? `libvirt formats ${p.name}=${JSON.stringify(dev.props[p.name])}` : undefined,
      }));
    }
    const propName = ctx.tag.attrs.find((x) => x.name === 'name')?.value;
    const suggested = overrideTypeFor(props.find((p) => p.name === propName)?.type);
    return OVERRIDE_TYPES.map((t) => ({
      label: t.value, kind: CompletionItemKind.EnumMember, documentation: t.doc, preselect: t.value === suggested,
      sortText: t.value === suggested ? '0' : `1${t.value}`, detail: t.value === suggested ? 'fits the QEMU property type' : undefined,
    }));
  }
  return undefined;
}

export function deviceProps(caps: QemuCaps | undefined, driver: string): { name: string; type?: string }[] {
  const list = caps?.deviceProps?.[driver] ?? [];
  return list.map((p) => { const k = p.indexOf(':'); return k < 0 ? { name: p } : { name: p.slice(0, k), type: p.slice(k + 1) }; });
}

/** The alias of the <qemu:device> enclosing `offset`. */
export function enclosingOverrideAlias(text: string, offset: number): string | undefined {
  let alias: string | undefined;
  for (const t of scanTags(text, offset)) {
    if (local(t.name) !== 'device' || !isQemu(t.name)) continue;
    alias = t.closing ? undefined : t.attrs.find((x) => x.name === 'alias')?.value;
  }
  return alias;
}

function previousArg(text: string, tagStart: number): string | undefined {
  let prev: string | undefined;
  for (const t of scanTags(text, tagStart)) {
    if (!t.closing && local(t.name) === 'arg' && isQemu(t.name)) prev = t.attrs.find((x) => x.name === 'value')?.value;
  }
  return prev;
}

function argCompletion(ctx: Extract<CursorContext, { kind: 'attribute-value' }>, text: string, caps: QemuCaps | undefined): CompletionItem[] {
  const prev = previousArg(text, ctx.tag.start);
  const prefix = ctx.prefix;
  const typeLists: Record<string, () => { name: string; detail?: string }[]> = {
    '-device': () => (caps?.deviceTypes ?? Object.keys(caps?.deviceProps ?? {})).map((n) => ({ name: n })),
    '-machine': () => (caps?.machines ?? []).map((m) => ({ name: m.name, detail: m.alias ? `alias ${m.alias}` : undefined })),
    '-M': () => (caps?.machines ?? []).map((m) => ({ name: m.name })),
    '-cpu': () => [...new Set((caps?.cpus ?? []).map((c) => c.name))].map((n) => ({ name: n })),
    '-object': () => (caps?.objectTypes ?? []).map((n) => ({ name: n })),
    '-accel': () => ['tcg', 'kvm'].map((n) => ({ name: n })),
  };
  if (prev && typeLists[prev] && !prefix.startsWith('-')) {
    const comma = prefix.indexOf(',');
    if (comma < 0) return typeLists[prev]!().map((t) => ({ label: t.name, kind: CompletionItemKind.Class, detail: t.detail }));
    // after the type name: property names of that type
    const type = prefix.slice(0, comma).replace(/^driver=/, '');
    const props = prev === '-device' ? deviceProps(caps, type) : [];
    const head = prefix.slice(0, prefix.lastIndexOf(',') + 1);
    return props.map((p) => ({
      label: `${p.name}=`, kind: CompletionItemKind.Property, detail: p.type, insertText: `${head}${p.name}=`, filterText: `${head}${p.name}=`,
    }));
  }
  const options = caps?.options ?? [];
  return options.map((o) => ({ label: `-${o.replace(/^-/, '')}`, kind: CompletionItemKind.Keyword, detail: 'QEMU command-line option' }));
}

