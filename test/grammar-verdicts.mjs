#!/usr/bin/env node
// Compares the verdicts of qdc's domain grammar (grammars/domain.rng) with libvirt 9.0's
// schema verdicts recorded in the conformance corpus (schema-verdicts.txt), using xmllint
// as the RelaxNG validator. Prints agreement counts and every disagreeing file.
//   node test/grammar-verdicts.mjs [--grammar FILE] [--filter REGEX] [--show N] [--json]
// Exit status: 0 when all verdicts agree, 1 on disagreements, 2 when it cannot run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.QDC_CONFORMANCE_DIR ?? resolve(root, '../shared/conformance');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const grammar = resolve(option('--grammar', join(root, 'grammars/domain.rng')));
const filter = new RegExp(option('--filter', ''));
const show = Number(option('--show', '0'));
const asJson = process.argv.includes('--json');

export function compareVerdicts({ grammarPath, sharedDir, only = /(?:)/ }) {
  const verdictFile = join(sharedDir, 'schema-verdicts.txt');
  if (!existsSync(verdictFile)) throw new Error(`grammar-verdicts: ${verdictFile} not found (set QDC_CONFORMANCE_DIR)`);
  const expected = new Map();
  for (const line of readFileSync(verdictFile, 'utf8').split('\n')) {
    const m = /^(valid|invalid) (\S+)$/.exec(line.trim());
    if (m && only.test(m[2])) expected.set(m[2], m[1]);
  }
  const files = [...expected.keys()];
  const actual = new Map();
  // xmllint reports one "validates" / "fails to validate" line per file; batch to keep it fast
  for (let i = 0; i < files.length; i += 200) {
    const batch = files.slice(i, i + 200);
    const r = spawnSync('xmllint', ['--noout', '--relaxng', grammarPath, ...batch], { cwd: sharedDir, encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.error) throw new Error(`grammar-verdicts: cannot run xmllint: ${r.error.message}`);
    if (/Relax-NG schema .* failed to compile|regexp error/.test(r.stderr)) throw new Error(`grammar-verdicts: grammar does not compile:\n${r.stderr}`);
    const errors = new Map();
    for (const line of r.stderr.split('\n')) {
      let m;
      if ((m = /^(\S+) validates$/.exec(line))) actual.set(m[1], 'valid');
      else if ((m = /^(\S+) fails to validate$/.exec(line))) actual.set(m[1], 'invalid');
      else if ((m = /^(\S+?):\d+: /.exec(line))) errors.set(m[1], [...(errors.get(m[1]) ?? []), line]);
    }
    for (const f of batch) if (!actual.has(f)) actual.set(f, 'invalid');
    for (const [f, lines] of errors) actual.set(`${f}#errors`, lines);
  }
  const counts = { valid: { agree: 0, total: 0 }, invalid: { agree: 0, total: 0 } };
  const disagreements = [];
  for (const [file, want] of expected) {
    const got = actual.get(file);
    counts[want].total++;
    if (got === want) counts[want].agree++;
    else disagreements.push({ file, libvirt: want, ours: got, errors: actual.get(`${file}#errors`) ?? [] });
  }
  return { counts, disagreements };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let result;
  try {
    result = compareVerdicts({ grammarPath: grammar, sharedDir: shared, only: filter });
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const { counts, disagreements } = result;
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    for (const [i, d] of disagreements.entries()) {
      console.log(`DISAGREE ${d.file}: libvirt ${d.libvirt}, ours ${d.ours}`);
      if (i < show) for (const e of d.errors.slice(0, 6)) console.log(`    ${e}`);
    }
    console.log(`valid ${counts.valid.agree}/${counts.valid.total} invalid ${counts.invalid.agree}/${counts.invalid.total} disagreements ${disagreements.length}`);
  }
  process.exit(disagreements.length === 0 ? 0 : 1);
}
