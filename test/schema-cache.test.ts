// The cached form of a schema (serialize.ts): the grammar and the derivative states a
// validator learned. A schema read back must give the same diagnostics as the one that was
// written, start warm (no state to compute again for documents seen before), and write
// back to the same text.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFor, expectedAt, loadSchema, validateDocument, type Schema } from '../compiler/src/schema/index.js';
import type { XElement } from '../compiler/src/xml/parse.js';
import { deserializeSchema, serializeSchema } from '../compiler/src/schema/serialize.js';
import { parseXml } from '../compiler/src/xml/parse.js';
import { CONFORMANCE_DIR } from './conformance-dir.js';

const ownGrammars = join(import.meta.dirname, '../grammars');
const corpusDir = join(CONFORMANCE_DIR, 'tests/qemuxml2argvdata');
// Our own small documents, plus (when present) a slice of the conformance corpus.
const docs: string[] = [
  `<domain type='kvm'><name>a</name><memory unit='MiB'>512</memory><os><type arch='x86_64'>hvm</type></os>
    <devices><disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
  `<domain type='kvm'><name>b</name><memory unit='parsec'>1</memory><devices><disk type='nope'/></devices></domain>`,
  `<domain><name>c</name><bogus/></domain>`,
  ...(existsSync(corpusDir)
    ? readdirSync(corpusDir).filter((f) => f.endsWith('.xml')).sort().filter((_, i) => i % 7 === 0).map((f) => readFileSync(join(corpusDir, f), 'utf8'))
    : []),
];

function diagnostics(schema: Schema, texts = docs): string[] {
  return texts.map((text) => {
    const doc = parseXml(text);
    if (!doc.root) return 'unparsed';
    return validateDocument(schema, doc, text).map((d) => `${d.range.start.offset}-${d.range.end.offset} ${d.code}: ${d.message}`).join('\n');
  });
}

describe('schema cache', () => {
  const fresh = loadSchema(join(ownGrammars, 'domain.rng'), (f) => readFileSync(f, 'utf8'));
  const grammarOnly = serializeSchema(fresh);
  const expected = diagnostics(fresh);

  it('a grammar read back without states validates as the original', () => {
    expect(diagnostics(deserializeSchema(grammarOnly))).toEqual(expected);
  });

  it('a grammar read back with its learned states validates as the original, with nothing to learn', () => {
    const withStates = serializeSchema(fresh);
    expect(withStates.length).toBeGreaterThan(grammarOnly.length);
    const warm = deserializeSchema(withStates);
    expect(warm.factory.learned).toBe(0);
    expect(diagnostics(warm)).toEqual(expected);
    expect(warm.factory.learned).toBe(0);
    // Nothing had to be made: the stored patterns were made only as far as they were reached
    // (error messages included), and the rest never.
    expect(warm.factory.restoring).toBe(true);
    // Creation order survives a round trip, so the text does too.
    expect(serializeSchema(warm)).toBe(withStates);
  });

  it('states learned after a warm start are kept on the next write', () => {
    const warm = deserializeSchema(grammarOnly);
    diagnostics(warm);
    expect(warm.factory.learned).toBeGreaterThan(0);
    const again = deserializeSchema(serializeSchema(warm));
    expect(diagnostics(again)).toEqual(expected);
    expect(again.factory.learned).toBe(0);
  });

  it('a schema read back lazily completes and documents as the original', () => {
    // what the language server asks of a schema: what may come at every element (with the
    // templates completion inserts and the values of each attribute) and the documentation
    const text = docs[0]!;
    const answers = (schema: Schema): unknown[] => {
      const doc = parseXml(text);
      const out: unknown[] = [];
      const visit = (el: XElement): void => {
        const e = expectedAt(schema, doc, { element: el });
        out.push(e.elements, e.attributes, e.text, e.elements.map((n) => e.template?.(n)));
        for (const a of el.attrs) out.push(expectedAt(schema, doc, { element: el, attribute: a.name }).attributeValues);
        out.push(documentationFor(schema, { ns: el.ns ?? '', local: el.local }));
        for (const a of el.attrs) out.push(documentationFor(schema, { ns: el.ns ?? '', local: el.local }, { ns: '', local: a.name }));
        el.children.forEach(visit);
      };
      visit(doc.root!);
      return out;
    };
    const expectedAnswers = answers(fresh);
    expect(answers(deserializeSchema(grammarOnly))).toEqual(expectedAnswers);
    const warm = deserializeSchema(serializeSchema(fresh));
    expect(answers(warm)).toEqual(expectedAnswers);
  });

  it('a partly reached state graph is completed when a new state is needed, mid-document', () => {
    // states learned from every other document: the rest need new states, made among
    // stored patterns that are in every phase of being read back
    const half = deserializeSchema(grammarOnly);
    diagnostics(half, docs.filter((_, i) => i % 2 === 0));
    const warm = deserializeSchema(serializeSchema(half));
    expect(diagnostics(warm, docs.filter((_, i) => i % 2 === 0))).toEqual(expected.filter((_, i) => i % 2 === 0));
    expect(warm.factory.restoring).toBe(true);
    expect(diagnostics(warm)).toEqual(expected);
    expect(warm.factory.restoring).toBe(false);
    expect(warm.factory.learned).toBeGreaterThan(0);
  });
});
