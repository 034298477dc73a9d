// A loaded schema as JSON, with the derivative state graph learned so far: loading a
// grammar means parsing and simplifying some hundred kilobytes of RELAX NG, and a cold
// validator spends most of its time computing derivative states for the first time; the
// CLI keeps both in a cache keyed by the grammar files' identity, so later runs start warm.
import { makeDatatype, type Datatype } from './datatypes.js';
import { PatternFactory, type NameClass, type Pattern, type PatternOf } from './pattern.js';
import type { Schema } from './rng-load.js';

/** Bump when the meaning of the serialised form changes. */
export const SCHEMA_FORMAT = 4;

// Rows are one flat array of numbers, a kind code then the kind's fields, stored as base64
// of little-endian 32-bit integers: decoding that is a fraction of parsing the same numbers
// as JSON, and leaves no large arrays behind for the collector. Strings (values,
// documentation, memo keys) and name classes are indices into their own tables.
const KINDS = ['empty', 'notAllowed', 'text', 'choice', 'group', 'interleave', 'after', 'oneOrMore', 'list', 'hole', 'marker', 'data', 'value', 'attribute', 'element'] as const;
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));
type BinaryKind = 'choice' | 'group' | 'interleave' | 'after';
const FIRST_BINARY = KIND_CODE.get('choice')!;
const LAST_BINARY = KIND_CODE.get('after')!;

/** Int32 arrays as base64 (Buffer where there is one: node, where the cache lives). */
type Ints = string;
declare const Buffer: { from(data: ArrayBufferView | string, enc?: string): { toString(enc: string): string; buffer: ArrayBuffer; byteOffset: number; byteLength: number } } | undefined;
function encodeInts(xs: number[]): Ints {
  const a = Int32Array.from(xs);
  if (typeof Buffer !== 'undefined') return Buffer.from(new Uint8Array(a.buffer)).toString('base64');
  let bin = '';
  const bytes = new Uint8Array(a.buffer);
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}
function decodeInts(s: Ints): Int32Array {
  if (typeof Buffer !== 'undefined') {
    const b = Buffer.from(s, 'base64');
    // copied: a Buffer's bytes may not be 4-byte aligned in its pool
    return new Int32Array(new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice().buffer);
  }
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Int32Array(bytes.buffer);
}

interface Serialized {
  format: number;
  datatypes: [string, string, [string, string][]][];
  strings: string[];
  nameClasses: NameClass[];
  /** Patterns in creation order: operands come before their users (element content,
   * which may be cyclic, is patched in afterwards), and canonical choice order survives. */
  rows: Ints;
  start: number;
  elements: number[];
  files: string[];
  /** Derivative memo tables: (pattern, key string, result) triples. */
  memo: Ints;
  /** startTagClose and endTag memos: (pattern, result) pairs. */
  close: Ints;
  end: Ints;
  /** Value patterns of attribute-name derivatives: (pattern, count, value pattern…). */
  holes: Ints;
}

/** Operands a stored pattern refers to. */
function operands(p: Pattern, out: Pattern[]): void {
  switch (p.k) {
    case 'choice': case 'group': case 'interleave': case 'after': out.push(p.a, p.b); break;
    case 'oneOrMore': case 'list': out.push(p.p); break;
    case 'data': if (p.except) out.push(p.except); break;
    case 'attribute': out.push(p.p); break;
    case 'element': out.push(p.content); break;
    case 'hole': out.push(p.vp); break;
    default: break;
  }
  if (p.memo) for (const v of p.memo.values()) out.push(v);
  if (p.closeMemo) out.push(p.closeMemo);
  if (p.endMemo) out.push(p.endMemo);
}

/** Every pattern the schema's factory made that is still reachable: the grammar, and the
 * derivative states through the interning tables (memo holders need not be referred to by
 * anything else — e.g. the isolated content states the validator starts elements from). */
function allPatterns(schema: Schema): Pattern[] {
  schema.factory.indexRestored();
  const seen = new Set<Pattern>();
  const stack: Pattern[] = [schema.start, ...schema.elements];
  const links: Pattern[] = [];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    links.length = 0;
    operands(p, links);
    if (p.pairs) for (const v of p.pairs.values()) links.push(v);
    if (p.plus) links.push(p.plus);
    if (p.holeOf) links.push(p.holeOf);
    for (const q of links) if (!seen.has(q)) stack.push(q);
  }
  return [...seen];
}

export function serializeSchema(schema: Schema): string {
  // Keep the grammar, every pattern holding memo entries, and what those refer to;
  // intermediate patterns no table points at are recomputed if ever needed.
  const keep = new Set<Pattern>();
  const stack: Pattern[] = [schema.start, ...schema.elements];
  for (const p of allPatterns(schema)) if (p.memo?.size || p.closeMemo || p.endMemo) stack.push(p);
  const links: Pattern[] = [];
  while (stack.length) {
    const p = stack.pop()!;
    if (keep.has(p)) continue;
    keep.add(p);
    links.length = 0;
    operands(p, links);
    for (const q of links) if (!keep.has(q)) stack.push(q);
  }
  const ordered = [...keep].sort((x, y) => x.id - y.id);
  const index = new Map<Pattern, number>();
  ordered.forEach((p, i) => index.set(p, i));
  const dts: Serialized['datatypes'] = [];
  const dtIndex = new Map<string, number>();
  const dt = (d: Datatype): number => {
    let i = dtIndex.get(d.key);
    if (i === undefined) {
      i = dts.length;
      dts.push([d.library, d.type, [...d.params]]);
      dtIndex.set(d.key, i);
    }
    return i;
  };
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (x: string | undefined): number => {
    if (x === undefined) return -1;
    let i = stringIndex.get(x);
    if (i === undefined) { i = strings.length; strings.push(x); stringIndex.set(x, i); }
    return i;
  };
  const nameClasses: NameClass[] = [];
  const ncIndex = new Map<string, number>();
  const nc = (n: NameClass): number => {
    const key = JSON.stringify(n);
    let i = ncIndex.get(key);
    if (i === undefined) { i = nameClasses.length; nameClasses.push(n); ncIndex.set(key, i); }
    return i;
  };
  const ref = (user: number, q: Pattern): number => {
    const i = index.get(q)!;
    // Creation order puts operands first; the loader relies on it.
    if (i >= user) throw new Error('schema cache: pattern operand created after its user');
    return i;
  };
  const rows: number[] = [];
  ordered.forEach((p, i) => {
    rows.push(KIND_CODE.get(p.k)!);
    switch (p.k) {
      case 'empty': case 'notAllowed': case 'text': break;
      case 'choice': case 'group': case 'interleave': case 'after': rows.push(ref(i, p.a), ref(i, p.b)); break;
      case 'oneOrMore': case 'list': rows.push(ref(i, p.p)); break;
      case 'hole': rows.push(ref(i, p.vp)); break;
      case 'marker': rows.push(p.index); break;
      case 'data': rows.push(dt(p.dt), p.except ? ref(i, p.except) : -1); break;
      case 'value': rows.push(dt(p.dt), str(p.value)); break;
      case 'attribute': rows.push(nc(p.nc), ref(i, p.p), str(p.doc)); break;
      case 'element': rows.push(nc(p.nc), index.get(p.content)!, str(p.doc)); break;
    }
  });
  const memo: number[] = [];
  const close: number[] = [];
  const end: number[] = [];
  const holes: number[] = [];
  ordered.forEach((p, i) => {
    if (p.holes) holes.push(i, p.holes.length, ...p.holes.map((h) => index.get(h)!));
    if (p.memo) for (const [k, v] of p.memo) memo.push(i, str(k), index.get(v)!);
    if (p.closeMemo) close.push(i, index.get(p.closeMemo)!);
    if (p.endMemo) end.push(i, index.get(p.endMemo)!);
  });
  const out: Serialized = {
    format: SCHEMA_FORMAT, datatypes: dts, strings, nameClasses, rows: encodeInts(rows), start: index.get(schema.start)!,
    elements: schema.elements.map((e) => index.get(e)!), files: schema.files,
    memo: encodeInts(memo), close: encodeInts(close), end: encodeInts(end), holes: encodeInts(holes),
  };
  return JSON.stringify(out);
}

/** The schema back from serializeSchema's text, memo tables included; throws on a
 * different format. */
export function deserializeSchema(text: string): Schema {
  const s = JSON.parse(text) as Serialized;
  if (s.format !== SCHEMA_FORMAT) throw new Error(`schema cache format ${s.format}, expected ${SCHEMA_FORMAT}`);
  const f = new PatternFactory();
  const dts = s.datatypes.map(([lib, type, params]) => makeDatatype(lib, type, params));
  const pats: Pattern[] = [];
  const elementContent: [PatternOf<'element'>, number][] = [];
  const { strings, nameClasses } = s;
  const rows = decodeInts(s.rows);
  const doc = (i: number): string | undefined => (i < 0 ? undefined : strings[i]);
  const rowsEnd = rows.length;
  for (let at = 0; at < rowsEnd;) {
    const code = rows[at++]!;
    // The binary kinds (nine patterns in ten) are told by number first: this loop runs once
    // per process, mostly in V8's interpreter, where matching the kind's name case after
    // case was a good part of loading a state graph.
    if (code >= FIRST_BINARY && code <= LAST_BINARY) {
      pats.push(f.restoreBinary(KINDS[code] as BinaryKind, pats[rows[at]!]!, pats[rows[at + 1]!]!));
      at += 2;
      continue;
    }
    const k = KINDS[code];
    switch (k) {
      case 'empty': pats.push(f.empty); break;
      case 'notAllowed': pats.push(f.notAllowed); break;
      case 'text': pats.push(f.text); break;
      case 'oneOrMore': pats.push(f.oneOrMore(pats[rows[at++]!]!)); break;
      case 'list': pats.push(f.list(pats[rows[at++]!]!)); break;
      case 'hole': pats.push(f.hole(pats[rows[at++]!]!)); break;
      case 'marker': pats.push(f.marker(rows[at++]!)); break;
      case 'data': { const ex = rows[at + 1]!; pats.push(f.data(dts[rows[at]!]!, ex < 0 ? null : pats[ex]!)); at += 2; break; }
      case 'value': pats.push(f.value(dts[rows[at]!]!, strings[rows[at + 1]!]!)); at += 2; break;
      case 'attribute': pats.push(f.attribute(nameClasses[rows[at]!]!, pats[rows[at + 1]!]!, doc(rows[at + 2]!))); at += 3; break;
      case 'element': {
        const e = f.element(nameClasses[rows[at]!]!, doc(rows[at + 2]!));
        elementContent.push([e, rows[at + 1]!]);
        pats.push(e);
        at += 3;
        break;
      }
      default: throw new Error('schema cache: unknown pattern kind');
    }
  }
  for (const [e, c] of elementContent) e.content = pats[c]!;
  const m = decodeInts(s.memo);
  for (let i = 0, n = m.length; i < n; i += 3) (pats[m[i]!]!.memo ??= new Map()).set(strings[m[i + 1]!]!, pats[m[i + 2]!]!);
  const close = decodeInts(s.close);
  for (let i = 0; i < close.length; i += 2) pats[close[i]!]!.closeMemo = pats[close[i + 1]!]!;
  const end = decodeInts(s.end);
  for (let i = 0; i < end.length; i += 2) pats[end[i]!]!.endMemo = pats[end[i + 1]!]!;
  const holes = decodeInts(s.holes);
  for (let i = 0; i < holes.length;) {
    const p = pats[holes[i]!]!, n = holes[i + 1]!;
    const vs: Pattern[] = [];
    for (let j = 0; j < n; j++) vs.push(pats[holes[i + 2 + j]!]!);
    p.holes = vs;
    i += 2 + n;
  }
  return { factory: f, start: pats[s.start]!, elements: s.elements.map((i) => pats[i] as PatternOf<'element'>), files: s.files };
}
