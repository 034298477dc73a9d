// Positioned XML tree built from @xmldom/xmldom. Every element and attribute keeps its
// source range, and records whether a later stage read it, so that anything the model
// does not understand is reported instead of silently dropped.
import { DOMParser, type Element as DomElement, type Node as DomNode } from '@xmldom/xmldom';
import type { Diagnostic, Position, Range } from '../diagnostics.js';

export interface XAttr {
  name: string;
  value: string;
  range: Range; // the whole name='value'
  valueRange: Range;
  used: boolean;
}

export interface XElement {
  name: string; // qualified name as written
  local: string;
  ns: string | null;
  attrs: XAttr[];
  children: XElement[];
  text: string; // concatenated character data directly inside the element
  range: Range; // start tag (open '<' to its '>')
  nameRange: Range;
  parent: XElement | null;
  used: boolean;
}

export interface XmlDocument {
  root: XElement | null;
  diagnostics: Diagnostic[];
  lineStarts: number[];
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function positionAt(lineStarts: number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
}

function offsetOf(lineStarts: number[], line: number, column: number): number {
  return (lineStarts[line - 1] ?? 0) + column - 1;
}

/** Parse text into a positioned tree. Malformed XML yields a diagnostic and no root. */
export function parseXml(text: string): XmlDocument {
  const lineStarts = lineStartsOf(text);
  const diagnostics: Diagnostic[] = [];
  const at = (line: number, column: number): Range => {
    const p = { line, column, offset: offsetOf(lineStarts, line, column) };
    return { start: p, end: p };
  };
  if (/<!ENTITY/i.test(text)) {
    // Entities are never expanded: a domain has no use for them and they are an attack surface.
    const off = text.search(/<!ENTITY/i);
    const p = positionAt(lineStarts, off);
    diagnostics.push({ code: 'xml-entity', severity: 'error', message: 'entity declarations are not allowed in domain XML', range: { start: p, end: p } });
    return { root: null, diagnostics, lineStarts };
  }
  let dom;
  try {
    dom = new DOMParser({
      onError: (level: string, message: string, ctx?: unknown) => {
        if (level === 'warning') return;
        const loc = (ctx as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)?.locator;
        throw Object.assign(new Error(message), { qdcLocator: loc });
      },
    }).parseFromString(text, 'text/xml');
  } catch (err) {
    const e = err as Error & { locator?: { lineNumber?: number; columnNumber?: number }; qdcLocator?: { lineNumber?: number; columnNumber?: number } };
    const loc = e.locator ?? e.qdcLocator;
    const message = String(e.message).replace(/^\[xmldom [a-zA-Z]+\]\s*/, '').split('\n')[0]!.replace(/\s*@#\[line:.*$/, '');
    diagnostics.push({ code: 'xml-syntax', severity: 'error', message: `malformed XML: ${message}`, range: at(loc?.lineNumber ?? 1, loc?.columnNumber ?? 1) });
    return { root: null, diagnostics, lineStarts };
  }
  const docEl = dom.documentElement;
  if (!docEl) {
    diagnostics.push({ code: 'xml-syntax', severity: 'error', message: 'malformed XML: no root element', range: at(1, 1) });
    return { root: null, diagnostics, lineStarts };
  }
  const root = convert(docEl as unknown as DomElement, null, text, lineStarts);
  return { root, diagnostics, lineStarts };
}

function convert(el: DomElement, parent: XElement | null, text: string, lineStarts: number[]): XElement {
  const line = (el as unknown as { lineNumber: number }).lineNumber;
  const col = (el as unknown as { columnNumber: number }).columnNumber;
  const start = offsetOf(lineStarts, line, col);
  const tagEnd = findTagEnd(text, start);
  const nameEnd = start + 1 + el.tagName.length;
  const x: XElement = {
    name: el.tagName,
    local: el.localName ?? el.tagName,
    ns: el.namespaceURI ?? null,
    attrs: [],
    children: [],
    text: '',
    range: { start: positionAt(lineStarts, start), end: positionAt(lineStarts, tagEnd) },
    nameRange: { start: positionAt(lineStarts, start + 1), end: positionAt(lineStarts, nameEnd) },
    parent,
    used: false,
  };
  const attrs = el.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i)!;
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    const aLine = (a as unknown as { lineNumber?: number }).lineNumber;
    const aCol = (a as unknown as { columnNumber?: number }).columnNumber;
    const aStart = aLine ? offsetOf(lineStarts, aLine, aCol!) : start;
    const { valueStart, valueEnd } = findAttrValue(text, aStart, tagEnd);
    x.attrs.push({
      name: a.name,
      value: a.value,
      range: { start: positionAt(lineStarts, aStart), end: positionAt(lineStarts, valueEnd + 1) },
      valueRange: { start: positionAt(lineStarts, valueStart), end: positionAt(lineStarts, valueEnd) },
      used: false,
    });
  }
  let txt = '';
  for (let n: DomNode | null = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) x.children.push(convert(n as unknown as DomElement, x, text, lineStarts));
    else if (n.nodeType === 3 || n.nodeType === 4) txt += n.nodeValue ?? '';
  }
  x.text = txt;
  return x;
}

function findTagEnd(text: string, start: number): number {
  let q = '';
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === q) q = ''; } else if (c === '"' || c === "'") q = c;
    else if (c === '>') return i + 1;
  }
  return text.length;
}

function findAttrValue(text: string, aStart: number, limit: number): { valueStart: number; valueEnd: number } {
  for (let i = aStart; i < limit; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      return { valueStart: i + 1, valueEnd: end < 0 ? limit : end };
    }
  }
  return { valueStart: aStart, valueEnd: aStart };
}
