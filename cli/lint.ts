// `qdc lint FILE|DIR|GLOB… [--schema-dir DIR] [--schema-only] [--compile --caps-file F …]
//  [--format text|json|github|sarif]`: grammar validation plus libvirt's semantic rules
// (and, with --compile, the compiler's own checks). Exit 0 clean, 1 findings, 2 usage or
// I/O error. Every file is reported on; none can stop the run.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  checkSemantics, loadSchema, SchemaLoadError, SCHEMA_ENTRY, SEMANTIC_RULES, validateDocument, type Schema,
} from '../compiler/src/schema/index.js';
import type { Diagnostic } from '../compiler/src/diagnostics.js';
import { deserializeSchema, SCHEMA_FORMAT, serializeSchema } from '../compiler/src/schema/serialize.js';
import { parseXml, type XmlDocument } from '../compiler/src/xml/parse.js';
import { parseArgs, str, UsageError } from './args.js';
import { qdcCacheDir } from './cache.js';
import { cacheKey } from '../runtime/cache-key.js';
import { embeddedGrammarDir, expectLongRun } from './standalone.js';
import { atomicWrite } from '../runtime/atomic-write.js';
import { writeStdout } from './stdout.js';

export const LINT_USAGE = `usage: qdc lint FILE|DIR|GLOB… [options]
  --schema-dir DIR   validate against the RELAX NG grammar DIR/${SCHEMA_ENTRY} (e.g. /usr/share/libvirt/schemas)
  --schema-only      run the grammar alone (no semantic rules)
  --compile          also run the compiler's checks (needs --caps-file; --qemu-conf, --root as for compile)
  --format F         text (default), json, github or sarif
  --no-cache         do not use the cache of the compiled grammar and its validation states ($QDC_CACHE_DIR, else ~/.cache/qdc)`;

const FORMATS = ['text', 'json', 'github', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

export interface Finding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

/** Where our grammars are when no --schema-dir is given: inside the standalone executable,
 * next to the installed bundle (dist/../grammars) or in the working tree. */
export function defaultSchemaDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.QDC_SCHEMA_DIR) candidates.push(process.env.QDC_SCHEMA_DIR);
  const embedded = embeddedGrammarDir();
  if (embedded) candidates.push(embedded);
  if (typeof __dirname !== 'undefined') candidates.push(join(__dirname, '..', 'grammars'), join(__dirname, 'grammars'));
  if (process.argv[1]) candidates.push(join(dirname(resolve(process.argv[1])), '..', 'grammars'));
  candidates.push(resolve('grammars'));
  return candidates.find((d) => { try { return statSync(join(d, SCHEMA_ENTRY)).isFile(); } catch { return false; } });
}

/** Loading a grammar costs more than linting a hundred documents, and computing the
 * validator's derivative states for the first time costs more again, so both are cached
 * (serialize.ts), keyed by the entry file and checked against every grammar file's size
 * and mtime: the grammar alone, and the grammar with the states runs have learned. The
 * states are worth reading only for enough documents (`withStates`): a few documents
 * validate faster from scratch than the state graph loads. Each file's first line holds
 * the stamps, the rest the schema. */
export function loadSchemaCached(entryPath: string, useCache: boolean, withStates = true): Schema {
  const entry = resolve(entryPath);
  const read = (f: string): string => readFileSync(f, 'utf8');
  if (!useCache) return loadSchema(entry, read);
  const dir = qdcCacheDir();
  const key = cacheKey(`${SCHEMA_FORMAT}\0${entry}`);
  const files = { grammar: join(dir, `grammar-${key}.json`), states: join(dir, `states-${key}.json`) };
  const stamp = (f: string): string => { const st = statSync(f); return `${st.size}:${st.mtimeMs}`; };
  const readCache = (file: string): Schema | undefined => {
    try {
      const text = readFileSync(file, 'utf8');
      const nl = text.indexOf('\n');
      const stamps = JSON.parse(text.slice(0, nl)) as [string, string][];
      if (stamps.every(([f, st]) => stamp(f) === st)) {
        const schema = deserializeSchema(text.slice(nl + 1));
        cacheFiles.set(schema, { files, stamps, withStates });
        return schema;
      }
    } catch { /* no usable cache */ }
    return undefined;
  };
  const cached = (withStates ? readCache(files.states) : undefined) ?? readCache(files.grammar);
  if (cached) return cached;
  const schema = loadSchema(entry, read);
  const at = { files, stamps: schema.files.map((f): [string, string] => [f, stamp(f)]), withStates };
  cacheFiles.set(schema, at);
  writeCache(at.files.grammar, at.stamps, schema);
  return schema;
}

const cacheFiles = new WeakMap<Schema, { files: { grammar: string; states: string }; stamps: [string, string][]; withStates: boolean }>();

function writeCache(file: string, stamps: [string, string][], schema: Schema): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    atomicWrite(file, `${JSON.stringify(stamps)}\n${serializeSchema(schema)}`);
  } catch { /* a cache that cannot be written only costs time */ }
}

/** Stores the derivative states validation learned since the schema was loaded, so the next
 * run starts from them — when it was loaded with the states (a schema loaded without them
 * knows only part of them). */
export function saveSchemaStates(schema: Schema): void {
  const at = cacheFiles.get(schema);
  if (!at?.withStates || schema.factory.learned === 0) return;
  writeCache(at.files.states, at.stamps, schema);
  schema.factory.learned = 0;
}

/** How many documents make reading the cached state graph pay: with libvirt's grammar it
 * costs some 30 ms more than the grammar alone, about what learning the states anew costs
 * over a hundred documents (measured: 64 documents lint faster without it, 128 with). */
export const STATES_MIN_DOCUMENTS = 100;

/** How many documents make the JIT pay in the standalone executable (expectLongRun):
 * measured, 32 documents lint faster without it, 80 alike, the whole corpus (248) 25% faster
 * with it. */
const LONG_RUN_MIN_DOCUMENTS = 64;

const GLOB_CHARS = /[*?[]/;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') { re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'; i += glob[i + 2] === '/' ? 2 : 1; }
      else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') { const end = glob.indexOf(']', i); if (end < 0) re += '\\['; else { re += glob.slice(i, end + 1); i = end; } }
    else re += /[.+^${}()|\\]/.test(c) ? '\\' + c : c;
  }
  return new RegExp(`^${re}$`);
}

function walkDir(dir: string, out: string[], match: (path: string) => boolean): void {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // join() normalizes every path, which is measurable over a corpus
  const prefix = dir === '.' ? '' : dir.endsWith('/') ? dir : `${dir}/`;
  for (const e of entries) {
    const p = prefix + e.name;
    if (e.isDirectory()) { if (e.name !== 'node_modules' && !e.name.startsWith('.')) walkDir(p, out, match); }
    else if (match(p)) out.push(p);
  }
}

/** Files named by the arguments: a file as is, a directory's *.xml (recursively), and
 * glob patterns (*, ?, [..], **) expanded here so quoting them works the same everywhere. */
function expandInputs(args: string[], problems: Finding[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    if (GLOB_CHARS.test(arg)) {
      const parts = arg.split('/');
      const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
      const base = parts.slice(0, firstGlob).join('/') || (arg.startsWith('/') ? '/' : '.');
      const re = globToRegExp(arg.startsWith('./') ? arg.slice(2) : arg);
      const found: string[] = [];
      walkDir(base, found, (p) => re.test((base === '.' ? relative('.', p) : p).split(sep).join('/')));
      if (!found.length) problems.push(ioFinding(arg, `no files match '${arg}'`));
      files.push(...found);
      continue;
    }
    let st;
    try { st = statSync(arg); } catch { problems.push(ioFinding(arg, `cannot read '${arg}': no such file or directory`)); continue; }
    if (st.isDirectory()) {
      const found: string[] = [];
      walkDir(arg, found, (p) => p.endsWith('.xml'));
      files.push(...found);
    } else files.push(arg);
  }
  return [...new Set(files)];
}

function ioFinding(file: string, message: string): Finding {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', code: 'io-error', message };
}

function toFinding(file: string, d: Diagnostic): Finding {
  return { file, line: d.range.start.line, column: d.range.start.column, endLine: d.range.end.line, endColumn: d.range.end.column, severity: d.severity, code: d.code, message: d.message };
}

export interface LintOptions {
  schema: Schema;
  schemaOnly?: boolean;
  /** The compiler's checks, when --compile is given. */
  compileCheck?: (text: string) => Diagnostic[];
}

/** Lint one document's text; the findings are sorted by position. */
export function lintText(text: string, o: LintOptions, parsed?: XmlDocument): Diagnostic[] {
  const doc = parsed ?? parseXml(text);
  if (!doc.root) return doc.diagnostics;
  if (doc.root.local !== 'domain' || doc.root.ns) {
    return [{ code: 'not-a-domain', severity: 'error', message: `not a domain XML document: the root element is <${doc.root.name}>, not <domain>`, range: doc.root.nameRange }];
  }
  const out = validateDocument(o.schema, doc, text);
  if (!o.schemaOnly) {
    const seen = new Set(out.map((d) => `${d.range.start.offset}`));
    for (const d of checkSemantics(doc.root)) if (!seen.has(`${d.range.start.offset}`)) out.push(d);
  }
  if (o.compileCheck && !out.some((d) => d.severity === 'error')) {
    // The compiler runs on grammar-valid documents only: on others its first error would
    // repeat what the grammar said. Findings a semantic rule already made are not repeated.
    const known = new Set(out.map((d) => `${d.code}:${d.range.start.line}`));
    for (const d of o.compileCheck(text)) if (!known.has(`${d.code}:${d.range.start.line}`)) out.push(d);
  }
  return out.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

export async function runLint(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { flags: ['schema-only', 'compile', 'help', 'list-rules', 'no-cache'], values: ['schema-dir', 'format', 'caps-file', 'qemu-conf', 'root'] });
  if (p.options.has('help')) { process.stdout.write(LINT_USAGE + '\n'); return 0; }
  if (p.options.has('list-rules')) {
    for (const r of SEMANTIC_RULES) process.stdout.write(`${r.code}: ${r.description}\n`);
    return 0;
  }
  const format = (str(p, 'format') ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got '${format}')`);
  if (!p.positional.length) throw new UsageError(LINT_USAGE);
  if (p.options.has('compile') && p.options.has('schema-only')) throw new UsageError('--compile and --schema-only exclude each other');

  const schemaDir = str(p, 'schema-dir') ?? defaultSchemaDir();
  if (!schemaDir) throw new UsageError(`no grammar found: pass --schema-dir DIR (a directory with ${SCHEMA_ENTRY})`);
  const findings: Finding[] = [];
  const files = expandInputs(p.positional, findings);
  if (files.length >= LONG_RUN_MIN_DOCUMENTS) expectLongRun();
  let schema: Schema;
  try {
    schema = loadSchemaCached(join(schemaDir, SCHEMA_ENTRY), !p.options.has('no-cache'), files.length >= STATES_MIN_DOCUMENTS);
  } catch (e) {
    if (e instanceof SchemaLoadError) { process.stderr.write(`qdc lint: cannot load grammar: ${e.message}\n`); return 2; }
    throw e;
  }
  let ioErrors = findings.length;

  // --compile: the compiler's checks against --caps-file, or against the cached probe of each
  // domain's <emulator> (as `qdc compile` does), probed when a domain first names it
  let compileCheckFor: ((text: string) => Promise<LintOptions['compileCheck']>) | undefined;
  if (p.options.has('compile')) {
    const { compileInputs } = await import('./compile-inputs.js');
    const { compile, parseDomain } = await import('../compiler/src/compile.js');
    const capsFile = str(p, 'caps-file');
    if (!capsFile) {
      const { domainEmulator, probedCapsFor } = await import('./domain-caps.js');
      const { layoutFrom } = await import('./root-option.js');
      const layout = layoutFrom(p);
      const byEmulator = new Map<string, ReturnType<typeof compileInputs>['options']>();
      compileCheckFor = async (text) => {
        const domain = parseDomain(text).domain;
        const emulator = domainEmulator(domain);
        if (!emulator) return undefined;
        if (!byEmulator.has(emulator)) {
          const caps = await probedCapsFor(domain, layout);
          byEmulator.set(emulator, compileInputs({ root: str(p, 'root'), caps, qemuConf: str(p, 'qemu-conf') }).options);
        }
        const options = byEmulator.get(emulator);
        return options ? (t) => compile(t, { ...options, nowEpochSeconds: 0 }).diagnostics : undefined;
      };
    } else {
      const options = { ...compileInputs({ root: str(p, 'root'), capsFile, qemuConf: str(p, 'qemu-conf') }).options, nowEpochSeconds: 0 };
      compileCheckFor = async () => (t) => compile(t, options).diagnostics;
    }
  }

  // One file at a time: only the texts that have findings are kept (to quote their lines),
  // not the whole input, which a collector would otherwise copy and promote.
  const sources = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      findings.push(ioFinding(file, `cannot read '${file}': ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`));
      ioErrors++;
      continue;
    }
    const diags = lintText(text, { schema, schemaOnly: p.options.has('schema-only'), compileCheck: compileCheckFor && await compileCheckFor(text) });
    if (diags.length) { sources.set(file, text); for (const d of diags) findings.push(toFinding(file, d)); }
  }

  writeStdout(render(format, findings, files.length, sources));
  saveSchemaStates(schema);
  return ioErrors ? 2 : findings.length ? 1 : 0;
}

function render(format: Format, findings: Finding[], fileCount: number, sources: Map<string, string>): string {
  switch (format) {
    case 'json': return JSON.stringify(findings, null, 2) + '\n';
    case 'github': return findings.map(githubAnnotation).join('');
    case 'sarif': return JSON.stringify(sarif(findings), null, 2) + '\n';
    case 'text': return textReport(findings, fileCount, sources);
  }
}

function textReport(findings: Finding[], fileCount: number, sources: Map<string, string>): string {
  let out = '';
  const lines = new Map<string, string[]>();
  for (const f of findings) {
    out += `${f.file}:${f.line}:${f.column}: ${f.severity}[${f.code}]: ${f.message}\n`;
    const src = sources.get(f.file);
    if (src === undefined) continue;
    let ls = lines.get(f.file);
    if (!ls) { ls = src.split('\n'); lines.set(f.file, ls); }
    const line = (ls[f.line - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
    const width = f.endLine === f.line ? Math.max(1, f.endColumn - f.column) : Math.max(1, line.length - f.column + 1);
    out += `  ${line}\n  ${' '.repeat(Math.max(0, f.column - 1))}^${'~'.repeat(width - 1)}\n`;
  }
  const files = new Set(findings.map((f) => f.file)).size;
  const errors = findings.filter((f) => f.severity === 'error').length;
  out += findings.length
    ? `${findings.length} problem${findings.length > 1 ? 's' : ''} (${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}) in ${files} of ${fileCount} file${fileCount === 1 ? '' : 's'}\n`
    : `${fileCount} file${fileCount === 1 ? '' : 's'} checked, no problems\n`;
  return out;
}

// GitHub workflow commands: data is %-escaped, property values also escape ':' and ','.
const ghData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProp = (s: string): string => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function githubAnnotation(f: Finding): string {
  const level = f.severity === 'info' ? 'notice' : f.severity;
  return `::${level} file=${ghProp(f.file)},line=${f.line},col=${f.column},endLine=${f.endLine},endColumn=${f.endColumn},title=${ghProp(f.code)}::${ghData(f.message)}\n`;
}

function sarif(findings: Finding[]): unknown {
  const ruleIds = [...new Set(findings.map((f) => f.code))].sort();
  const described = new Map(SEMANTIC_RULES.map((r) => [r.code, r.description]));
  const RULE_TEXT: Record<string, string> = {
    'schema-element': 'element not allowed by the grammar at this position',
    'schema-attribute': 'attribute not allowed by the grammar on this element',
    'schema-value': 'attribute value not allowed by the grammar',
    'schema-text': 'text content not allowed by the grammar',
    'schema-missing-attribute': 'required attribute missing',
    'schema-missing-element': 'required child element missing',
    'xml-syntax': 'malformed XML',
    'xml-entity': 'entities are not allowed in domain XML',
    'not-a-domain': 'the document is not a domain definition',
    'io-error': 'the file could not be read',
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'qdc', informationUri: 'https://libvirt.org/formatdomain.html', version: '0.1.0', rules: ruleIds.map((id) => ({ id, shortDescription: { text: described.get(id) ?? RULE_TEXT[id] ?? id } })) } },
      results: findings.map((f) => ({
        ruleId: f.code,
        ruleIndex: ruleIds.indexOf(f.code),
        level: f.severity === 'info' ? 'note' : f.severity,
        message: { text: f.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: f.file.split(sep).join('/') }, region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn } } }],
      })),
    }],
  };
}
