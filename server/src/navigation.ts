// Document symbols (the device outline), folding, and alias navigation between
// <alias name='ua-…'/> and <qemu:device alias='…'>.
import { SymbolKind, type DocumentSymbol, type FoldingRange, type Location, type WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentAnalysis } from './analysis.js';
import { scanTree, type ScannedElement } from './xml-scan.js';

const KIND: Record<string, SymbolKind> = {
  domain: SymbolKind.Module, devices: SymbolKind.Namespace, disk: SymbolKind.File, interface: SymbolKind.Interface,
  controller: SymbolKind.Class, serial: SymbolKind.Event, console: SymbolKind.Event, channel: SymbolKind.Event,
  graphics: SymbolKind.Object, video: SymbolKind.Object, os: SymbolKind.Package, cpu: SymbolKind.Struct, memory: SymbolKind.Number,
};

function describe(el: ScannedElement, text: string): string | undefined {
  const attr = (n: string) => el.tag.attrs.find((a) => a.name === n)?.value;
  const child = (name: string, a: string) => el.children.find((c) => c.tag.name === name)?.tag.attrs.find((x) => x.name === a)?.value;
  const alias = child('alias', 'name');
  const parts: string[] = [];
  switch (el.tag.name) {
    case 'disk': parts.push(child('target', 'dev') ?? '', attr('device') ?? 'disk', child('target', 'bus') ?? ''); break;
    case 'interface': parts.push(attr('type') ?? '', child('model', 'type') ?? '', child('mac', 'address') ?? ''); break;
    case 'controller': parts.push(attr('type') ?? '', attr('index') ?? '', attr('model') ?? ''); break;
    case 'name': return text.slice(el.tag.end, el.endOffset).replace(/<\/name>$/, '').trim();
    default: parts.push(attr('type') ?? attr('model') ?? '');
  }
  if (alias) parts.push(`[${alias}]`);
  const s = parts.filter(Boolean).join(' ');
  return s || undefined;
}

export function documentSymbols(doc: TextDocument): DocumentSymbol[] {
  const text = doc.getText();
  const toSym = (el: ScannedElement, depth: number): DocumentSymbol => {
    const children = depth < 3 ? el.children.filter((c) => !['alias', 'address', 'target', 'source', 'driver', 'model', 'mac', 'boot'].includes(c.tag.name)).map((c) => toSym(c, depth + 1)) : [];
    return {
      name: el.tag.name || '?', detail: describe(el, text), kind: KIND[el.tag.name] ?? SymbolKind.Field,
      range: { start: doc.positionAt(el.tag.start), end: doc.positionAt(Math.max(el.endOffset, el.tag.end)) },
      selectionRange: { start: doc.positionAt(el.tag.nameStart), end: doc.positionAt(el.tag.nameEnd) },
      children,
    };
  };
  return scanTree(text).map((r) => toSym(r, 0));
}

export function foldingRanges(doc: TextDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const walk = (el: ScannedElement): void => {
    const a = doc.positionAt(el.tag.start).line;
    const b = doc.positionAt(el.endOffset).line;
    if (b > a) out.push({ startLine: a, endLine: b - 1 });
    el.children.forEach(walk);
  };
  scanTree(doc.getText()).forEach(walk);
  return out;
}

function aliasAt(a: DocumentAnalysis, offset: number): string | undefined {
  return [...a.aliasDecls, ...a.aliasUses].find((x) => offset >= x.start && offset <= x.end)?.name;
}

export function definition(doc: TextDocument, a: DocumentAnalysis, offset: number): Location[] {
  const name = aliasAt(a, offset);
  if (!name) return [];
  return a.aliasDecls.filter((d) => d.name === name).map((d) => ({ uri: doc.uri, range: { start: doc.positionAt(d.start), end: doc.positionAt(d.end) } }));
}

export function references(doc: TextDocument, a: DocumentAnalysis, offset: number, includeDeclaration: boolean): Location[] {
  const name = aliasAt(a, offset);
  if (!name) return [];
  const list = [...(includeDeclaration ? a.aliasDecls : []), ...a.aliasUses].filter((x) => x.name === name);
  return list.map((x) => ({ uri: doc.uri, range: { start: doc.positionAt(x.start), end: doc.positionAt(x.end) } }));
}

export function rename(doc: TextDocument, a: DocumentAnalysis, offset: number, newName: string): WorkspaceEdit | null {
  const name = aliasAt(a, offset);
  if (!name) return null;
  const edits = [...a.aliasDecls, ...a.aliasUses].filter((x) => x.name === name)
    .map((x) => ({ range: { start: doc.positionAt(x.start), end: doc.positionAt(x.end) }, newText: newName }));
  return { changes: { [doc.uri]: edits } };
}

export function prepareRename(doc: TextDocument, a: DocumentAnalysis, offset: number): { range: { start: { line: number; character: number }; end: { line: number; character: number } }; placeholder: string } | null {
  const x = [...a.aliasDecls, ...a.aliasUses].find((y) => offset >= y.start && offset <= y.end);
  return x ? { range: { start: doc.positionAt(x.start), end: doc.positionAt(x.end) }, placeholder: x.name } : null;
}
