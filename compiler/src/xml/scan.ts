// A strict, fast XML parser producing the same positioned tree as parse.ts. Linting a
// corpus spends most of its time parsing, so this one walks the text once with no DOM in
// between. Well-formedness follows the XML spec as libxml2 enforces it (quoted attribute
// values, one root, declared prefixes); entities other than the five predefined ones and
// character references are refused, never expanded, and nothing external is ever read.
import type { Diagnostic, Range } from '../diagnostics.js';
import type { XAttr, XElement, XmlDocument } from './parse.js';
import { lineStartsOf, positionAt } from './position.js';

export interface ScannedDocument extends XmlDocument {
  /** In-scope namespace bindings of an element (prefix '' is the default namespace). */
  lookupNamespace(el: XElement, prefix: string): string | null;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

class ScanError extends Error {
  constructor(message: string, readonly offset: number, readonly code = 'xml-syntax') { super(message); }
}

// Name characters: ASCII letters, digits, '_', ':', '-', '.', and anything non-ASCII
// (the XML name ranges are almost all of it; the rare exceptions are not worth a table).
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c >= 0xc0;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 0xb7;
}
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;
const BAD_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function scanXml(text: string): ScannedDocument {
  const lineStarts = lineStartsOf(text);
  const bindings = new Map<XElement, Map<string, string>>();
  const lookupNamespace = (el: XElement, prefix: string): string | null => {
    if (prefix === 'xml') return XML_NS;
    for (let e: XElement | null = el; e; e = e.parent) {
      const b = bindings.get(e);
      if (b?.has(prefix)) return b.get(prefix) || null;
    }
    return null;
  };
  try {
    const root = new Scanner(text, lineStarts, bindings, lookupNamespace).document();
    return { root, diagnostics: [], lineStarts, lookupNamespace };
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    const p = positionAt(lineStarts, Math.min(e.offset, text.length));
    const d: Diagnostic = { code: e.code, severity: 'error', message: e.code === 'xml-syntax' ? `malformed XML: ${e.message}` : e.message, range: { start: p, end: p } };
    return { root: null, diagnostics: [d], lineStarts, lookupNamespace };
  }
}

class Scanner {
  private i = 0;
  constructor(
    readonly s: string,
    readonly lineStarts: number[],
    readonly bindings: Map<XElement, Map<string, string>>,
    readonly lookup: (el: XElement, prefix: string) => string | null,
  ) {}

  private range(a: number, b: number): Range { return { start: positionAt(this.lineStarts, a), end: positionAt(this.lineStarts, b) }; }
  private fail(msg: string, at = this.i): never { throw new ScanError(msg, at); }

  document(): XElement {
    const s = this.s;
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
    let root: XElement | null = null;
    for (;;) {
      this.skipSpace();
      if (this.i >= s.length) break;
      if (s.charCodeAt(this.i) !== 60) this.fail(root ? 'text after the root element' : 'text before the root element');
      const n = s.charCodeAt(this.i + 1);
      if (n === 63) this.pi();
      else if (n === 33) {
        if (s.startsWith('<!--', this.i)) this.comment();
        else if (s.startsWith('<!DOCTYPE', this.i)) { if (root) this.fail('DOCTYPE after the root element'); this.doctype(); }
        else this.fail('unexpected markup');
      } else {
        if (root) this.fail('a document has exactly one root element');
        root = this.element(null);
      }
    }
    if (!root) this.fail('no root element');
    return root;
  }

  private skipSpace(): void { while (this.i < this.s.length && isSpace(this.s.charCodeAt(this.i))) this.i++; }

  private pi(): void {
    const end = this.s.indexOf('?>', this.i + 2);
    if (end < 0) this.fail('unterminated processing instruction');
    this.i = end + 2;
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.i + 4);
    if (end < 0) this.fail('unterminated comment');
    if (this.s.indexOf('--', this.i + 4) < end) this.fail("'--' inside a comment", this.s.indexOf('--', this.i + 4));
    this.i = end + 3;
  }

  // The DOCTYPE is skipped. An internal subset declaring entities is refused outright:
  // entities are never expanded, and an external DTD is never fetched.
  private doctype(): void {
    const s = this.s;
    const start = this.i;
    let j = this.i + 9;
    let quote = 0;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (quote) { if (c === quote) quote = 0; continue; }
      if (c === 34 || c === 39) quote = c;
      else if (c === 91) { // internal subset
        const close = s.indexOf(']', j);
        if (close < 0) this.fail('unterminated DOCTYPE', start);
        const subset = s.slice(j, close);
        const ent = subset.search(/<!ENTITY/i);
        if (ent >= 0) throw new ScanError('entity declarations are not allowed in domain XML', j + ent, 'xml-entity');
        j = close;
      } else if (c === 62) { this.i = j + 1; return; }
    }
    this.fail('unterminated DOCTYPE', start);
  }

  private name(): string {
    const s = this.s;
    const start = this.i;
    if (!isNameStart(s.charCodeAt(start))) this.fail('expected a name');
    let j = start + 1;
    while (j < s.length && isNameChar(s.charCodeAt(j))) j++;
    this.i = j;
    return s.slice(start, j);
  }

  private decode(raw: string, at: number, attribute: boolean): string {
    let v = raw;
    if (v.indexOf('\r') >= 0) v = v.replace(/\r\n?/g, '\n');
    if (BAD_CHAR.test(v)) this.fail('character not allowed in XML', at + raw.search(BAD_CHAR));
    if (attribute) v = v.replace(/[\t\n]/g, ' ');
    if (v.indexOf('&') < 0) return v;
    return v.replace(/&([^;&<\s]*);?/g, (m, ent: string, off: number) => {
      if (!m.endsWith(';')) this.fail("'&' must be written &amp;", at + off);
      if (ent[0] === '#') {
        const code = ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
        if (!/^#(x[0-9a-fA-F]+|[0-9]+)$/.test(ent) || !(code === 9 || code === 10 || code === 13 || (code >= 32 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))) this.fail(`invalid character reference '${m}'`, at + off);
        return String.fromCodePoint(code);
      }
      const p = PREDEFINED[ent];
      if (p === undefined) throw new ScanError(`undefined entity '&${ent};' (entities are never expanded)`, at + off, 'xml-entity');
      return p;
    });
  }

  private element(parent: XElement | null): XElement {
    const s = this.s;
    const start = this.i;
    this.i++;
    const qname = this.name();
    const nameEnd = this.i;
    const raw: { name: string; value: string; start: number; vStart: number; vEnd: number }[] = [];
    let selfClose = false;
    for (;;) {
      const before = this.i;
      this.skipSpace();
      const c = s.charCodeAt(this.i);
      if (c === 62) { this.i++; break; }
      if (c === 47) { if (s.charCodeAt(this.i + 1) !== 62) this.fail("expected '>' after '/'"); this.i += 2; selfClose = true; break; }
      if (Number.isNaN(c)) this.fail(`unterminated start tag <${qname}>`, start);
      if (this.i === before) this.fail('expected whitespace between attributes');
      const aStart = this.i;
      const aName = this.name();
      this.skipSpace();
      if (s.charCodeAt(this.i) !== 61) this.fail(`expected '=' after attribute name '${aName}'`);
      this.i++;
      this.skipSpace();
      const q = s.charCodeAt(this.i);
      if (q !== 34 && q !== 39) this.fail(`attribute '${aName}' needs a quoted value`);
      const vStart = this.i + 1;
      const vEnd = s.indexOf(q === 34 ? '"' : "'", vStart);
      if (vEnd < 0) this.fail(`unterminated value of attribute '${aName}'`, aStart);
      const lt = s.indexOf('<', vStart);
      if (lt >= 0 && lt < vEnd) this.fail("'<' is not allowed in attribute values", lt);
      for (const r of raw) if (r.name === aName) this.fail(`attribute '${aName}' appears twice`, aStart);
      raw.push({ name: aName, value: s.slice(vStart, vEnd), start: aStart, vStart, vEnd });
      this.i = vEnd + 1;
    }
    const tagEnd = this.i;
    const el: XElement = {
      name: qname, local: qname, ns: null, attrs: [], children: [], text: '',
      range: this.range(start, tagEnd), nameRange: this.range(start + 1, nameEnd), parent, used: false,
    };
    // Namespace declarations first: they apply to the element's own name and attributes.
    let decls: Map<string, string> | null = null;
    for (const r of raw) {
      if (r.name === 'xmlns' || r.name.startsWith('xmlns:')) {
        const uri = this.decode(r.value, r.vStart, true);
        const prefix = r.name === 'xmlns' ? '' : r.name.slice(6);
        if (prefix && !uri) this.fail(`namespace prefix '${prefix}' cannot be bound to an empty URI`, r.start);
        (decls ??= new Map()).set(prefix, uri);
      }
    }
    if (decls) this.bindings.set(el, decls);
    const colon = qname.indexOf(':');
    if (colon >= 0) {
      const prefix = qname.slice(0, colon);
      const ns = this.lookup(el, prefix);
      if (!ns) this.fail(`namespace prefix '${prefix}' is not declared`, start + 1);
      el.ns = ns;
      el.local = qname.slice(colon + 1);
    } else el.ns = this.lookup(el, '');
    for (const r of raw) {
      if (r.name === 'xmlns' || r.name.startsWith('xmlns:')) continue;
      const ac = r.name.indexOf(':');
      if (ac >= 0 && !this.lookup(el, r.name.slice(0, ac))) this.fail(`namespace prefix '${r.name.slice(0, ac)}' is not declared`, r.start);
      const a: XAttr = { name: r.name, value: this.decode(r.value, r.vStart, true), range: this.range(r.start, r.vEnd + 1), valueRange: this.range(r.vStart, r.vEnd), used: false };
      el.attrs.push(a);
    }
    if (selfClose) return el;
    let text = '';
    for (;;) {
      const lt = s.indexOf('<', this.i);
      if (lt < 0) this.fail(`<${qname}> is never closed`, start);
      if (lt > this.i) {
        const chunk = s.slice(this.i, lt);
        if (chunk.indexOf(']]>') >= 0) this.fail("']]>' is not allowed in text", this.i + chunk.indexOf(']]>'));
        text += this.decode(chunk, this.i, false);
      }
      this.i = lt;
      const n = s.charCodeAt(lt + 1);
      if (n === 47) {
        this.i = lt + 2;
        const close = this.name();
        if (close !== qname) this.fail(`closing tag </${close}> does not match <${qname}>`, lt);
        this.skipSpace();
        if (s.charCodeAt(this.i) !== 62) this.fail(`expected '>' to end </${close}>`);
        this.i++;
        break;
      } else if (n === 33) {
        if (s.startsWith('<!--', lt)) this.comment();
        else if (s.startsWith('<![CDATA[', lt)) {
          const end = s.indexOf(']]>', lt + 9);
          if (end < 0) this.fail('unterminated CDATA section');
          text += s.slice(lt + 9, end).replace(/\r\n?/g, '\n');
          this.i = end + 3;
        } else this.fail('unexpected markup');
      } else if (n === 63) this.pi();
      else el.children.push(this.element(el));
    }
    el.text = text;
    return el;
  }
}
