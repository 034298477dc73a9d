// The domain grammar (grammars/*.rng) checked with xmllint as the RelaxNG validator:
// - its verdict on every domain XML of the conformance corpus must equal libvirt 9.0's
//   (schema-verdicts.txt), see test/grammar-verdicts.mjs;
// - fixtures/grammar/{valid,invalid}/*.xml (our own small documents, mostly the qemu:
//   namespace, which the corpus barely uses) must validate / fail;
// - storage-encryption-root.rng and networkport-root.rng validate fixtures/grammar/
//   {encryption,networkport}/{valid,invalid}-*.xml documents on their own.
// Without xmllint (or the corpus) the tests are skipped locally and fail in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR } from './conformance-dir.js';

const root = resolve(import.meta.dirname, '..');
const grammar = join(root, 'grammars/domain.rng');
const shared = CONFORMANCE_DIR;
const haveXmllint = spawnSync('xmllint', ['--version']).status === 0;
const haveCorpus = existsSync(join(shared, 'schema-verdicts.txt'));
const inCI = Boolean(process.env.CI);

function validates(rng: string, file: string): { ok: boolean; output: string } {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', rng, file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stderr };
}

describe('domain grammar', () => {
  it('has its tools', () => {
    if (!inCI) return;
    expect(haveXmllint, 'xmllint (libxml2-utils) is required in CI').toBe(true);
    expect(haveCorpus, `conformance corpus not found at ${shared}`).toBe(true);
  });

  it.skipIf(!haveXmllint || !haveCorpus)('agrees with libvirt on every corpus domain', () => {
    const r = spawnSync(process.execPath, [join(root, 'test/grammar-verdicts.mjs'), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, QDC_CONFORMANCE_DIR: shared },
      maxBuffer: 64 << 20,
    });
    expect(r.status === 0 || r.status === 1, r.stderr).toBe(true);
    const { counts, disagreements } = JSON.parse(r.stdout) as {
      counts: Record<'valid' | 'invalid', { agree: number; total: number }>;
      disagreements: { file: string; libvirt: string; ours: string }[];
    };
    expect(disagreements.map((d) => `${d.file}: libvirt ${d.libvirt}, ours ${d.ours}`)).toEqual([]);
    expect(counts.valid.total + counts.invalid.total).toBeGreaterThan(0);
  });

  for (const verdict of ['valid', 'invalid'] as const) {
    const dir = join(root, 'fixtures/grammar', verdict);
    for (const name of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')).sort() : []) {
      it.skipIf(!haveXmllint)(`${verdict}: ${name}`, () => {
        const r = validates(grammar, join(dir, name));
        expect(r.ok, r.output).toBe(verdict === 'valid');
      });
    }
  }

  // documents of the other root elements the domain grammar's parts are reused for
  for (const [sub, rngName] of [['encryption', 'storage-encryption-root.rng'], ['networkport', 'networkport-root.rng']] as const) {
    const dir = join(root, 'fixtures/grammar', sub);
    for (const name of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')).sort() : []) {
      it.skipIf(!haveXmllint)(`${sub}: ${name}`, () => {
        const r = validates(join(root, 'grammars', rngName), join(dir, name));
        expect(r.ok, r.output).toBe(name.startsWith('valid-'));
      });
    }
  }
});
