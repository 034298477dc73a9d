// Documentation hooks: grammars may annotate <element>/<attribute> with
// <a:documentation> (RELAX NG DTD-compatibility annotations); editors show it on hover
// and in completion items.
import { full, ncContains, type Pattern } from './pattern.js';
import type { Schema } from './rng-load.js';

/** Documentation for an element (`attribute` unset) or one of its attributes, from the
 * first annotated occurrence in the grammar. */
export function documentationFor(schema: Schema, element: { ns: string; local: string }, attribute?: { ns: string; local: string }): string | undefined {
  for (const el of schema.elements) {
    if (!ncContains(full(el).nc, element.ns, element.local)) continue;
    if (!attribute) { if (el.doc) return el.doc; continue; }
    const doc = attributeDoc(el.content, attribute.ns, attribute.local, new Set());
    if (doc) return doc;
  }
  return undefined;
}

function attributeDoc(p: Pattern, ns: string, local: string, seen: Set<Pattern>): string | undefined {
  if (seen.has(p)) return undefined;
  seen.add(p);
  full(p);
  switch (p.k) {
    case 'attribute': return ncContains(p.nc, ns, local) ? p.doc : undefined;
    case 'choice': case 'group': case 'interleave': return attributeDoc(p.a, ns, local, seen) ?? attributeDoc(p.b, ns, local, seen);
    case 'oneOrMore': return attributeDoc(p.p, ns, local, seen);
    default: return undefined;
  }
}
