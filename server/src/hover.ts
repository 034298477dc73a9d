// Hover: capability names, QEMU device properties, deprecation behaviours, aliases, and the
// grammar's documentation for elements and attributes.
import type { Hover } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { capabilityNames } from '../../compiler/src/index.js';
import type { DocumentAnalysis } from './analysis.js';
import { deviceProps, enclosingOverrideAlias } from './completion.js';
import { DEPRECATION_BEHAVIORS, QEMU_ENV_VARS } from './qemu-knowledge.js';
import { contextAt } from './xml-scan.js';

export interface GrammarDocs { documentation(element: string, attribute?: string, parents?: string[]): string | undefined }

const local = (n: string): string => n.slice(n.indexOf(':') + 1);

export function hover(doc: TextDocument, offset: number, a: DocumentAnalysis, docs?: GrammarDocs): Hover | null {
  const text = doc.getText();
  const ctx = contextAt(text, offset);
  const md = (value: string, start?: number, end?: number): Hover => ({
    contents: { kind: 'markdown', value },
    ...(start !== undefined && end !== undefined ? { range: { start: doc.positionAt(start), end: doc.positionAt(end) } } : {}),
  });
  if (ctx.kind === 'attribute-value') {
    const el = local(ctx.element);
    const v = ctx.value;
    if ((el === 'add' || el === 'del') && ctx.attribute === 'capability') {
      const c = capabilityNames().find((x) => x.name === v);
      if (!c) return md(`**${v}** is not a capability libvirt 9.0 knows`, ctx.replaceStart, ctx.replaceEnd);
      const has = a.caps ? (a.caps.flags.has(v) ? 'The probed QEMU **has** it.' : 'The probed QEMU **lacks** it.') : '';
      return md(`QEMU capability **${v}**${c.retired ? ' (retired: libvirt keeps the name for old status files but no longer uses it)' : ''}. ${has}\n\n\`<qemu:${el}>\` ${el === 'add' ? 'sets' : 'clears'} the flag the compiler sees; the domain is tainted.`, ctx.replaceStart, ctx.replaceEnd);
    }
    if (el === 'deprecation' && ctx.attribute === 'behavior') {
      const b = DEPRECATION_BEHAVIORS.find((x) => x.value === v);
      if (b) return md(`**${b.value}** — ${b.doc}`, ctx.replaceStart, ctx.replaceEnd);
    }
    if (el === 'env' && ctx.attribute === 'name') {
      const e = QEMU_ENV_VARS.find((x) => x.name === v);
      if (e) return md(`**${e.name}** — ${e.doc}`, ctx.replaceStart, ctx.replaceEnd);
    }
    if (el === 'property' && ctx.attribute === 'name') {
      const alias = enclosingOverrideAlias(text, offset);
      const dev = alias ? a.devices.find((d) => d.id === alias) : undefined;
      if (dev) {
        const p = deviceProps(a.caps, dev.driver).find((x) => x.name === v);
        const formatted = v in dev.props ? `libvirt formats \`${v}=${JSON.stringify(dev.props[v])}\`.` : 'libvirt does not format it.';
        return md(`**${v}** of QEMU device \`${dev.driver}\`${p?.type ? ` — type \`${p.type}\`` : p ? '' : ' (not a property the probed QEMU lists)'}\n\n${formatted}`, ctx.replaceStart, ctx.replaceEnd);
      }
    }
    if ((el === 'device' && ctx.attribute === 'alias') || (ctx.element === 'alias' && ctx.attribute === 'name')) {
      const dev = a.devices.find((d) => d.id === v);
      if (dev) return md(`alias **${v}** → \`-device ${dev.driver}\`\n\n\`\`\`json\n${JSON.stringify(dev.props)}\n\`\`\``, ctx.replaceStart, ctx.replaceEnd);
    }
    const d = docs?.documentation(ctx.element, ctx.attribute, ctx.parents);
    if (d) return md(d, ctx.replaceStart, ctx.replaceEnd);
    return null;
  }
  if (ctx.kind === 'element-name' || ctx.kind === 'attribute-name') {
    const element = ctx.kind === 'element-name' ? text.slice(ctx.replaceStart).match(/^[-\w:.]+/)?.[0] ?? '' : ctx.element;
    const attribute = ctx.kind === 'attribute-name' ? text.slice(ctx.replaceStart).match(/^[-\w:.]+/)?.[0] : undefined;
    const d = docs?.documentation(element, attribute, ctx.parents);
    return d ? md(d) : null;
  }
  return null;
}
