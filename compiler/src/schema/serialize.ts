// A loaded schema as JSON, with the derivative state graph learned so far: loading a
// grammar means parsing and simplifying some hundred kilobytes of RELAX NG, and a cold
// validator spends most of its time computing derivative states for the first time; the
// CLI keeps both in a cache keyed by the grammar files' identity, so later runs start warm.
import { makeDatatype, type Datatype } from './datatypes.js';
import { newNode, PatternFactory, type NameClass, type Pattern, type PatternOf, type Restorer } from './pattern.js';
import type { Schema } from './rng-load.js';

/** Bump when the meaning of the serialised form changes. */
export const SCHEMA_FORMAT = 5;

// Every table is an array of numbers stored as base64 of little-endian 32-bit integers:
// decoding that is a fraction of parsing the same numbers as JSON, and leaves no large
// arrays behind for the collector. Patterns are rows of ROW numbers (a header with the kind,
// nullability and `has` bits, then up to three fields), so pattern i's row is at ROW * i and
// its memo entries, holes and close/end results are found by index: reading the schema back
// makes only the patterns a validation reaches (pattern.ts `full`). Strings (values,
// documentation, memo keys) and name classes are indices into their own tables. Pattern i
// gets id i again: empty, notAllowed and text (ids 0, 1, 2) are always stored first.
const KINDS = ['empty', 'notAllowed', 'text', 'choice', 'group', 'interleave', 'after', 'oneOrMore', 'list', 'hole', 'marker', 'data', 'value', 'attribute', 'element'] as const;
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const ROW = 4;
const NULLABLE = 16;
const HAS_SHIFT = 5;

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
  /** Patterns in creation order (ROW numbers each): operands come before their users
   * (element content, which may be cyclic, is patched in afterwards), and canonical choice
   * order survives. */
  rows: Ints;
  start: number;
  elements: number[];
  files: string[];
  /** Derivative memo tables: pattern i's (key string, result) pairs are memo[2 * memoAt[i]]
   * up to memo[2 * memoAt[i + 1]]. */
  memoAt: Ints;
  memo: Ints;
  /** startTagClose and endTag memos: the result per pattern, -1 for none. */
  close: Ints;
  end: Ints;
  /** Value patterns of attribute-name derivatives: pattern i's are holes[holesAt[i]] up to
   * holes[holesAt[i + 1]]. */
  holesAt: Ints;
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
  schema.factory.restoreAll();
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
  const f = schema.factory;
  const keep = new Set<Pattern>();
  const stack: Pattern[] = [f.empty, f.notAllowed, f.text, schema.start, ...schema.elements];
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
  const memoAt: number[] = [];
  const memo: number[] = [];
  const close: number[] = [];
  const end: number[] = [];
  const holesAt: number[] = [];
  const holes: number[] = [];
  ordered.forEach((p, i) => {
    let x = -1, y = -1, z = -1;
    switch (p.k) {
      case 'empty': case 'notAllowed': case 'text': break;
      case 'choice': case 'group': case 'interleave': case 'after': x = ref(i, p.a); y = ref(i, p.b); break;
      case 'oneOrMore': case 'list': x = ref(i, p.p); break;
      case 'hole': x = ref(i, p.vp); break;
      case 'marker': x = p.index; break;
      case 'data': x = dt(p.dt); y = p.except ? ref(i, p.except) : -1; break;
      case 'value': x = dt(p.dt); y = str(p.value); break;
      case 'attribute': x = nc(p.nc); y = ref(i, p.p); z = str(p.doc); break;
      case 'element': x = nc(p.nc); y = index.get(p.content)!; z = str(p.doc); break;
    }
    rows.push(KIND_CODE.get(p.k)! | (p.nullable ? NULLABLE : 0) | (p.has << HAS_SHIFT), x, y, z);
    memoAt.push(memo.length / 2);
    if (p.memo) for (const [k, v] of p.memo) memo.push(str(k), index.get(v)!);
    close.push(p.closeMemo ? index.get(p.closeMemo)! : -1);
    end.push(p.endMemo ? index.get(p.endMemo)! : -1);
    holesAt.push(holes.length);
    if (p.holes) for (const h of p.holes) holes.push(index.get(h)!);
  });
  memoAt.push(memo.length / 2);
  holesAt.push(holes.length);
  const out: Serialized = {
    format: SCHEMA_FORMAT, datatypes: dts, strings, nameClasses, rows: encodeInts(rows), start: index.get(schema.start)!,
    elements: schema.elements.map((e) => index.get(e)!), files: schema.files,
    memoAt: encodeInts(memoAt), memo: encodeInts(memo), close: encodeInts(close), end: encodeInts(end),
    holesAt: encodeInts(holesAt), holes: encodeInts(holes),
  };
  return JSON.stringify(out);
}

/** The patterns of a stored schema, each made when first reached and filled in when first
 * read past its header (pattern.ts `full`). */
class StoredPatterns implements Restorer {
  private readonly pats: (Pattern | undefined)[];
  private readonly rows: Int32Array;
  private readonly memoAt: Int32Array;
  private readonly memo: Int32Array;
  private readonly close: Int32Array;
  private readonly end: Int32Array;
  private readonly holesAt: Int32Array;
  private readonly holes: Int32Array;
  private readonly dts: Datatype[];
  readonly count: number;

  constructor(private readonly f: PatternFactory, private readonly s: Serialized) {
    this.rows = decodeInts(s.rows);
    this.count = this.rows.length / ROW;
    this.pats = new Array<Pattern | undefined>(this.count);
    this.memoAt = decodeInts(s.memoAt);
    this.memo = decodeInts(s.memo);
    this.close = decodeInts(s.close);
    this.end = decodeInts(s.end);
    this.holesAt = decodeInts(s.holesAt);
    this.holes = decodeInts(s.holes);
    this.dts = s.datatypes.map(([lib, type, params]) => makeDatatype(lib, type, params));
  }

  /** Pattern i: made (as a stub) on first use. */
  get(i: number): Pattern {
    return this.pats[i] ?? this.make(i);
  }

  private make(i: number): Pattern {
    const head = this.rows[ROW * i]!;
    const code = head & 15;
    const f = this.f;
    const p = code === 0 ? f.empty : code === 1 ? f.notAllowed : code === 2 ? f.text
      : newNode(KINDS[code]!, i, (head & NULLABLE) !== 0, head >> HAS_SHIFT) as unknown as Pattern;
    if (code > 2) { p.src = i; p.restorer = this; }
    this.pats[i] = p;
    return p;
  }

  fill(p: Pattern): void {
    const i = p.src;
    p.restorer = undefined;
    p.src = -1;
    const { rows, s } = this;
    const at = ROW * i, x = rows[at + 1]!, y = rows[at + 2]!, z = rows[at + 3]!;
    const n = p as Pattern & { a?: Pattern; b?: Pattern; p?: Pattern; vp?: Pattern; index?: number; dt?: Datatype; except?: Pattern | null; value?: string; nc?: NameClass; doc?: string; content?: Pattern };
    switch (p.k) {
      case 'choice': case 'group': case 'interleave': case 'after': n.a = this.get(x); n.b = this.get(y); break;
      case 'oneOrMore': case 'list': n.p = this.get(x); break;
      case 'hole': n.vp = this.get(x); break;
      case 'marker': n.index = x; break;
      case 'data': n.dt = this.dts[x]; n.except = y < 0 ? null : this.get(y); break;
      case 'value': n.dt = this.dts[x]; n.value = s.strings[y]; break;
      case 'attribute': n.nc = s.nameClasses[x]; n.p = this.get(y); n.doc = z < 0 ? undefined : s.strings[z]; break;
      case 'element': n.nc = s.nameClasses[x]; n.content = this.get(y); n.doc = z < 0 ? undefined : s.strings[z]; break;
      default: break;
    }
    // A stub's memo tables are empty until now: everything that reads or writes them fills
    // the stub in first (pattern.ts `full`).
    const m0 = this.memoAt[i]!, m1 = this.memoAt[i + 1]!;
    if (m1 > m0) {
      const memo = new Map<string, Pattern>();
      for (let j = 2 * m0; j < 2 * m1; j += 2) memo.set(s.strings[this.memo[j]!]!, this.get(this.memo[j + 1]!));
      p.memo = memo;
    }
    const c = this.close[i]!, e = this.end[i]!;
    if (c >= 0) p.closeMemo = this.get(c);
    if (e >= 0) p.endMemo = this.get(e);
    const h0 = this.holesAt[i]!, h1 = this.holesAt[i + 1]!;
    if (h1 > h0) {
      const vs: Pattern[] = [];
      for (let j = h0; j < h1; j++) vs.push(this.get(this.holes[j]!));
      p.holes = vs;
    }
  }

  all(): void {
    for (let i = 0; i < this.count; i++) {
      const p = this.get(i);
      if (p.restorer === this) this.fill(p);
      this.f.adopt(p);
    }
  }
}

/** The schema back from serializeSchema's text, memo tables included; throws on a
 * different format. Its patterns are made as validation reaches them. */
export function deserializeSchema(text: string): Schema {
  const s = JSON.parse(text) as Serialized;
  if (s.format !== SCHEMA_FORMAT) throw new Error(`schema cache format ${s.format}, expected ${SCHEMA_FORMAT}`);
  const f = new PatternFactory();
  const stored = new StoredPatterns(f, s);
  f.restoreFrom(stored, stored.count);
  return { factory: f, start: stored.get(s.start), elements: s.elements.map((i) => stored.get(i) as PatternOf<'element'>), files: s.files };
}
