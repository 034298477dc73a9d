// The dist/qdc.js launcher: V8's code cache per command, never in the way of the command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR } from './conformance-dir.js';

const BIN = resolve('dist/qdc.js');
const CAPS = join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml');
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

  it('writes a command\'s output straight to fd 1, and a reader that went away is no error', () => {
    const compile = ['compile', 'fixtures/domains/hello.xml', '--caps-file', CAPS];
    // to a file: the whole command line, as through a pipe
    const file = join(cacheDir, 'out.txt');
    const r = spawnSync('sh', ['-c', `"$0" "$@" > ${file}`, process.execPath, BIN, ...compile], { encoding: 'utf8', env: { ...process.env, QDC_CACHE_DIR: cacheDir } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(qdc(...compile).stdout);
    // `| true`: the reader is gone before qdc writes (EPIPE); no stack trace, exit 0
    const h = spawnSync('bash', ['-c', '"$0" "$@" | true; echo "exit ${PIPESTATUS[0]}" >&2', process.execPath, BIN, ...compile], { encoding: 'utf8', env: { ...process.env, QDC_CACHE_DIR: cacheDir } });
    expect(h.stderr).toBe('exit 0\n');
  });
});
