// What a pattern state accepts next: element names, attribute names, and the values an
// attribute or text may take. Used for error messages ("must be one of …") and, by the
// language server, for completion.
import { full, ncContains, ncNames, type NameClass, type Pattern } from './pattern.js';

export interface ExpectedName {
  ns: string;
  local: string;
  /** Documentation from the grammar's annotations, when it has any. */
  doc?: string;
}

/** One alternative of a value: a literal from <value>, or a datatype described in words. */
export type ExpectedValue = { kind: 'literal'; value: string } | { kind: 'datatype'; description: string } | { kind: 'text' };

function pushName(out: Map<string, ExpectedName>, nc: NameClass, doc: string | undefined): void {
  for (const n of ncNames(nc)) {
    const key = `${n.ns}\u0000${n.local}`;
    if (!out.has(key)) out.set(key, { ...n, ...(doc ? { doc } : {}) });
    else if (doc && !out.get(key)!.doc) out.get(key)!.doc = doc;
  }
}

/** Visit the leaf patterns state `p` can match next. In 'content' mode a group's second
 * part counts only once its first part may be empty (elements and text come in order);
 * in 'attributes' mode every part counts (attributes come in any order). */
function forEachNext(p: Pattern, mode: 'content' | 'attributes', leaf: (q: Pattern) => void): void {
  const seen = new Set<Pattern>();
  const walk = (q: Pattern): void => {
    if (seen.has(q)) return;
    seen.add(q);
    full(q);
    switch (q.k) {
      case 'choice': case 'interleave': walk(q.a); walk(q.b); break;
      case 'group': walk(q.a); if (mode === 'attributes' || q.a.nullable) walk(q.b); break;
      case 'after': walk(q.a); break;
      case 'oneOrMore': walk(q.p); break;
      default: leaf(q);
    }
  };
  walk(p);
}

/** Elements that may start here. */
export function expectedElements(p: Pattern): ExpectedName[] {
  const out = new Map<string, ExpectedName>();
  forEachNext(p, 'content', (q) => { if (q.k === 'element') pushName(out, q.nc, q.doc); });
  return [...out.values()];
}

/** Attributes that may still appear (before the start tag closes). */
export function expectedAttributes(p: Pattern): ExpectedName[] {
  const out = new Map<string, ExpectedName>();
  forEachNext(p, 'attributes', (q) => { if (q.k === 'attribute') pushName(out, q.nc, q.doc); });
  return [...out.values()];
}

/** Attribute names every alternative of `p` still requires. */
export function requiredAttributes(p: Pattern): Set<string> {
  const walk = (q: Pattern): Set<string> => {
    full(q);
    switch (q.k) {
      case 'choice': { const a = walk(q.a), b = walk(q.b); return new Set([...a].filter((x) => b.has(x))); }
      case 'group': case 'interleave': return new Set([...walk(q.a), ...walk(q.b)]);
      case 'after': return walk(q.a);
      case 'oneOrMore': return walk(q.p);
      case 'attribute': return new Set(ncNames(q.nc).map((n) => n.local));
      default: return new Set();
    }
  };
  return walk(p);
}

/** Attributes every alternative of `p` still requires, in the grammar's order. */
export function requiredAttributeNames(p: Pattern): ExpectedName[] {
  const walk = (q: Pattern): Map<string, ExpectedName> => {
    full(q);
    switch (q.k) {
      case 'choice': { const a = walk(q.a), b = walk(q.b); return new Map([...a].filter(([k]) => b.has(k))); }
      case 'group': case 'interleave': return new Map([...walk(q.a), ...walk(q.b)]);
      case 'after': return walk(q.a);
      case 'oneOrMore': return walk(q.p);
      case 'attribute': { const m = new Map<string, ExpectedName>(); pushName(m, q.nc, q.doc); return m; }
      default: return new Map();
    }
  };
  return [...walk(p).values()];
}

/** Elements every alternative of `p` still requires before it can end. */
export function requiredElements(p: Pattern): ExpectedName[] {
  const walk = (q: Pattern): Map<string, ExpectedName> => {
    if (q.nullable && q.k !== 'after') return new Map();
    full(q);
    switch (q.k) {
      case 'choice': { const a = walk(q.a), b = walk(q.b); return new Map([...a].filter(([k]) => b.has(k))); }
      case 'group': case 'interleave': return new Map([...walk(q.a), ...walk(q.b)]);
      case 'after': return walk(q.a);
      case 'oneOrMore': return walk(q.p);
      case 'element': { const m = new Map<string, ExpectedName>(); pushName(m, q.nc, q.doc); return m; }
      default: return new Map();
    }
  };
  return [...walk(p).values()];
}

function valuesOf(p: Pattern, out: ExpectedValue[], seen: Set<string>): void {
  const add = (v: ExpectedValue): void => {
    const key = v.kind === 'literal' ? `=${v.value}` : v.kind === 'datatype' ? `:${v.description}` : 'text';
    if (!seen.has(key)) { seen.add(key); out.push(v); }
  };
  full(p);
  switch (p.k) {
    case 'choice': valuesOf(p.a, out, seen); valuesOf(p.b, out, seen); break;
    case 'value': add({ kind: 'literal', value: p.value.trim() }); break;
    case 'data': add({ kind: 'datatype', description: p.dt.describe() }); break;
    case 'text': add({ kind: 'text' }); break;
    case 'list': add({ kind: 'datatype', description: 'a space-separated list' }); break;
    case 'group': case 'interleave': valuesOf(p.a, out, seen); break;
    case 'oneOrMore': valuesOf(p.p, out, seen); break;
    case 'empty': add({ kind: 'literal', value: '' }); break;
    default: break;
  }
}

/** Values the attribute `ns:local` may take in state `p`. */
export function expectedAttributeValues(p: Pattern, ns: string, local: string): ExpectedValue[] {
  const out: ExpectedValue[] = [];
  const seenValues = new Set<string>();
  forEachNext(p, 'attributes', (q) => { if (q.k === 'attribute' && ncContains(q.nc, ns, local)) valuesOf(q.p, out, seenValues); });
  return out;
}

/** Values text content may take in state `p` (inside an element, before its children). */
export function expectedTextValues(p: Pattern): ExpectedValue[] {
  const out: ExpectedValue[] = [];
  const seenValues = new Set<string>();
  forEachNext(p, 'content', (q) => {
    if (q.k === 'value' || q.k === 'data' || q.k === 'text' || q.k === 'list') valuesOf(q, out, seenValues);
  });
  return out;
}

/** "one of a, b, c" / "an integer" / "a, b or an unsigned integer". */
export function describeValues(values: ExpectedValue[]): string {
  const literals = values.filter((v) => v.kind === 'literal').map((v) => (v as { value: string }).value || "''");
  const types = values.filter((v) => v.kind === 'datatype').map((v) => (v as { description: string }).description);
  if (values.some((v) => v.kind === 'text')) types.push('text');
  const parts: string[] = [];
  if (literals.length === 1 && !types.length) return literals[0]!;
  if (literals.length) parts.push(`one of ${literals.join(', ')}`);
  parts.push(...types);
  return parts.join(', or ');
}

export function describeNames(names: ExpectedName[], limit = 16): string {
  const shown = names.slice(0, limit).map((n) => `<${n.local}>`);
  if (names.length > limit) shown.push(`… (${names.length - limit} more)`);
  return shown.join(', ');
}

/** Edit distance counting an adjacent transposition as one edit ("flie" → "file"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate a misspelling most likely meant, if one is close enough. */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  if (word.length < 4) return undefined; // short words are close to everything
  let best: string | undefined;
  let bestDist = Math.min(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= bestDist && (best === undefined || d < bestDist)) { best = c; bestDist = d; }
  }
  return best;
}
