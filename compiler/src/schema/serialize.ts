// A loaded schema as JSON: loading a grammar means parsing and simplifying some hundred
// kilobytes of RELAX NG, which dominates a short `qdc lint` run; the CLI keeps this form
// in a cache keyed by the grammar files' identity.
import { makeDatatype, type Datatype } from './datatypes.js';
import { PatternFactory, type NameClass, type Pattern, type PatternOf } from './pattern.js';
import type { Schema } from './rng-load.js';

/** Bump when the meaning of the serialised form changes. */
export const SCHEMA_FORMAT = 1;

type Row =
  | ['empty'] | ['notAllowed'] | ['text']
  | ['choice' | 'group' | 'interleave', number, number]
  | ['oneOrMore' | 'list', number]
  | ['data', number, number | null]
  | ['value', number, string]
  | ['attribute', NameClass, number, string | null]
  | ['element', NameClass, number, string | null];

interface Serialized {
  format: number;
  datatypes: [string, string, [string, string][]][];
  rows: Row[];
  start: number;
  elements: number[];
  files: string[];
}

export function serializeSchema(schema: Schema): string {
  const index = new Map<Pattern, number>();
  const rows: Row[] = [];
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
  // Iterative post-order so that operands get their row before their users, except
  // element content, which may be cyclic and is patched in by index afterwards.
  const visit = (root: Pattern): number => {
    const stack: [Pattern, boolean][] = [[root, false]];
    while (stack.length) {
      const [p, expanded] = stack.pop()!;
      if (index.has(p)) continue;
      const kids: Pattern[] = [];
      switch (p.k) {
        case 'choice': case 'group': case 'interleave': kids.push(p.a, p.b); break;
        case 'oneOrMore': case 'list': kids.push(p.p); break;
        case 'data': if (p.except) kids.push(p.except); break;
        case 'attribute': kids.push(p.p); break;
        case 'after': case 'marker': case 'hole': throw new Error('derivative states are not part of a schema');
        default: break;
      }
      const pending = kids.filter((k) => !index.has(k));
      if (pending.length && !expanded) {
        stack.push([p, true]);
        for (const k of pending) stack.push([k, false]);
        continue;
      }
      const id = rows.length;
      index.set(p, id);
      switch (p.k) {
        case 'empty': case 'notAllowed': case 'text': rows.push([p.k]); break;
        case 'choice': case 'group': case 'interleave': rows.push([p.k, index.get(p.a)!, index.get(p.b)!]); break;
        case 'oneOrMore': case 'list': rows.push([p.k, index.get(p.p)!]); break;
        case 'data': rows.push(['data', dt(p.dt), p.except ? index.get(p.except)! : null]); break;
        case 'value': rows.push(['value', dt(p.dt), p.value]); break;
        case 'attribute': rows.push(['attribute', p.nc, index.get(p.p)!, p.doc ?? null]); break;
        case 'element': rows.push(['element', p.nc, -1, p.doc ?? null]); break;
        default: break;
      }
    }
    return index.get(root)!;
  };
  const start = visit(schema.start);
  for (let i = 0; i < schema.elements.length; i++) visit(schema.elements[i]!);
  for (const el of schema.elements) visit(el.content);
  for (const el of schema.elements) (rows[index.get(el)!] as ['element', NameClass, number, string | null])[2] = index.get(el.content)!;
  const out: Serialized = { format: SCHEMA_FORMAT, datatypes: dts, rows, start, elements: schema.elements.map((e) => index.get(e)!), files: schema.files };
  return JSON.stringify(out);
}

/** The schema back from serializeSchema's text; throws on a different format. */
export function deserializeSchema(text: string): Schema {
  const s = JSON.parse(text) as Serialized;
  if (s.format !== SCHEMA_FORMAT) throw new Error(`schema cache format ${s.format}, expected ${SCHEMA_FORMAT}`);
  const f = new PatternFactory();
  const dts = s.datatypes.map(([lib, type, params]) => makeDatatype(lib, type, params));
  const pats: Pattern[] = new Array(s.rows.length);
  const elements: PatternOf<'element'>[] = [];
  f.preserveOrder = true; // rows were written in the grammar's order
  s.rows.forEach((r, i) => {
    switch (r[0]) {
      case 'empty': pats[i] = f.empty; break;
      case 'notAllowed': pats[i] = f.notAllowed; break;
      case 'text': pats[i] = f.text; break;
      case 'choice': pats[i] = f.choice(pats[r[1]]!, pats[r[2]]!); break;
      case 'group': pats[i] = f.group(pats[r[1]]!, pats[r[2]]!); break;
      case 'interleave': pats[i] = f.interleave(pats[r[1]]!, pats[r[2]]!); break;
      case 'oneOrMore': pats[i] = f.oneOrMore(pats[r[1]]!); break;
      case 'list': pats[i] = f.list(pats[r[1]]!); break;
      case 'data': pats[i] = f.data(dts[r[1]]!, r[2] === null ? null : pats[r[2]]!); break;
      case 'value': pats[i] = f.value(dts[r[1]]!, r[2]); break;
      case 'attribute': pats[i] = f.attribute(r[1], pats[r[2]]!, r[3] ?? undefined); break;
      case 'element': { const e = f.element(r[1], r[3] ?? undefined); pats[i] = e; break; }
    }
  });
  s.rows.forEach((r, i) => { if (r[0] === 'element') (pats[i] as PatternOf<'element'>).content = pats[r[2]]!; });
  for (const i of s.elements) elements.push(pats[i] as PatternOf<'element'>);
  f.preserveOrder = false;
  return { factory: f, start: pats[s.start]!, elements, files: s.files };
}
