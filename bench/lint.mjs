#!/usr/bin/env node
// Lint speed: the warm in-process validation median per document over the conformance
// corpus, and one `qdc lint` process over the whole corpus beside one
// `xmllint --relaxng` process on the same files (when xmllint is installed).
//   node bench/lint.mjs [--runs N] [--schema-dir DIR]   (default DIR: the installed libvirt grammar)
// qdc is timed in both forms that exist: dist/qdc.js under this node, and the standalone
// executable dist/bin/qdc (npm run build:bin), which carries its own runtime (Bun).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.QDC_CONFORMANCE_DIR ?? join(root, '../shared/conformance'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 11));
const schemaDir = resolve(arg('--schema-dir', existsSync('/usr/share/libvirt/schemas/domain.rng') ? '/usr/share/libvirt/schemas' : join(root, 'grammars')));
const dist = resolve(process.env.QDC_DIST ?? join(root, 'dist')); // QDC_DIST: a private build
if (!existsSync(join(dist, 'compiler.js'))) { console.error('bench: run `npm run build` first'); process.exit(2); }
const { loadSchema, validateDocument, parseXml } = createRequire(import.meta.url)(join(dist, 'compiler.js'));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const dataDir = join(corpus, 'tests/qemuxml2argvdata');
const files = readdirSync(dataDir).filter((f) => f.endsWith('.xml')).sort().map((f) => join(dataDir, f));
const texts = files.map((f) => readFileSync(f, 'utf8'));

let t0 = performance.now();
const schema = loadSchema(join(schemaDir, 'domain.rng'), (f) => readFileSync(f, 'utf8'));
const loadMs = performance.now() - t0;
const docs = texts.map((t) => parseXml(t));
let invalid = 0;
for (let i = 0; i < docs.length; i++) if (!docs[i].root || validateDocument(schema, docs[i], texts[i]).length) invalid++;
for (let r = 0; r < 3; r++) for (let i = 0; i < docs.length; i++) if (docs[i].root) { parseXml(texts[i]); validateDocument(schema, docs[i], texts[i]); }
const validateOnly = [];
const parseAndValidate = [];
for (let i = 0; i < docs.length; i++) {
  if (!docs[i].root) continue;
  const a = [], b = [];
  for (let r = 0; r < 15; r++) {
    let s = performance.now();
    validateDocument(schema, docs[i], texts[i]);
    a.push(performance.now() - s);
    s = performance.now();
    const d = parseXml(texts[i]);
    validateDocument(schema, d, texts[i]);
    b.push(performance.now() - s);
  }
  validateOnly.push(median(a));
  parseAndValidate.push(median(b));
}
console.log(`grammar ${schemaDir}: loaded in ${loadMs.toFixed(0)} ms; ${files.length} corpus documents, ${invalid} invalid`);
console.log(`in-process (warm) validation: median ${median(validateOnly).toFixed(4)} ms/doc; parse + validation: median ${median(parseAndValidate).toFixed(4)} ms/doc (target <= 0.25 ms)`);

// One process over the whole corpus: wall-clock medians, the commands interleaved run by run
// so that the machine's load hits all of them alike, and CPU (user+sys) of one run.
function timeInterleaved(commands) {
  const wall = commands.map(() => []);
  const status = commands.map(() => -1);
  for (let r = 0; r < runs; r++) {
    commands.forEach(([cmd, args], k) => {
      const s = performance.now();
      const p = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
      wall[k].push(performance.now() - s);
      status[k] = p.status;
    });
  }
  return commands.map((_, k) => ({ wall: median(wall[k]), status: status[k] }));
}
function childCpu(cmd, args) {
  // bash's `times` reports the children's CPU time; one run is enough for the figure.
  const p = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'bench', cmd, ...args], { encoding: 'utf8' });
  const lines = p.stdout.trim().split('\n');
  const [u, s] = (lines[lines.length - 1] ?? '').split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
  return ((u ?? 0) + (s ?? 0)) * 1000;
}
const lintArgs = ['lint', '--schema-dir', schemaDir, '--format', 'json'];
const forms = [{ name: `node ${process.version} dist/qdc.js`, cmd: process.execPath, pre: [join(dist, 'qdc.js')] }];
const standalone = join(dist, 'bin/qdc');
if (existsSync(standalone)) {
  const v = spawnSync(standalone, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^qdc \S+ /, '');
  forms.push({ name: `standalone dist/bin/qdc ${v}`, cmd: standalone, pre: [] });
}
const xmllint = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' }).stdout.trim();
const xargs = (fs) => ['--noout', '--relaxng', join(schemaDir, 'domain.rng'), ...fs];

// Node's own start-up is part of every figure; NODE_EXTRA_CA_CERTS makes Node 20 load a
// certificate bundle first, so say whether it was set and what a bare start costs.
const noCa = { ...process.env };
delete noCa.NODE_EXTRA_CA_CERTS;
const [bare, bareClean] = timeInterleaved([[process.execPath, ['-e', '0']], ['env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0']]]);
console.log(`node ${process.version} start-up (node -e 0): ${bare.wall.toFixed(0)} ms; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? `is set (without it: ${bareClean.wall.toFixed(0)} ms)` : 'is not set'}`);

for (const which of [{ label: 'whole corpus', files: [dataDir], xfiles: files }, { label: 'one document', files: [files.find((f) => f.endsWith('/disk-cdrom.xml')) ?? files[0]] }]) {
  which.xfiles ??= which.files;
  const commands = forms.map((f) => [f.cmd, [...f.pre, ...lintArgs, ...which.files]]);
  // The first run fills the caches (compiled grammar, derivative states, code cache): the
  // figures are for the runs after it, as a user who lints again sees them.
  for (const [cmd, args] of commands) spawnSync(cmd, args, { stdio: 'ignore' });
  if (xmllint) commands.push([xmllint, xargs(which.xfiles)]);
  const t = timeInterleaved(commands);
  console.log(`${which.label}, one process, median of ${runs}:`);
  forms.forEach((f, k) => {
    const vs = xmllint ? `, ${(t[k].wall / t[forms.length].wall).toFixed(2)}x xmllint` : '';
    console.log(`  qdc lint, ${f.name.padEnd(44)} ${t[k].wall.toFixed(0).padStart(4)} ms (exit ${t[k].status}${vs}${which.xfiles.length > 1 ? `; cpu ${childCpu(...commands[k]).toFixed(0)} ms` : ''})`);
  });
  if (xmllint) console.log(`  xmllint --relaxng ${''.padEnd(44 + 10)} ${t[forms.length].wall.toFixed(0).padStart(4)} ms${which.xfiles.length > 1 ? ` (cpu ${childCpu(xmllint, xargs(which.xfiles)).toFixed(0)} ms)` : ''}`);
  else console.log('  xmllint not installed');
}
