// `qdc lint` as a command: input expansion (files, directories, globs), exit codes,
// the four output formats, and files that cannot be read or are not domains.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runLint, STATES_MIN_DOCUMENTS } from '../cli/lint.js';
import { commandOutput } from '../cli/stdout.js';

let dir = '';
let grammar = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qdc-lint-'));
  process.env.QDC_CACHE_DIR = join(dir, 'cache');
  grammar = join(dir, 'grammar');
  mkdirSync(grammar);
  writeFileSync(join(grammar, 'domain.rng'), `<grammar xmlns="http://relaxng.org/ns/structure/1.0">
    <start><element name="domain"><attribute name="type"><choice><value>kvm</value><value>qemu</value></choice></attribute>
      <element name="name"><text/></element></element></start></grammar>`);
  mkdirSync(join(dir, 'vms/sub'), { recursive: true });
  writeFileSync(join(dir, 'vms/good.xml'), `<domain type='kvm'><name>a</name></domain>\n`);
  writeFileSync(join(dir, 'vms/sub/bad.xml'), `<domain type='xen'>\n  <name>b</name>\n</domain>\n`);
  writeFileSync(join(dir, 'vms/sub/notes.txt'), 'not xml');
  writeFileSync(join(dir, 'network.xml'), `<network><name>n</name></network>`);
  writeFileSync(join(dir, 'broken.xml'), `<domain type='kvm'><name>a</domain>`);
});

async function lint(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(commandOutput, 'write').mockImplementation((s: string) => { out += s; });
  try {
    const code = await runLint([...args, '--schema-dir', grammar]);
    return { code, out };
  } finally { spy.mockRestore(); }
}

afterEach(() => vi.restoreAllMocks());

async function runLintQuiet(args: string[]): Promise<number> {
  const spy = vi.spyOn(commandOutput, 'write').mockImplementation(() => undefined);
  try { return await runLint(args); } finally { spy.mockRestore(); }
}

describe('qdc lint', () => {
  it('exits 0 on clean files', async () => {
    const r = await lint(join(dir, 'vms/good.xml'));
    expect(r.code).toBe(0);
    expect(r.out).toBe('1 file checked, no problems\n');
  });
  it('prints findings like a compiler, with the source line and a caret, and exits 1', async () => {
    const f = join(dir, 'vms/sub/bad.xml');
    const r = await lint(f);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${f}:1:15: error[schema-value]: attribute 'type' must be one of kvm, qemu (got 'xen')\n  <domain type='xen'>\n                ^~~\n1 problem (1 error, 0 warnings) in 1 of 1 file\n`);
  });
  it('expands directories (*.xml, recursively) and globs', async () => {
    const byDir = JSON.parse((await lint(join(dir, 'vms'), '--format', 'json')).out);
    expect(byDir.map((f: { file: string }) => f.file)).toEqual([join(dir, 'vms/sub/bad.xml')]);
    const byGlob = await lint(join(dir, 'vms/**/*.xml'), '--format', 'json');
    expect(JSON.parse(byGlob.out)).toEqual(byDir);
  });
  it('writes one JSON document: an array of findings', async () => {
    const r = await lint(join(dir, 'vms/sub/bad.xml'), '--format', 'json');
    expect(JSON.parse(r.out)).toEqual([{
      file: join(dir, 'vms/sub/bad.xml'), line: 1, column: 15, endLine: 1, endColumn: 18, severity: 'error', code: 'schema-value',
      message: "attribute 'type' must be one of kvm, qemu (got 'xen')",
    }]);
    expect(JSON.parse((await lint(join(dir, 'vms/good.xml'), '--format', 'json')).out)).toEqual([]);
  });
  it('writes GitHub workflow annotations', async () => {
    const r = await lint(join(dir, 'vms/sub/bad.xml'), '--format', 'github');
    expect(r.out).toBe(`::error file=${join(dir, 'vms/sub/bad.xml')},line=1,col=15,endLine=1,endColumn=18,title=schema-value::attribute 'type' must be one of kvm, qemu (got 'xen')\n`);
  });
  it('writes SARIF 2.1.0', async () => {
    const s = JSON.parse((await lint(join(dir, 'vms/sub/bad.xml'), '--format', 'sarif')).out);
    expect(s.version).toBe('2.1.0');
    const run = s.runs[0];
    expect(run.tool.driver.name).toBe('qdc');
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['schema-value']);
    expect(run.results[0]).toMatchObject({
      ruleId: 'schema-value', level: 'error',
      locations: [{ physicalLocation: { region: { startLine: 1, startColumn: 15, endLine: 1, endColumn: 18 } } }],
    });
  });
  it('reports non-domain and malformed files, and keeps going', async () => {
    const r = JSON.parse((await lint(join(dir, 'network.xml'), join(dir, 'broken.xml'), join(dir, 'vms/good.xml'), '--format', 'json')).out);
    expect(r.map((f: { code: string }) => f.code)).toEqual(['not-a-domain', 'xml-syntax']);
  });
  it('reports unreadable files and exits 2', async () => {
    const missing = await lint(join(dir, 'nope.xml'), join(dir, 'vms/sub/bad.xml'), '--format', 'json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.out).map((f: { code: string }) => f.code)).toEqual(['io-error', 'schema-value']);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.xml');
      writeFileSync(locked, '<domain/>');
      chmodSync(locked, 0);
      expect((await lint(locked)).code).toBe(2);
    }
  });
  it('treats a bad grammar directory as an I/O error', async () => {
    let code = -1;
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try { code = await runLint([join(dir, 'vms/good.xml'), '--schema-dir', join(dir, 'vms')]); } finally { err.mockRestore(); }
    expect(code).toBe(2);
  });
  it('caches the compiled grammar and notices when the grammar changes', async () => {
    const f = join(dir, 'vms/sub/bad.xml');
    const first = await lint(f);
    const cached = readdirSync(join(dir, 'cache')).filter((n) => n.endsWith('.json'));
    expect(cached.map((n) => n.replace(/-.*/, ''))).toEqual(['grammar']); // a few documents: no state graph
    expect((await lint(f)).out).toBe(first.out);
    expect((await lint(f, '--no-cache')).out).toBe(first.out);
    const g = mkdtempSync(join(dir, 'g-'));
    writeFileSync(join(g, 'domain.rng'), `<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="domain"><attribute name="type"/><element name="name"><text/></element></element></start></grammar>`);
    expect((await runLintQuiet([f, '--schema-dir', g]))).toBe(0);
    writeFileSync(join(g, 'domain.rng'), `<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="domain"><attribute name="type"><value>kvm</value></attribute><element name="name"><text/></element></element></start></grammar>`);
    expect((await runLintQuiet([f, '--schema-dir', g]))).toBe(1);
  });
  it('keeps the derivative states many documents taught it, and drops them when the grammar changes', async () => {
    const g = mkdtempSync(join(dir, 'states-'));
    const rng = (types: string): string => `<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="domain"><attribute name="type"><choice>${types}</choice></attribute><element name="name"><text/></element></element></start></grammar>`;
    writeFileSync(join(g, 'domain.rng'), rng('<value>kvm</value><value>xen</value>'));
    const docs = mkdtempSync(join(dir, 'many-'));
    for (let i = 0; i < STATES_MIN_DOCUMENTS; i++) writeFileSync(join(docs, `d${i}.xml`), `<domain type='${i % 2 ? 'kvm' : 'xen'}'><name>v${i}</name></domain>\n`);
    const statesFile = (): string | undefined => readdirSync(join(dir, 'cache')).filter((n) => n.startsWith('states-')).map((n) => join(dir, 'cache', n))
      .find((n) => readFileSync(n, 'utf8').includes(join(g, 'domain.rng')));
    expect(await runLintQuiet([docs, '--schema-dir', g])).toBe(0);
    const stored = readFileSync(statesFile()!, 'utf8');
    expect((JSON.parse(stored.slice(stored.indexOf('\n') + 1)) as { memo: unknown[] }).memo.length).toBeGreaterThan(0);
    // a warm run learns nothing new and leaves the file alone
    const before = statSync(statesFile()!).mtimeMs;
    expect(await runLintQuiet([docs, '--schema-dir', g])).toBe(0);
    expect(statSync(statesFile()!).mtimeMs).toBe(before);
    // the grammar changes: its stamps no longer match, the states are not used
    writeFileSync(join(g, 'domain.rng'), rng('<value>kvm</value><value>qemu</value>'));
    expect(await runLintQuiet([docs, '--schema-dir', g])).toBe(1);
  });
  it('rejects bad usage', async () => {
    await expect(lint('--format', 'xml', join(dir, 'vms/good.xml'))).rejects.toThrow(/--format/);
    await expect(lint()).rejects.toThrow(/usage/);
  });
});
