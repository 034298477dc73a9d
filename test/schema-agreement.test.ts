// Our engine's verdict on every domain XML of the conformance corpus must equal libxml2's
// (libxml2-wasm, the real libxml2, as oracle) with the same RELAX NG grammar — libvirt's
// installed one (QDC_LIBVIRT_SCHEMAS overrides the path). Both are also checked against
// the recorded `xmllint --relaxng` verdicts. Our own grammars/ are held to the same bar.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RelaxNGValidator, XmlDocument } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { loadSchema, validateDocument, type Schema } from '../compiler/src/schema/index.js';
import { parseXml } from '../compiler/src/xml/parse.js';
import { CONFORMANCE_DIR } from './conformance-dir.js';

const conformance = CONFORMANCE_DIR;
const verdictsFile = join(conformance, 'schema-verdicts.txt');
const libvirtSchemas = process.env.QDC_LIBVIRT_SCHEMAS ?? '/usr/share/libvirt/schemas';
const ownGrammars = join(import.meta.dirname, '../grammars');

interface Case { file: string; recorded: 'valid' | 'invalid'; text: string }
const cases: Case[] = existsSync(verdictsFile)
  ? readFileSync(verdictsFile, 'utf8').trim().split('\n').map((l) => {
    const [recorded, file] = l.split(' ') as ['valid' | 'invalid', string];
    return { file, recorded, text: readFileSync(join(conformance, file), 'utf8') };
  })
  : [];

function ourVerdict(schema: Schema, text: string): 'valid' | 'invalid' {
  const doc = parseXml(text);
  if (!doc.root) return 'invalid';
  return validateDocument(schema, doc, text).length ? 'invalid' : 'valid';
}

function oracle(dir: string): (text: string) => 'valid' | 'invalid' {
  xmlRegisterFsInputProviders(); // the grammar's <include>s are read by libxml2 itself
  const rngPath = join(dir, 'domain.rng');
  const rng = XmlDocument.fromBuffer(readFileSync(rngPath), { url: rngPath });
  const validator = RelaxNGValidator.fromDoc(rng);
  return (text) => {
    let doc: XmlDocument;
    try { doc = XmlDocument.fromString(text); } catch { return 'invalid'; }
    try { validator.validate(doc); return 'valid'; } catch { return 'invalid'; } finally { doc.dispose(); }
  };
}

function disagreements(a: (c: Case) => string, b: (c: Case) => string): string[] {
  const out: string[] = [];
  for (const c of cases) { const x = a(c), y = b(c); if (x !== y) out.push(`${c.file}: ${x} vs ${y}`); }
  return out;
}

describe.skipIf(!cases.length || !existsSync(join(libvirtSchemas, 'domain.rng')))('schema agreement with libxml2 (libvirt grammar)', () => {
  const libxml2 = oracle(libvirtSchemas);
  const ours = loadSchema(join(libvirtSchemas, 'domain.rng'), (f) => readFileSync(f, 'utf8'));
  const oracleVerdicts = new Map(cases.map((c) => [c.file, libxml2(c.text)]));

  it('covers the corpus, valid and invalid', () => {
    expect(cases.length).toBeGreaterThan(900);
    expect(cases.some((c) => c.recorded === 'invalid')).toBe(true);
  });
  it('libxml2-wasm agrees with the recorded xmllint verdicts', () => {
    expect(disagreements((c) => c.recorded, (c) => oracleVerdicts.get(c.file)!)).toEqual([]);
  });
  it('our engine agrees with libxml2 on every document', () => {
    expect(disagreements((c) => oracleVerdicts.get(c.file)!, (c) => ourVerdict(ours, c.text))).toEqual([]);
  });
});

describe.skipIf(!cases.length || !existsSync(join(ownGrammars, 'domain.rng')) || process.env.QDC_SKIP_OWN_GRAMMAR_AGREEMENT === '1')('schema agreement (our grammars)', () => {
  it('our engine with our grammars agrees with the recorded xmllint verdicts', () => {
    const ours = loadSchema(join(ownGrammars, 'domain.rng'), (f) => readFileSync(f, 'utf8'));
    expect(disagreements((c) => c.recorded, (c) => ourVerdict(ours, c.text))).toEqual([]);
  });
});
