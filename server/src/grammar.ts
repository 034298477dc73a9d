// The grammar in the editor: `qdc lint`'s checks for diagnostics, and the validation
// engine's "what may come here" for completion and its annotations for hover. Half-typed
// documents are repaired (open elements closed, the tag being typed completed) before the
// engine is asked, so completion works while the XML is malformed.
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { join } from 'node:path';
import {
  describeValues, documentationFor, expectedAt, parseXml, SCHEMA_ENTRY, type Diagnostic, type ElementTemplate, type Schema, type XmlDocument,
} from '../../compiler/src/index.js';
import type { XElement } from '../../compiler/src/xml/parse.js';
import { defaultSchemaDir, lintText, loadSchemaCached } from '../../cli/lint.js';
import type { GrammarCompletion } from './grammar-completion.js';
import type { GrammarDocs } from './hover.js';
import type { ServerSettings } from './settings.js';
import { openElements, scanTags, type CursorContext, type ScannedTag } from './xml-scan.js';

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

export interface GrammarSupport extends GrammarCompletion, GrammarDocs {
  /** `qdc lint`'s findings (grammar + semantic rules), with the compiler's own as given. */
  lint(text: string, compilerDiagnostics: Diagnostic[], parsed?: XmlDocument): Diagnostic[];
}

export function grammarSupport(settings: ServerSettings, log: (m: string) => void): GrammarSupport | undefined {
  const dir = settings.schemaDir || defaultSchemaDir();
  if (!dir) { log('qdc: no grammar directory found; grammar completion is off'); return undefined; }
  let schema: Schema;
  try {
    schema = loadSchemaCached(join(dir, SCHEMA_ENTRY), true);
  } catch (e) {
    log(`qdc: cannot load the grammar from ${dir}: ${(e as Error).message}`);
    return undefined;
  }
  return {
    lint: (text, compilerDiagnostics, parsed) => lintText(text, { schema, compileCheck: () => compilerDiagnostics }, parsed),
    complete: (doc, offset, ctx) => completeFromGrammar(schema, doc, offset, ctx),
    // attributes of domain XML (the qemu: namespace's included) are unqualified
    documentation: (element, attribute) => documentationFor(schema, qualify(element), attribute ? { ns: '', local: attribute } : undefined),
  };
}

function qualify(name: string): { ns: string; local: string } {
  const i = name.indexOf(':');
  return i < 0 ? { ns: '', local: name } : { ns: name.slice(0, i) === 'qemu' ? QEMU_NS : '', local: name.slice(i + 1) };
}

// Snippet syntax: `$`, `}` and `\` are special in text, and in a choice `,` and `|` too.
const snippetChoice = (v: string): string => v.replace(/[$}\\,|]/g, '\\$&');

/** The text completing an element name (after the typed `<`): the element with the
 * attributes it requires as tab stops (a choice where the grammar lists the values), and
 * either `/>` when it must be empty or its required children, one per line. */
export function elementSnippet(t: ElementTemplate, nameOf: (n: { ns: string; local: string }) => string): string {
  let stops = 0;
  const attrs = (x: ElementTemplate): string => x.attributes.map((a) => {
    const n = ++stops;
    const value = a.values.length ? `\${${n}|${a.values.map(snippetChoice).join(',')}|}` : `$${n}`;
    return ` ${nameOf(a.name)}='${value}'`;
  }).join('');
  const name = nameOf(t.name);
  const own = attrs(t);
  if (t.empty) return own ? `${name}${own}/>$0` : `${name}$1/>$0`;
  if (!t.children.length) return own ? `${name}${own}>$0</${name}>` : `${name}$1>$0</${name}>`;
  const lines = t.children.map((c) => {
    const child = nameOf(c.name);
    const a = attrs(c);
    return c.empty ? `\t<${child}${a}/>` : `\t<${child}${a}>$${++stops}</${child}>`;
  });
  return `${name}${own}>\n${lines.join('\n')}$0\n</${name}>`;
}

const escapeAttr = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');

/** Where the cursor is: the tag being edited (if any), the offset the repaired document
 * is cut at, and the elements open there (outermost first). */
interface CursorFrame { inTag?: ScannedTag; cut: number; open: ScannedTag[] }

function cursorFrame(text: string, offset: number, ctx: CursorContext): CursorFrame {
  const inTag = ctx.kind === 'attribute-name' || ctx.kind === 'attribute-value' ? ctx.tag : undefined;
  const cut = inTag ? inTag.start : ctx.kind === 'element-name' ? Math.max(0, text.lastIndexOf('<', offset - 1)) : offset;
  return { inTag, cut, open: openElements(scanTags(text), cut) };
}

/** A well-formed stand-in for the document up to the cursor: the text before the tag being
 * edited, that tag rebuilt from what was typed (minus the attribute being edited), and end
 * tags for every element still open. */
function repair(text: string, ctx: CursorContext, { inTag, cut, open }: CursorFrame): string | undefined {
  let xml = text.slice(0, cut);
  // an element whose start tag is unfinished before the cut cannot be repaired cheaply
  if (/<[^>]*$/.test(xml.slice(open.length ? open[open.length - 1]!.end : 0).replace(/<!--[\s\S]*?-->/g, ''))) return undefined;
  if (inTag) {
    const keep = inTag.attrs.filter((a) => !(ctx.kind === 'attribute-value' && a.name === ctx.attribute) && a.quoted && a.valueEnd < text.length && text[a.valueEnd] === text[a.valueStart - 1]);
    xml += `<${inTag.name}${keep.map((a) => ` ${a.name}='${escapeAttr(a.value)}'`).join('')}/>`;
  }
  for (let i = open.length - 1; i >= 0; i--) xml += `</${open[i]!.name}>`;
  return xml;
}

function findProbe(root: XElement, ctx: CursorContext, { inTag, cut, open }: CursorFrame): { element: XElement; childIndex?: number; attribute?: string } | undefined {
  let el = root;
  // walk the repaired tree along the chain of open elements (root first)
  for (let depth = 1; depth < open.length; depth++) {
    const want = open[depth]!.start;
    const next = el.children.find((c) => c.range.start.offset === want);
    if (!next) return undefined;
    el = next;
  }
  if (inTag) {
    const child = open.length ? el.children.find((c) => c.range.start.offset === inTag.start) : root;
    if (!child) return undefined;
    return { element: child, attribute: ctx.kind === 'attribute-value' ? ctx.attribute : undefined };
  }
  return { element: el, childIndex: el.children.filter((c) => c.range.start.offset < cut).length };
}

function completeFromGrammar(schema: Schema, doc: TextDocument, offset: number, ctx: CursorContext): CompletionItem[] {
  if (ctx.kind === 'text') return [];
  const text = doc.getText();
  const frame = cursorFrame(text, offset, ctx);
  const fixed = repair(text, ctx, frame);
  if (!fixed) return [];
  const parsed = parseXml(fixed);
  if (!parsed.root) return [];
  const probe = findProbe(parsed.root, ctx, frame);
  if (!probe) return [];
  const exp = expectedAt(schema, parsed, probe);
  const qemuPrefix = /xmlns:([\w.-]+)=["']http:\/\/libvirt\.org\/schemas\/domain\/qemu\/1\.0["']/.exec(text)?.[1] ?? 'qemu';
  const nameOf = (n: { ns: string; local: string }): string => (n.ns === QEMU_NS ? `${qemuPrefix}:${n.local}` : n.local);
  const range = (start: number, end = offset) => ({ start: doc.positionAt(start), end: doc.positionAt(end) });
  if (ctx.kind === 'element-name') {
    if (ctx.closing) return [];
    return exp.elements.map((e) => {
      const name = nameOf(e);
      const t = exp.template?.(e);
      return {
        label: name, kind: CompletionItemKind.Property, documentation: e.doc,
        insertTextFormat: InsertTextFormat.Snippet, textEdit: { range: range(ctx.replaceStart), newText: t ? elementSnippet(t, nameOf) : `${name}$1>$0</${name}>` },
      };
    });
  }
  if (ctx.kind === 'attribute-name') {
    return exp.attributes.filter((a) => !ctx.present.includes(a.local)).map((a) => ({
      label: a.local, kind: CompletionItemKind.Field, documentation: a.doc,
      insertTextFormat: InsertTextFormat.Snippet, textEdit: { range: range(ctx.replaceStart), newText: `${a.local}='$1'$0` },
    }));
  }
  const values = exp.attributeValues ?? [];
  const literals = values.filter((v): v is { kind: 'literal'; value: string } => v.kind === 'literal');
  if (!literals.length && values.length) {
    return [{ label: describeValues(values), kind: CompletionItemKind.Text, insertText: '', detail: 'expected value', textEdit: { range: range(ctx.replaceStart, ctx.replaceEnd), newText: ctx.value } }];
  }
  return literals.map((v) => ({ label: v.value, kind: CompletionItemKind.EnumMember, textEdit: { range: range(ctx.replaceStart, ctx.replaceEnd), newText: v.value } }));
}
