#!/usr/bin/env node
// Lint speed: the warm in-process validation median per document over the conformance
// corpus, and one `qdc lint` process over the whole corpus beside one
// `xmllint --relaxng` process on the same files (when xmllint is installed).
//   node bench/lint.mjs [--runs N] [--schema-dir DIR]   (default DIR: the installed libvirt grammar)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.QDC_CONFORMANCE_DIR ?? join(root, '../shared/conformance'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 5));
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

// One process over the whole corpus: wall-clock and CPU (user+sys) medians.
function timeProcess(cmd, args) {
  const wall = [];
  let status = -1;
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    const p = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    wall.push(performance.now() - s);
    status = p.status;
  }
  return { wall: median(wall), status };
}
function childCpu(cmd, args) {
  // bash's `times` reports the children's CPU time; one run is enough for the figure.
  const p = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'bench', cmd, ...args], { encoding: 'utf8' });
  const lines = p.stdout.trim().split('\n');
  const [u, s] = (lines[lines.length - 1] ?? '').split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
  return ((u ?? 0) + (s ?? 0)) * 1000;
}
const qdc = [join(dist, 'qdc.js'), 'lint', '--schema-dir', schemaDir, '--format', 'json', dataDir];
// Node's own start-up is part of every figure; NODE_EXTRA_CA_CERTS makes it load a
// certificate bundle first, so say whether it was set and what a bare start costs.
const bare = timeProcess(process.execPath, ['-e', '0']);
const bareClean = process.env.NODE_EXTRA_CA_CERTS ? (() => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
  try { return timeProcess(process.execPath, ['-e', '0']); } finally { process.env.NODE_EXTRA_CA_CERTS = saved; }
})() : bare;
console.log(`node start-up (node -e 0): ${bare.wall.toFixed(0)} ms; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? `is set (without it: ${bareClean.wall.toFixed(0)} ms)` : 'is not set'}`);
// The first run fills the caches (compiled grammar, derivative states, code cache): the
// figures are for the runs after it, as a user who lints again sees them.
const cold = timeProcess(process.execPath, [...qdc.slice(0, 2), '--no-cache', ...qdc.slice(2)]);
spawnSync(process.execPath, qdc, { stdio: 'ignore' });
const ours = timeProcess(process.execPath, qdc);
const oursCpu = childCpu(process.execPath, qdc);
let line = `whole corpus, one process: qdc lint ${ours.wall.toFixed(0)} ms (cpu ${oursCpu.toFixed(0)} ms, exit ${ours.status}; --no-cache ${cold.wall.toFixed(0)} ms)`;
const xmllint = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' }).stdout.trim();
if (xmllint) {
  const xargs = ['--noout', '--relaxng', join(schemaDir, 'domain.rng'), ...files];
  const theirs = timeProcess(xmllint, xargs);
  line += `; xmllint --relaxng ${theirs.wall.toFixed(0)} ms (cpu ${childCpu(xmllint, xargs).toFixed(0)} ms)`;
} else line += '; xmllint not installed';
console.log(line);
// One document: start-up and cache loading dominate.
const one = files.find((f) => f.endsWith('/disk-cdrom.xml')) ?? files[0];
const single = timeProcess(process.execPath, [...qdc.slice(0, -1), one]);
let oneLine = `one document, one process: qdc lint ${single.wall.toFixed(0)} ms`;
if (xmllint) oneLine += `; xmllint --relaxng ${timeProcess(xmllint, ['--noout', '--relaxng', join(schemaDir, 'domain.rng'), one]).wall.toFixed(0)} ms`;
console.log(oneLine);
