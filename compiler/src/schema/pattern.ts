// RELAX NG patterns in simplified form, hash-consed: structurally equal patterns are the
// same object, so derivative results can be memoised on the pattern itself and stay
// valid for every document validated against the same schema.
import type { Datatype } from './datatypes.js';

export type NameClass =
  | { k: 'name'; ns: string; local: string }
  | { k: 'anyName'; except: NameClass | null }
  | { k: 'nsName'; ns: string; except: NameClass | null }
  | { k: 'choice'; a: NameClass; b: NameClass };

export function ncContains(nc: NameClass, ns: string, local: string): boolean {
  switch (nc.k) {
    case 'name': return nc.local === local && nc.ns === ns;
    case 'anyName': return !nc.except || !ncContains(nc.except, ns, local);
    case 'nsName': return nc.ns === ns && (!nc.except || !ncContains(nc.except, ns, local));
    case 'choice': return ncContains(nc.a, ns, local) || ncContains(nc.b, ns, local);
  }
}

/** The plain names a name class lists (wildcards contribute nothing). */
export function ncNames(nc: NameClass, out: { ns: string; local: string }[] = []): { ns: string; local: string }[] {
  if (nc.k === 'name') out.push({ ns: nc.ns, local: nc.local });
  else if (nc.k === 'choice') { ncNames(nc.a, out); ncNames(nc.b, out); }
  return out;
}

interface Base {
  readonly id: number;
  readonly nullable: boolean;
  /** What a derivative can consume without entering an element: HAS_ATTRIBUTE,
   * HAS_ELEMENT, HAS_TEXT bits. Derivatives skip sub-patterns that cannot match. */
  readonly has: number;
  /** Memo tables for derivatives, filled lazily by derivative.ts. */
  memo?: Map<string, Pattern>;
  closeMemo?: Pattern;
  /** Interning tables owned by the factory (see PatternFactory.binary). */
  pairs?: Map<number, Pattern>;
  plus?: Pattern;
  holeOf?: Pattern;
  /** For a choice of token <value>s: the values, whitespace-collapsed (null: not one). */
  enumSet?: Set<string> | null;
  /** Value patterns of the holes in this pattern, in a fixed order (see Derivatives). */
  holes?: Pattern[];
  endMemo?: Pattern;
  /** Set while the pattern is a stub read back from a schema cache whose body (operands,
   * memo tables) is not filled in yet: see `full` and serialize.ts. */
  restorer?: Restorer;
  src: number;
}

/** Fills in stubs of a cached schema (serialize.ts). */
export interface Restorer {
  /** Fills in the body of stub `p`. */
  fill(p: Pattern): void;
  /** Makes every stored pattern and fills in every stub. */
  all(): void;
}

/** The pattern with its body filled in. A schema read back from its cache makes pattern
 *  objects only as a validation reaches them, and fills each in only when something reads
 *  past its kind, nullability and `has` bits: a cached state graph has some 35,000 patterns
 *  and a lint of the whole corpus touches a tenth of them. Everything that reads a
 *  pattern's operands, memo tables or data passes it through here first. */
export function full<P extends Pattern>(p: P): P {
  if (p.restorer !== undefined) p.restorer.fill(p);
  return p;
}

export const HAS_ATTRIBUTE = 1;
export const HAS_ELEMENT = 2;
export const HAS_TEXT = 4;
export const HAS_HOLE = 8;

export type Pattern =
  | (Base & { k: 'empty' })
  | (Base & { k: 'notAllowed' })
  | (Base & { k: 'text' })
  | (Base & { k: 'choice'; a: Pattern; b: Pattern })
  | (Base & { k: 'interleave'; a: Pattern; b: Pattern })
  | (Base & { k: 'group'; a: Pattern; b: Pattern })
  | (Base & { k: 'after'; a: Pattern; b: Pattern })
  | (Base & { k: 'oneOrMore'; p: Pattern })
  | (Base & { k: 'list'; p: Pattern })
  | (Base & { k: 'data'; dt: Datatype; except: Pattern | null })
  | (Base & { k: 'value'; dt: Datatype; value: string })
  | (Base & { k: 'attribute'; nc: NameClass; p: Pattern; doc?: string })
  | (Base & ElementPattern)
  | (Base & { k: 'marker'; index: number })
  | (Base & { k: 'hole'; vp: Pattern });

export interface ElementPattern {
  k: 'element';
  nc: NameClass;
  /** Assigned after construction: element content may refer back to the element. */
  content: Pattern;
  doc?: string;
}

export type PatternOf<K extends Pattern['k']> = Extract<Pattern, { k: K }>;

/** Every pattern object has the same fields in the same order, whatever its kind: the
 *  derivative code then sees one object shape (monomorphic property access) instead of a
 *  shape per kind and per memo table added later, which kept V8 de-optimizing it. They are
 *  all made by the one object literal in `newNode`: patterns live as long as their schema
 *  (the factory interns them), and V8 allocates an allocation site's objects straight in the
 *  old generation once it sees that they survive, instead of copying each one out of the
 *  young generation (loading a cached state graph: 35,000 patterns, 7% fewer instructions). */
interface Node {
  readonly k: Pattern['k'];
  readonly id: number;
  readonly nullable: boolean;
  readonly has: number;
  a: Pattern | undefined;
  b: Pattern | undefined;
  p: Pattern | undefined;
  dt: Datatype | undefined;
  value: string | undefined;
  except: Pattern | null | undefined;
  nc: NameClass | undefined;
  content: Pattern | undefined;
  doc: string | undefined;
  index: number | undefined;
  vp: Pattern | undefined;
  memo: Map<string, Pattern> | undefined;
  closeMemo: Pattern | undefined;
  endMemo: Pattern | undefined;
  pairs: Map<number, Pattern> | undefined;
  plus: Pattern | undefined;
  holeOf: Pattern | undefined;
  enumSet: Set<string> | null | undefined;
  holes: Pattern[] | undefined;
  restorer: Restorer | undefined;
  src: number;
}

export function newNode(k: Pattern['k'], id: number, nullable: boolean, has: number): Node {
  return {
    k, id, nullable, has, a: undefined, b: undefined, p: undefined, dt: undefined, value: undefined, except: undefined,
    nc: undefined, content: undefined, doc: undefined, index: undefined, vp: undefined, memo: undefined, closeMemo: undefined,
    endMemo: undefined, pairs: undefined, plus: undefined, holeOf: undefined, enumSet: undefined, holes: undefined,
    restorer: undefined, src: -1,
  };
}

function node<K extends Pattern['k']>(k: K, id: number, nullable: boolean, has: number): PatternOf<K> & Node {
  return newNode(k, id, nullable, has) as unknown as PatternOf<K> & Node;
}

/** One factory per schema: interning tables are per schema so schemas can be dropped. */
export class PatternFactory {
  private nextId = 3;
  private readonly table = new Map<string, Pattern>();
  readonly empty: Pattern = node('empty', 0, true, 0);
  readonly notAllowed: Pattern = node('notAllowed', 1, false, 0);
  readonly text: Pattern = node('text', 2, true, HAS_TEXT);

  /** A schema read back from its cache (serialize.ts) whose patterns are made as they are
   *  reached. Before anything new is made, every stored pattern is made and put into the
   *  interning tables, so hash-consing holds: a validation that finds every state it needs
   *  in the memo tables makes nothing and never pays for that. */
  private restorer: Restorer | undefined;

  /** Called by serialize.ts: patterns up to `nextId` are stored ones made by `restorer`. */
  restoreFrom(restorer: Restorer, nextId: number): void {
    this.restorer = restorer;
    this.nextId = nextId;
  }

  /** Stored patterns are still being made as they are reached (nothing new was made). */
  get restoring(): boolean { return this.restorer !== undefined; }

  /** Makes every stored pattern, fills in every stub and indexes them all. */
  restoreAll(): void {
    const r = this.restorer;
    if (!r) return;
    this.restorer = undefined;
    r.all();
  }

  /** Puts a stored pattern (made and filled in by the restorer) into the interning tables. */
  adopt(p: Pattern): void {
    switch (p.k) {
      case 'choice': case 'group': case 'interleave': case 'after': {
        (p.a.pairs ??= new Map()).set(pairKey(p.k, p.b), p);
        this.count++;
        break;
      }
      case 'oneOrMore': p.p.plus ??= p; this.table.set(internKey(p), p); break;
      case 'list': case 'data': case 'value': case 'attribute': this.table.set(internKey(p), p); break;
      case 'marker': this.markers[p.index] ??= p; break;
      case 'hole': p.vp.holeOf ??= p; break;
      default: break;
    }
  }

  private intern<P extends Pattern>(key: string, make: (id: number) => P): P {
    if (this.restorer) this.restoreAll();
    const hit = this.table.get(key);
    if (hit) return hit as P;
    const p = make(this.nextId++);
    this.table.set(key, p);
    return p;
  }

  private count = 0;
  get size(): number { return this.table.size + this.count; }

  /** Derivative memo entries (states and transitions) added since the schema was loaded:
   * tells a cache of the state graph that it has something new to store. */
  learned = 0;

  /** While a grammar is loaded, choices keep the grammar's order (messages and completion
   * list values as the grammar does); derivatives use a canonical order instead. */
  preserveOrder = false;

  // Binary patterns are interned in a table on their first operand, keyed by kind and
  // the second operand's id: small-integer keys, no strings built per derivative step.
  private binary(k: BinaryKind, a: Pattern, b: Pattern, nullable: boolean): Pattern {
    if (this.restorer) this.restoreAll();
    const t = (a.pairs ??= new Map());
    const key = pairKey(k, b);
    let p = t.get(key);
    if (!p) {
      p = this.makeBinary(k, a, b, nullable);
      t.set(key, p);
      this.count++;
    }
    return p;
  }

  private makeBinary(k: BinaryKind, a: Pattern, b: Pattern, nullable: boolean): Pattern {
    const n = newNode(k, this.nextId++, nullable, k === 'after' ? a.has : a.has | b.has);
    n.a = a; n.b = b;
    return n as unknown as Pattern;
  }

  choice(a: Pattern, b: Pattern): Pattern {
    if (a.k === 'notAllowed') return b;
    if (b.k === 'notAllowed') return a;
    if (a === b) return a;
    if (a.k !== 'choice' && b.k !== 'choice' && !this.preserveOrder) {
      return a.id < b.id ? this.choice2(a, b) : this.choice2(b, a);
    }
    // Canonical form: flattened, de-duplicated, ordered by id — keeps memo hit rates high.
    if (this.restorer) this.restoreAll();
    const members: Pattern[] = [];
    const add = (p: Pattern): void => { if (p.k === 'choice') { add(p.a); add(p.b); } else if (!members.includes(p)) members.push(p); };
    add(a); add(b);
    if (!this.preserveOrder) members.sort((x, y) => x.id - y.id);
    let r = members[members.length - 1]!;
    for (let i = members.length - 2; i >= 0; i--) r = this.choice2(members[i]!, r);
    return r;
  }

  private choice2(a: Pattern, b: Pattern): Pattern {
    return this.binary('choice', a, b, a.nullable || b.nullable);
  }

  group(a: Pattern, b: Pattern): Pattern {
    if (a.k === 'notAllowed' || b.k === 'notAllowed') return this.notAllowed;
    if (a.k === 'empty') return b;
    if (b.k === 'empty') return a;
    return this.binary('group', a, b, a.nullable && b.nullable);
  }

  interleave(a: Pattern, b: Pattern): Pattern {
    if (a.k === 'notAllowed' || b.k === 'notAllowed') return this.notAllowed;
    if (a.k === 'empty') return b;
    if (b.k === 'empty') return a;
    if (a.id > b.id) [a, b] = [b, a]; // interleave is commutative
    return this.binary('interleave', a, b, a.nullable && b.nullable);
  }

  after(a: Pattern, b: Pattern): Pattern {
    if (a.k === 'notAllowed' || b.k === 'notAllowed') return this.notAllowed;
    return this.binary('after', a, b, false);
  }

  oneOrMore(p: Pattern): Pattern {
    if (p.k === 'notAllowed' || p.k === 'empty') return p;
    return (p.plus ??= this.intern(KEY.oneOrMore(p), (id) => { const n = node('oneOrMore', id, p.nullable, p.has); n.p = p; return n; }));
  }

  list(p: Pattern): Pattern {
    if (p.k === 'notAllowed') return p;
    return this.intern(KEY.list(p), (id) => { const n = node('list', id, false, HAS_TEXT); n.p = p; return n; });
  }

  data(dt: Datatype, except: Pattern | null): Pattern {
    return this.intern(KEY.data(dt, except), (id) => { const n = node('data', id, false, HAS_TEXT); n.dt = dt; n.except = except; return n; });
  }

  value(dt: Datatype, value: string): Pattern {
    return this.intern(KEY.value(dt, value), (id) => { const n = node('value', id, false, HAS_TEXT); n.dt = dt; n.value = value; return n; });
  }

  attribute(nc: NameClass, p: Pattern, doc?: string): Pattern {
    return this.intern(KEY.attribute(nc, p), (id) => { const n = node('attribute', id, false, HAS_ATTRIBUTE); n.nc = nc; n.p = p; n.doc = doc; return n; });
  }

  private readonly markers: Pattern[] = [];
  /** Placeholder continuations: the validator matches an element's content against
   * after(content, marker(i)) so content states do not depend on what surrounds the
   * element, and memoised derivatives are shared across documents and positions. */
  marker(i: number): Pattern {
    if (this.markers[i]) return this.markers[i];
    if (this.restorer) { this.restoreAll(); return this.marker(i); }
    return (this.markers[i] = Object.assign(node('marker', this.nextId++, false, 0), { index: i }));
  }

  /** An attribute whose name has matched and whose value (against `vp`) is still to be
   * checked: attribute derivatives are taken by name first, so their memo tables do not
   * depend on values. */
  hole(vp: Pattern): Pattern {
    if (vp.holeOf) return vp.holeOf;
    if (this.restorer) { this.restoreAll(); return this.hole(vp); }
    return (vp.holeOf = Object.assign(node('hole', this.nextId++, false, HAS_HOLE), { vp }));
  }

  /** Elements are identified by their occurrence in the grammar, not interned by content. */
  element(nc: NameClass, doc?: string): PatternOf<'element'> {
    if (this.restorer) this.restoreAll();
    const n = node('element', this.nextId++, false, HAS_ELEMENT);
    n.nc = nc; n.content = this.notAllowed; n.doc = doc;
    return n;
  }
}

type BinaryKind = 'choice' | 'group' | 'interleave' | 'after';
const BINARY_KIND: Record<BinaryKind, number> = { choice: 0, group: 1, interleave: 2, after: 3 };
/** The key of a binary pattern in its first operand's `pairs` table. */
const pairKey = (k: BinaryKind, b: Pattern): number => BINARY_KIND[k] * 0x4000000 + b.id;

/** Interning keys of the unary and data patterns (the factory's string-keyed table). */
const KEY = {
  oneOrMore: (p: Pattern): string => `o${p.id}`,
  list: (p: Pattern): string => `l${p.id}`,
  data: (dt: Datatype, except: Pattern | null): string => `d${dt.key}|${except?.id ?? ''}`,
  value: (dt: Datatype, value: string): string => `v${dt.key}|${JSON.stringify(value)}`,
  attribute: (nc: NameClass, p: Pattern): string => `@${JSON.stringify(nc)}|${p.id}`,
};

function internKey(p: Pattern): string {
  switch (p.k) {
    case 'oneOrMore': return KEY.oneOrMore(p.p);
    case 'list': return KEY.list(p.p);
    case 'data': return KEY.data(p.dt, p.except);
    case 'value': return KEY.value(p.dt, p.value);
    case 'attribute': return KEY.attribute(p.nc, p.p);
    default: throw new Error(`pattern ${p.k} is not interned by key`);
  }
}
