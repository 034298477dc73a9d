// Positioned XML tree. A single-pass parser of our own: every element and attribute keeps
// its source range, and records whether a later stage read it, so that anything the model
// does not understand is reported instead of silently dropped.
//
// Why not @xmldom/xmldom directly: measured here at ~2 MB/s (90 ms for a 5,000-line
// domain), which blows the editor's 50 ms diagnostics budget. This parser enforces the
// same well-formedness rules (checked against xmldom over the whole corpus in
// test/xml-parse.test.ts) at a fraction of the cost. Entities are never expanded beyond
// the five predefined ones and character references; DOCTYPE internal subsets are refused.
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
  /** offset just past the end tag (or the empty-element tag) */
  end?: number;
  parent: XElement | null;
  used: boolean;
}

export interface XmlDocument {
  root: XElement | null;
  diagnostics: Diagnostic[];
  lineStarts: number[];
  /** The namespace a prefix ('' for the default) is bound to at an element: grammars
   * (RELAX NG) write qualified names in attribute values and need it. */
  lookupNamespace?: (el: XElement, prefix: string) => string | null;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  let i = -1;
  while ((i = text.indexOf('\n', i + 1)) >= 0) starts.push(i + 1);
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

/** A range whose line and column are worked out only when asked: most ranges of a tree are
 * never shown, and four position objects per element and attribute were most of the
 * parser's allocations. */
class SourceRange implements Range {
  constructor(private readonly lines: number[], private readonly from: number, private readonly to: number) {}
  get start(): Position { return positionAt(this.lines, this.from); }
  get end(): Position { return positionAt(this.lines, this.to); }
  toJSON(): Range { return { start: this.start, end: this.end }; }
}

// Shared by every element without attributes or children; the first one makes the element
// an array of its own (of exactly one: an empty array that is pushed to grows to 17 slots,
// and most elements have no more than one child). Frozen: nothing else may add to them.
const NO_ATTRS: ParsedAttr[] = Object.freeze([]) as unknown as ParsedAttr[];
const NO_CHILDREN: XElement[] = Object.freeze([]) as unknown as XElement[];

/** An attribute as parsed. Its ranges are made when asked: most are never shown, and two
 *  range objects per attribute were a good part of what the parser allocated. */
class ParsedAttr implements XAttr {
  used = false;
  constructor(public name: string, public value: string, private readonly lines: number[], private readonly from: number,
    private readonly valueFrom: number, private readonly valueTo: number) {}
  get range(): Range { return new SourceRange(this.lines, this.from, this.valueTo + 1); }
  get valueRange(): Range { return new SourceRange(this.lines, this.valueFrom, this.valueTo); }
}

/** An element as parsed; its ranges are made when asked, like an attribute's. */
class ParsedElement implements XElement {
  children = NO_CHILDREN;
  text = '';
  used = false;
  end: number;
  constructor(public name: string, public local: string, public ns: string | null, public attrs: XAttr[], public parent: XElement | null,
    private readonly lines: number[], private readonly from: number, private readonly tagEnd: number,
    private readonly nameFrom: number, private readonly nameTo: number) {
    this.end = tagEnd;
  }
  get range(): Range { return new SourceRange(this.lines, this.from, this.tagEnd); }
  get nameRange(): Range { return new SourceRange(this.lines, this.nameFrom, this.nameTo); }
}

class XmlError extends Error {
  constructor(message: string, readonly offset: number) { super(message); }
}

const NAME_START = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const NAME_RE = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD][-.0-9A-Za-z_:\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F-\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]*/y;
const WS = /[ \t\n\r]*/y;
const ASCII_NAME = /[A-Za-z_:][-.0-9A-Za-z_:]*/y;
// what decode() must look at: control characters (in text all but tab and newline), '&', U+FFFE/FFFF
const ATTR_SPECIAL = /[\u0000-\u001F&\uFFFE\uFFFF]/;
const TEXT_SPECIAL = /[\u0000-\u0008\u000B-\u001F&\uFFFE\uFFFF]/;
// characters XML 1.0 forbids anywhere
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Parse text into a positioned tree. Malformed XML yields a diagnostic and no root. */
export function parseXml(text: string): XmlDocument {
  const lineStarts = lineStartsOf(text);
  try {
    const parser = new Parser(text, lineStarts);
    const root = parser.document();
    return { root, diagnostics: [], lineStarts, lookupNamespace: (el, prefix) => parser.lookupNamespace(el, prefix) };
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    const p = positionAt(lineStarts, Math.min(e.offset, text.length));
    const code = e.message.startsWith('entity') ? 'xml-entity' : 'xml-syntax';
    const message = code === 'xml-entity' ? e.message.slice('entity: '.length) : `malformed XML: ${e.message}`;
    return { root: null, diagnostics: [{ code, severity: 'error', message, range: { start: p, end: p } }], lineStarts };
  }
}

interface NsScope { [prefix: string]: string }

const isDeclaration = (a: XAttr): boolean => a.name === 'xmlns' || a.name.startsWith('xmlns:');

class Parser {
  private i = 0;
  constructor(private readonly s: string, private readonly lines: number[]) {}

  private fail(msg: string, at = this.i): never { throw new XmlError(msg, at); }
  /** Scopes of the elements that declare namespaces (the others inherit their parent's). */
  private readonly scopes = new Map<XElement, NsScope>();

  lookupNamespace(el: XElement, prefix: string): string | null {
    for (let e: XElement | null = el; e; e = e.parent) {
      const scope = this.scopes.get(e);
      if (scope) return scope[prefix] || null;
    }
    return prefix === 'xml' ? XML_NS : null;
  }

  document(): XElement {
    const s = this.s;
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
    if (s.startsWith('<?xml', this.i) && /[\s?]/.test(s[this.i + 5] ?? '')) this.pi();
    let root: XElement | null = null;
    for (;;) {
      this.skipWs();
      if (this.i >= s.length) break;
      if (s[this.i] !== '<') this.fail(root ? 'content after the root element' : 'text before the root element');
      if (s.startsWith('<!--', this.i)) this.comment();
      else if (s.startsWith('<?', this.i)) this.pi();
      else if (s.startsWith('<!DOCTYPE', this.i)) {
        if (root) this.fail('DOCTYPE after the root element');
        this.doctype();
      } else if (root) this.fail('a document has exactly one root element');
      else root = this.element(null, { xml: XML_NS });
    }
    if (!root) this.fail('no root element', 0);
    return root!;
  }

  // Character scans are sticky regular expressions rather than charCodeAt loops: V8 runs a
  // regular expression as native code from its first use, while a loop crawls through the
  // interpreter until optimized — and a one-shot lint of a corpus is mostly first uses.
  private skipWs(): void {
    WS.lastIndex = this.i;
    if (WS.test(this.s)) this.i = WS.lastIndex; // fails only past the end, where nothing is to skip
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.i + 4);
    if (end < 0) this.fail('unterminated comment');
    const body = this.s.slice(this.i + 4, end);
    if (body.includes('--') || body.endsWith('-')) this.fail("'--' is not allowed inside a comment", this.i + 4 + Math.max(0, body.indexOf('--')));
    this.i = end + 3;
  }

  private pi(): void {
    const end = this.s.indexOf('?>', this.i + 2);
    if (end < 0) this.fail('unterminated processing instruction');
    NAME_RE.lastIndex = this.i + 2;
    const m = NAME_RE.exec(this.s);
    if (!m) this.fail('processing instruction without a target', this.i + 2);
    if (m![0].toLowerCase() === 'xml' && this.i !== 0 && !(this.i === 1 && this.s.charCodeAt(0) === 0xfeff)) this.fail('XML declaration allowed only at the start of the document');
    this.i = end + 2;
  }

  private doctype(): void {
    const s = this.s;
    let j = this.i + 9;
    let q = '';
    for (; j < s.length; j++) {
      const c = s[j];
      if (q) { if (c === q) q = ''; continue; }
      if (c === '"' || c === "'") q = c;
      else if (c === '[') this.fail('entity: DOCTYPE internal subsets (entity declarations) are not allowed in domain XML', j);
      else if (c === '>') { this.i = j + 1; return; }
    }
    this.fail('unterminated DOCTYPE');
  }

  private name(): string {
    // fast path: ASCII names (all of libvirt's), the full XML Name rule otherwise
    const s = this.s;
    const start = this.i;
    ASCII_NAME.lastIndex = start;
    if (ASCII_NAME.test(s) && !(s.charCodeAt(ASCII_NAME.lastIndex) >= 0x80)) {
      this.i = ASCII_NAME.lastIndex;
      return s.slice(start, this.i);
    }
    NAME_RE.lastIndex = this.i;
    const m = NAME_RE.exec(this.s);
    if (!m) this.fail(this.i < this.s.length ? `unexpected character '${this.s[this.i]}'` : 'unexpected end of document');
    this.i += m![0].length;
    return m![0];
  }

  // Hot paths are kept small and the rare ones (errors, references, comments, CDATA) in
  // functions of their own: V8 optimizes a small function in a fraction of the time, which
  // is most of a one-shot `qdc lint` over many files (one large element() took ~45 ms of
  // optimizing per attempt, and was re-optimized after each rare branch first ran).
  private decode(raw: string, at: number, attr: boolean): string {
    // fast path: nothing to check or replace (no control characters, '&' or U+FFFE/FFFF;
    // in text, tab and newline are plain)
    return (attr ? ATTR_SPECIAL : TEXT_SPECIAL).test(raw) ? this.decodeSlow(raw, at, attr) : raw;
  }

  private decodeSlow(raw: string, at: number, attr: boolean): string {
    if (BAD_CHAR.test(raw)) this.fail('character not allowed in XML', at + raw.search(BAD_CHAR));
    let v = raw;
    if (v.includes('\r')) v = v.replace(/\r\n?/g, '\n');
    if (attr) v = v.replace(/[\t\n]/g, ' ');
    if (!v.includes('&')) return v;
    return v.replace(/&([^;&<]*)(;?)/g, (_all, ref: string, semi: string, off: number) => {
      if (!semi) this.fail("'&' must start an entity or character reference", at + off);
      if (ref[0] === '#') {
        const cp = ref[1] === 'x' ? (/^#x[0-9a-fA-F]+$/.test(ref) ? parseInt(ref.slice(2), 16) : NaN) : (/^#[0-9]+$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN);
        if (!(cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))) {
          this.fail(`invalid character reference '&${ref};'`, at + off);
        }
        return String.fromCodePoint(cp);
      }
      const p = PREDEFINED[ref];
      if (p === undefined) this.fail(`entity: undefined entity '&${ref};' (entities are never expanded)`, at + off);
      return p!;
    });
  }

  /** One attribute (the cursor is on its name); `before`: the element's attributes so far. */
  private attribute(before: ParsedAttr[]): ParsedAttr {
    const s = this.s;
    const aStart = this.i;
    const aName = this.name();
    this.skipWs();
    if (s.charCodeAt(this.i) !== 61 /* = */) this.fail(`attribute '${aName}' needs a value`);
    this.i++;
    this.skipWs();
    const q = s.charCodeAt(this.i);
    if (q !== 34 && q !== 39) this.fail(`value of attribute '${aName}' must be quoted`);
    const vStart = this.i + 1;
    const vEnd = s.indexOf(q === 34 ? '"' : "'", vStart);
    if (vEnd < 0) this.fail(`unterminated value of attribute '${aName}'`, vStart);
    const raw = s.slice(vStart, vEnd);
    const lt = raw.indexOf('<');
    if (lt >= 0) this.fail(`'<' is not allowed in the value of attribute '${aName}'`, vStart + lt);
    for (let k = 0; k < before.length; k++) if (before[k]!.name === aName) this.fail(`attribute '${aName}' appears twice`, aStart);
    this.i = vEnd + 1;
    return new ParsedAttr(aName, this.decode(raw, vStart, true), this.lines, aStart, vStart, vEnd);
  }

  /** The scope of an element that declares namespaces (xmlns, xmlns:p attributes). */
  private declare(scope: NsScope, attrs: ParsedAttr[]): NsScope {
    let ns = scope;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (isDeclaration(a)) {
        if (ns === scope) ns = Object.create(scope) as NsScope;
        const prefix = a.name === 'xmlns' ? '' : a.name.slice(6);
        if (prefix && !a.value) this.fail(`namespace prefix '${prefix}' cannot be undeclared`, a.range.start.offset);
        ns[prefix] = a.value;
      }
    }
    return ns;
  }

  private element(parent: XElement | null, scope: NsScope): XElement {
    const s = this.s;
    const start = this.i;
    this.i++; // '<'
    const nameStart = this.i;
    const qname = this.name();
    const nameEnd = this.i;
    let attrs = NO_ATTRS;
    let selfClose = false;
    let xmlns = false;
    for (;;) {
      const before = this.i;
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === 62 /* > */) { this.i++; break; }
      if (c === 47 /* / */ && s.charCodeAt(this.i + 1) === 62) { this.i += 2; selfClose = true; break; }
      if (this.i >= s.length) this.fail(`unterminated start tag <${qname}>`, start);
      if (this.i === before) this.fail(`expected whitespace, '>' or '/>' in <${qname}>`);
      const a = this.attribute(attrs);
      if (attrs === NO_ATTRS) attrs = [a]; else attrs.push(a);
      if (a.name.startsWith('xmlns')) xmlns = true;
    }
    // namespace declarations first: they apply to this element's own name and attributes
    const ns = xmlns ? this.declare(scope, attrs) : scope;
    const colon = qname.indexOf(':');
    const local = colon > 0 ? qname.slice(colon + 1) : qname;
    if (colon === 0 || (colon > 0 && (!local || local.includes(':')))) this.fail(`malformed element name '${qname}'`, nameStart);
    const prefix = colon > 0 ? qname.slice(0, colon) : '';
    const uri = ns[prefix];
    if (prefix && uri === undefined) this.fail(`namespace prefix '${prefix}' of <${qname}> is not declared`, nameStart);
    // index loops: a one-shot lint runs this mostly unoptimized, where an iterator allocates
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (xmlns && isDeclaration(a)) continue;
      const ac = a.name.indexOf(':');
      if (ac > 0 && ns[a.name.slice(0, ac)] === undefined) this.fail(`namespace prefix '${a.name.slice(0, ac)}' of attribute '${a.name}' is not declared`, a.range.start.offset);
    }
    // the declarations are not attributes of the element
    const el = new ParsedElement(qname, local, uri || null, xmlns ? attrs.filter((a) => !isDeclaration(a)) : attrs, parent, this.lines, start, this.i, nameStart, nameEnd);
    if (ns !== scope) this.scopes.set(el, ns);
    if (!selfClose) this.content(el, ns, start);
    return el;
  }

  /** An element's content up to and including its end tag. */
  private content(el: XElement, ns: NsScope, start: number): void {
    const s = this.s;
    const qname = el.name;
    let text = '';
    for (;;) {
      const lt = s.indexOf('<', this.i);
      if (lt < 0) this.fail(`<${qname}> is never closed`, start);
      if (lt > this.i) text += this.textRun(lt);
      this.i = lt;
      const c1 = s.charCodeAt(lt + 1);
      if (c1 === 47 /* / */) {
        this.endTag(qname);
        el.end = this.i;
        el.text = text;
        return;
      }
      if ((c1 >= 97 && c1 <= 122) || (c1 >= 65 && c1 <= 90) || c1 === 95 || c1 === 58 || (c1 >= 0x80 && NAME_START.test(s[lt + 1]!))) {
        const child = this.element(el, ns);
        if (el.children === NO_CHILDREN) el.children = [child]; else el.children.push(child);
      } else text += this.markup(lt);
    }
  }

  private textRun(lt: number): string {
    const raw = this.s.slice(this.i, lt);
    const cdEnd = raw.indexOf(']]>');
    if (cdEnd >= 0) this.fail("']]>' is not allowed in text", this.i + cdEnd);
    return this.decode(raw, this.i, false);
  }

  private endTag(qname: string): void {
    this.i += 2;
    const closeStart = this.i;
    // the name is compared where it stands (no string made for it) unless it differs
    const after = this.s.charCodeAt(closeStart + qname.length);
    if (this.s.startsWith(qname, closeStart) && (after === 62 /* > */ || after === 32 || after === 9 || after === 10 || after === 13)) this.i += qname.length;
    else {
      const closeName = this.name();
      if (closeName !== qname) this.fail(`opening and ending tag mismatch: <${qname}> is closed by </${closeName}>`, closeStart);
    }
    this.skipWs();
    if (this.s.charCodeAt(this.i) !== 62) this.fail(`expected '>' to end </${qname}>`);
    this.i++;
  }

  /** What else may follow '<' in content: a comment, CDATA (its text is returned) or a
   *  processing instruction. */
  private markup(lt: number): string {
    const s = this.s;
    if (s.startsWith('<!--', lt)) { this.comment(); return ''; }
    if (s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt + 9);
      if (end < 0) this.fail('unterminated CDATA section');
      this.i = end + 3;
      return s.slice(lt + 9, end).replace(/\r\n?/g, '\n');
    }
    if (s.startsWith('<?', lt)) { this.pi(); return ''; }
    if (s.startsWith('<!', lt)) this.fail('markup declarations are not allowed inside elements');
    return this.fail("'<' must start a tag (write &lt; in text)", lt);
  }
}
