// Validates a positioned XML tree against a loaded schema. Each error is reported once,
// at the attribute value, element name or text it concerns, naming what was expected;
// the walk then recovers (lenient derivatives) so one mistake yields one diagnostic.
import type { Diagnostic, Range } from '../diagnostics.js';
import { positionAt, type XAttr, type XElement, type XmlDocument } from '../xml/parse.js';
import { Derivatives, isWhitespace } from './derivative.js';
import {
  describeNames, describeValues, expectedAttributes, expectedAttributeValues, expectedElements, expectedTextValues,
  requiredAttributes, requiredAttributeNames, requiredElements, closestName, type ExpectedName, type ExpectedValue,
} from './expected.js';
import { full, ncContains, type Pattern } from './pattern.js';
import type { Schema } from './rng-load.js';

export interface Expected {
  /** Elements that may come at this point of the content. */
  elements: ExpectedName[];
  /** Attributes the element may still take (not yet present). */
  attributes: ExpectedName[];
  /** Values text content may take at this point. */
  text: ExpectedValue[];
  /** Values for one attribute, when the probe named one. */
  attributeValues?: ExpectedValue[];
  /** What one of `elements` needs when inserted here (completion inserts it whole). */
  template?: (name: ExpectedName) => ElementTemplate | undefined;
}

/** What an element needs to be valid, whatever values its attributes get: the attributes
 * every form of it requires, and (one level down) the child elements every form requires. */
export interface ElementTemplate {
  name: ExpectedName;
  /** Required attributes, each with the literal values the grammar lists (empty when it
   * also or only accepts a datatype). */
  attributes: { name: ExpectedName; values: string[] }[];
  /** Required child elements, in the order the grammar puts them (their own `children` are
   * not filled in). */
  children: ElementTemplate[];
  /** The element can have neither child elements nor text. */
  empty: boolean;
}

/** Where completion is wanted: inside `element`, before child `childIndex` (default: after
 * the last child), optionally the value of attribute `attribute`. */
export interface Probe { element: XElement; childIndex?: number; attribute?: string }

const derivativesOf = new WeakMap<Schema, Derivatives>();
function derivatives(schema: Schema): Derivatives {
  let d = derivativesOf.get(schema);
  if (!d) { d = new Derivatives(schema.factory); derivativesOf.set(schema, d); }
  return d;
}

type Lookup = XmlDocument['lookupNamespace'];

/** Namespace of a (possibly prefixed) attribute: from the parser's bindings, or else
 * through the nearest element whose own name uses the same prefix. */
function attrNamespace(el: XElement, a: XAttr, lookup?: Lookup): { ns: string; local: string } {
  const colon = a.name.indexOf(':');
  if (colon < 0) return { ns: '', local: a.name };
  const prefix = a.name.slice(0, colon);
  const local = a.name.slice(colon + 1);
  if (prefix === 'xml') return { ns: 'http://www.w3.org/XML/1998/namespace', local };
  const bound = lookup?.(el, prefix);
  if (bound) return { ns: bound, local };
  for (let e: XElement | null = el; e; e = e.parent) {
    if (e.name.startsWith(prefix + ':') && e.ns) return { ns: e.ns, local };
  }
  return { ns: `urn:unbound-prefix:${prefix}`, local };
}

function guessAttr(local: string, allowed: ExpectedName[]): string {
  const guess = closestName(local, allowed.map((n) => n.local));
  if (guess) return `; did you mean '${guess}'?`;
  return allowed.length ? `; allowed: ${allowed.map((n) => n.local).join(', ')}` : '';
}

class Walk {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  probeResult: Expected | null = null;
  constructor(
    readonly d: Derivatives,
    readonly doc: XmlDocument,
    readonly source: string | undefined,
    readonly probe: Probe | undefined,
  ) {}

  private report(code: string, message: string, range: Range): void {
    const key = `${range.start.offset}:${range.end.offset}:${code}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push({ code, message, severity: 'error', range });
  }

  /** Range of an element's text content (its first text run), for content errors. */
  private textRange(el: XElement): Range {
    const src = this.source;
    if (!src) return el.nameRange;
    let s = el.range.end.offset;
    if (src[s - 2] === '/') return el.nameRange; // <x/> has no content
    let e = src.indexOf('<', s);
    if (e < 0) e = src.length;
    while (s < e && /[ \t\n\r]/.test(src[s]!)) s++;
    let t = e;
    while (t > s && /[ \t\n\r]/.test(src[t - 1]!)) t--;
    if (t <= s) return el.nameRange;
    return { start: positionAt(this.doc.lineStarts, s), end: positionAt(this.doc.lineStarts, t) };
  }

  // The path a valid element takes is kept small, and each error report lives in its own
  // method: V8 optimizes small functions quickly, which is most of a one-shot lint's time.
  element(p: Pattern, el: XElement): Pattern {
    const d = this.d;
    const opened = d.startTagOpen(p, el.ns ?? '', el.local);
    if (opened.k === 'notAllowed') {
      this.unexpectedElement(p, el);
      return p; // skip the element: its content cannot be judged against anything
    }
    const { content, restore } = isolated(d, opened);
    let q = content;
    let attributeErrors = 0;
    // Index loops and no namespace record for an unprefixed name: a one-shot lint runs this
    // mostly unoptimized, where an iterator or a record is an allocation per attribute.
    const attrs = el.attrs;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      let ans = '', local = a.name;
      if (local.includes(':')) ({ ns: ans, local } = attrNamespace(el, a, this.doc.lookupNamespace));
      const next = d.attribute(q, ans, local, a.value);
      if (next.k !== 'notAllowed') q = next;
      else [q, attributeErrors] = this.attributeError(p, q, el, a, ans, local, attributeErrors);
    }
    const probed = this.probe?.element === el;
    if (probed) this.captureAttributes(q);
    let c = d.startTagClose(q);
    if (c.k === 'notAllowed') c = this.missingAttributes(q, el);
    if (el.children.length === 0) {
      if (probed) this.captureContent(c);
      const t = d.soleText(c, el.text);
      c = t.k === 'notAllowed' ? this.badSoleText(c, q, el) : t;
    } else {
      if (!isWhitespace(el.text)) c = this.mixedText(c, el);
      const children = el.children;
      for (let i = 0; i < children.length; i++) {
        if (probed && this.probe!.childIndex === i) this.captureContent(c);
        c = this.element(c, children[i]!);
      }
      if (probed && (this.probe!.childIndex ?? children.length) >= children.length) this.captureContent(c);
    }
    const end = d.endTag(c);
    return restore(end.k !== 'notAllowed' ? end : this.incomplete(c, el));
  }

  private unexpectedElement(p: Pattern, el: XElement): void {
    const exp = expectedElements(p);
    const where = el.parent ? `inside <${el.parent.name}>` : 'as the root element';
    const guess = closestName(el.local, exp.map((n) => n.local));
    const known = guess ? `; did you mean <${guess}>?`
      : exp.length ? `; expected ${exp.length === 1 ? '' : 'one of '}${describeNames(exp)}`
      : `; <${el.parent?.name ?? 'document'}> takes no more child elements here`;
    this.report('schema-element', `element <${el.name}> is not allowed ${where}${known}`, el.nameRange);
  }

  /** Reports an attribute the state `q` does not accept; returns the state to go on from
   *  and the updated error count. */
  private attributeError(p: Pattern, q: Pattern, el: XElement, a: XAttr, ans: string, local: string, errors: number): [Pattern, number] {
    const d = this.d;
    const lenient = d.attribute(q, ans, local, a.value, true);
    if (lenient.k !== 'notAllowed') {
      const values = expectedAttributeValues(q, ans, local);
      const guess = closestName(a.value, values.flatMap((v) => (v.kind === 'literal' ? [v.value] : [])));
      this.report('schema-value', `attribute '${a.name}' must be ${describeValues(values)} (got '${a.value}'${guess ? `; did you mean '${guess}'?` : ''})`, a.valueRange);
      return [lenient, errors + 1];
    }
    const present = new Set(el.attrs.map((x) => x.name));
    const allowed = expectedAttributes(q).filter((n) => !present.has(n.local));
    const everAllowed = expectedAttributes(d.startTagOpen(p, el.ns ?? '', el.local)).some((n) => n.local === local && n.ns === ans);
    // After an earlier attribute error, a clash with that attribute is a follow-on.
    if (everAllowed && errors) return [q, errors];
    const msg = everAllowed
      ? `attribute '${a.name}' is not allowed on <${el.name}> together with the other attributes given`
      : `attribute '${a.name}' is not allowed on <${el.name}>${guessAttr(local, allowed)}`;
    this.report('schema-attribute', msg, a.range);
    return [q, errors + 1];
  }

  private missingAttributes(q: Pattern, el: XElement): Pattern {
    const d = this.d;
    const required = [...requiredAttributes(q)];
    const fixes = expectedAttributes(q).filter((n) => d.startTagClose(d.attribute(q, n.ns, n.local, '', true)).k !== 'notAllowed').map((n) => n.local);
    const msg = required.length
      ? `<${el.name}> is missing required attribute${required.length > 1 ? 's' : ''} ${required.map((r) => `'${r}'`).join(', ')}`
      : `<${el.name}> needs ${fixes.length > 1 ? 'one of the attributes' : 'attribute'} ${fixes.map((r) => `'${r}'`).join(', ')}`;
    this.report('schema-missing-attribute', msg, el.nameRange);
    return d.startTagClose(q, true);
  }

  private badSoleText(c: Pattern, q: Pattern, el: XElement): Pattern {
    this.textError(c, el);
    const r = this.d.soleText(c, el.text, true);
    return r.k === 'notAllowed' ? this.d.startTagClose(q, true) : r;
  }

  private mixedText(c: Pattern, el: XElement): Pattern {
    const t = this.d.text(c, el.text);
    if (t.k !== 'notAllowed') return t;
    this.report('schema-text', `<${el.name}> may not contain text here`, this.textRange(el));
    return c;
  }

  private incomplete(c: Pattern, el: XElement): Pattern {
    const exp = expectedElements(c);
    const required = requiredElements(c);
    const textExp = expectedTextValues(c);
    let msg: string;
    if (required.length) msg = `<${el.name}> is missing required element${required.length > 1 ? 's' : ''} ${describeNames(required)}`;
    else if (exp.length) msg = `<${el.name}> is incomplete: expected ${exp.length === 1 ? '' : 'one of '}${describeNames(exp)}`;
    else if (textExp.length) msg = `<${el.name}> needs content: ${describeValues(textExp)}`;
    else msg = `<${el.name}> is incomplete`;
    this.report('schema-missing-element', msg, el.nameRange);
    return this.d.endTag(c, true);
  }

  private textError(c: Pattern, el: XElement): void {
    const values = expectedTextValues(c);
    const text = el.text.trim();
    if (!values.length) {
      this.report('schema-text', `<${el.name}> may not contain text`, this.textRange(el));
    } else if (text === '') {
      this.report('schema-text', `<${el.name}> needs content: ${describeValues(values)}`, el.nameRange);
    } else {
      this.report('schema-text', `content of <${el.name}> must be ${describeValues(values)} (got '${text.length > 40 ? text.slice(0, 40) + '…' : text}')`, this.textRange(el));
    }
  }

  private captureAttributes(q: Pattern): void {
    const present = new Set(this.probe!.element.attrs.map((a) => a.name));
    const r: Expected = this.probeResult ?? { elements: [], attributes: [], text: [] };
    r.attributes = expectedAttributes(q).filter((n) => !present.has(n.local));
    const want = this.probe!.attribute;
    if (want !== undefined) {
      // Values are asked for before the attribute itself was matched: use the state
      // without it, so the attribute's own (possibly half-typed) value does not interfere.
      const el = this.probe!.element;
      let s = this.d.startTagOpen(this.parentState ?? this.d.f.notAllowed, el.ns ?? '', el.local);
      for (const a of el.attrs) {
        if (a.name === want) continue;
        const { ns, local } = attrNamespace(el, a, this.doc.lookupNamespace);
        const n = this.d.attribute(s, ns, local, a.value, true);
        if (n.k !== 'notAllowed') s = n;
      }
      const { ns, local } = attrNamespace(el, { name: want, value: '', range: el.range, valueRange: el.range, used: false }, this.doc.lookupNamespace);
      r.attributeValues = expectedAttributeValues(s, ns, local);
    }
    this.probeResult = r;
  }

  private captureContent(c: Pattern): void {
    const r: Expected = this.probeResult ?? { elements: [], attributes: [], text: [] };
    r.elements = expectedElements(c);
    r.text = expectedTextValues(c);
    r.template = (name) => elementTemplate(this.d, c, name, 1);
    this.probeResult = r;
  }

  parentState: Pattern | null = null;
}

/** An element's opened state split into its content and what follows it: the alternatives
 * after(content_i, rest_i) become after(content_i, marker(i)), so content states do not
 * depend on the surroundings; `restore` puts the rests back once the element ends. Both
 * depend only on the opened state, so they are computed once per state. */
interface Isolated { content: Pattern; restore: (end: Pattern) => Pattern }
const isolatedOf = new WeakMap<Pattern, Isolated>();
// The isolation of an opened state is kept in its memo table too (as its content and its
// rests), so the schema cache carries it: a run that finds every state it needs there
// then makes no new pattern at all (pattern.ts indexRestored).
const ISO_CONTENT = '\u0001iso';
const ISO_REST = '\u0001rest';
const ISO_BACK = '\u0001back';
function isolated(d: Derivatives, opened: Pattern): Isolated {
  const hit = isolatedOf.get(opened);
  if (hit) return hit;
  const f = d.f;
  const rests: Pattern[] = [];
  let content = full(opened).memo?.get(ISO_CONTENT);
  if (content) {
    for (let i = 0, r; (r = opened.memo!.get(ISO_REST + i)); i++) rests.push(r);
  } else {
    const isolate = (x: Pattern): Pattern => {
      full(x);
      if (x.k === 'choice') return f.choice(isolate(x.a), isolate(x.b));
      if (x.k !== 'after') return f.notAllowed;
      let i = rests.indexOf(x.b);
      if (i < 0) { i = rests.length; rests.push(x.b); }
      return f.after(x.a, f.marker(i));
    };
    content = isolate(opened);
    d.remember(opened, ISO_CONTENT, content);
    rests.forEach((r, i) => d.remember(opened, ISO_REST + i, r));
  }
  const back = (x: Pattern): Pattern => {
    full(x);
    if (x.k === 'choice') return f.choice(back(x.a), back(x.b));
    return x.k === 'marker' ? rests[x.index]! : f.notAllowed;
  };
  const restored = new Map<Pattern, Pattern>();
  // An element's end state is a choice of markers: the restored state is memoised on the
  // opened state under the markers' indexes (which is what it depends on), for the cache.
  const markers = (x: Pattern): string => {
    full(x);
    return x.k === 'choice' ? `${markers(x.a)},${markers(x.b)}` : x.k === 'marker' ? String(x.index) : '';
  };
  const restore = (end: Pattern): Pattern => {
    let r = restored.get(end);
    if (r) return r;
    const key = ISO_BACK + markers(end);
    r = opened.memo?.get(key);
    if (!r) { r = back(end); d.remember(opened, key, r); }
    restored.set(end, r);
    return r;
  };
  const r: Isolated = { content, restore };
  isolatedOf.set(opened, r);
  return r;
}

/** Validate a parsed document. `source` (the text) sharpens ranges of text-content errors. */
export function validateDocument(schema: Schema, doc: XmlDocument, source?: string): Diagnostic[] {
  if (!doc.root) return [];
  const w = new Walk(derivatives(schema), doc, source, undefined);
  w.element(schema.start, doc.root);
  return w.diagnostics;
}

/**
 * What the grammar allows at a position, for completion: the elements that may come
 * before child `childIndex` of `element`, the attributes it may still take, the values
 * of one attribute or of its text. Works on documents with errors (the walk recovers).
 */
export function expectedAt(schema: Schema, doc: XmlDocument, probe: Probe): Expected {
  const empty: Expected = { elements: [], attributes: [], text: [] };
  const d = derivatives(schema);
  if (!doc.root) return { ...empty, elements: expectedElements(schema.start), template: (name) => elementTemplate(d, schema.start, name, 1) };
  const w = new Walk(d, doc, undefined, probe);
  // The state in which the probed element's start tag is matched: needed for attribute values.
  const parentState = stateBefore(d, schema.start, doc.root, probe.element, doc.lookupNamespace);
  w.parentState = parentState;
  w.element(schema.start, doc.root);
  return w.probeResult ?? empty;
}

/** The template of element `name` started in content state `c`, with required children
 * down to `depth` levels. */
function elementTemplate(d: Derivatives, c: Pattern, name: { ns: string; local: string }, depth: number): ElementTemplate | undefined {
  const opened = d.startTagOpen(c, name.ns, name.local);
  if (opened.k === 'notAllowed') return undefined;
  let q = isolated(d, opened).content;
  const attributes: ElementTemplate['attributes'] = [];
  for (const a of requiredAttributeNames(q)) {
    const values = expectedAttributeValues(q, a.ns, a.local);
    const literals = values.every((v) => v.kind === 'literal') ? values.map((v) => (v as { value: string }).value).filter((v) => v !== '') : [];
    attributes.push({ name: a, values: literals });
    // any value: the content that follows is what every value allows together
    const next = d.attribute(q, a.ns, a.local, '', true);
    if (next.k !== 'notAllowed') q = next;
  }
  // Every form, whichever optional attributes it is given: children count as required
  // only if all forms need them, and the element as empty only if no form has content.
  const content = d.startTagClose(q, true);
  const children: ElementTemplate[] = [];
  if (depth > 0) {
    // Required children in order: each from the state after the ones before it.
    let s = content;
    for (const e of requiredElements(content)) {
      const t = elementTemplate(d, s, e, depth - 1) ?? elementTemplate(d, content, e, depth - 1) ?? { name: e, attributes: [], children: [], empty: false };
      children.push(t);
      const opened = d.startTagOpen(s, e.ns, e.local);
      if (opened.k !== 'notAllowed') {
        const after = d.endTag(d.startTagClose(opened, true), true);
        if (after.k !== 'notAllowed') s = after;
      }
    }
  }
  const empty = expectedElements(content).length === 0 && expectedTextValues(content).length === 0;
  const own = expectedElements(c).find((e) => e.ns === name.ns && e.local === name.local);
  return { name: own ?? { ns: name.ns, local: name.local }, attributes, children, empty };
}

/** The pattern state just before `target`'s start tag, replaying leniently from the root. */
function stateBefore(d: Derivatives, start: Pattern, root: XElement, target: XElement, lookup: Lookup): Pattern | null {
  const chain: XElement[] = [];
  for (let e: XElement | null = target; e; e = e.parent) chain.unshift(e);
  if (chain[0] !== root) return null;
  let p = start;
  for (let depth = 0; depth < chain.length - 1; depth++) {
    const el = chain[depth]!;
    let q = d.startTagOpen(p, el.ns ?? '', el.local);
    if (q.k === 'notAllowed') return null;
    for (const a of el.attrs) {
      const { ns, local } = attrNamespace(el, a, lookup);
      const n = d.attribute(q, ns, local, a.value, true);
      if (n.k !== 'notAllowed') q = n;
    }
    let c = d.startTagClose(q, true);
    if (!isWhitespace(el.text)) { const t = d.text(c, el.text, true); if (t.k !== 'notAllowed') c = t; }
    const next = chain[depth + 1]!;
    for (const child of el.children) {
      if (child === next) break;
      const w = new Walk(d, { root: child, diagnostics: [], lineStarts: [0], lookupNamespace: lookup }, undefined, undefined);
      c = w.element(c, child);
    }
    p = c;
  }
  return p;
}
