// The dist/qdc.js launcher: V8's code cache per command, never in the way of the command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = resolve('dist/qdc.js');
const CAPS = resolve('../shared/conformance/tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml');
const cacheDir = mkdtempSync('/tmp/qdc-launcher-');
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function qdc(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, QDC_CACHE_DIR: cacheDir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const codeCaches = (): string[] => readdirSync(cacheDir).filter((f) => f.startsWith('code-')).sort();

describe('launcher code cache', () => {
  it('keeps one cache per command, none after a usage error, and survives a corrupt cache', () => {
    expect(qdc('run').code).toBe(2);
    expect(codeCaches()).toEqual([]);
    const compile = ['compile', 'fixtures/domains/hello.xml', '--caps-file', CAPS];
    const first = qdc(...compile);
    expect(first.code, first.stderr).toBe(0);
    expect(codeCaches()).toEqual([expect.stringMatching(/^code-[0-9a-f]{8}-compile-v[\d.]+-\d+-\d+\.bin$/)]);
    expect(qdc('--version').code).toBe(0);
    expect(codeCaches().map((f) => f.split('-')[2])).toEqual(['compile', 'other']);
    // a cache V8 rejects is replaced; the command's output is the same either way
    const file = join(cacheDir, codeCaches()[0]!);
    writeFileSync(file, 'not a code cache');
    const again = qdc(...compile);
    expect(again.stdout).toBe(first.stdout);
    expect(codeCaches()).toHaveLength(2);
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect(readdirSync(cacheDir).some((f) => f.endsWith('.bin.tmp') || /\.bin\.\d+$/.test(f))).toBe(false);
  });
});
