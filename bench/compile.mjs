#!/usr/bin/env node
// Compile speed: the in-process median per domain over the conformance corpus, and a cold
// `qdc compile` process against `node -e 0` (node's own start-up is part of every CLI call).
//   node bench/compile.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.QDC_CONFORMANCE_DIR ?? join(root, '../shared/conformance'));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
if (!existsSync(join(root, 'dist/compiler.js'))) { console.error('bench: run `npm run build` first'); process.exit(2); }
const { createRequire } = await import('node:module');
const { compile, parseQemuCaps, defaultDriverConfig } = createRequire(import.meta.url)(join(root, 'dist/compiler.js'));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const capsFile = join(corpus, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml');
const caps = parseQemuCaps(readFileSync(capsFile, 'utf8'));
const cases = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')).cases.filter((c) => c.kind === 'args');
const docs = cases.map((c) => readFileSync(join(corpus, c.xml), 'utf8'));
const libDir = '/var/lib/qdc-bench/lib/qemu';
const opts = {
  caps, config: defaultDriverConfig(libDir), domainId: 1, monitorFd: 3, hostEnv: { PATH: '/bin' },
  paths: { libDir, channelTargetDir: `${libDir}/channel/target`, runDir: '/run/qdc', logDir: '/var/log/qdc' }, nowEpochSeconds: 0,
};

// warm up the JIT, then time each document separately
for (let i = 0; i < 3; i++) for (const d of docs) compile(d, opts);
const perDoc = docs.map((d) => {
  const t = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); compile(d, opts); t.push(performance.now() - t0); }
  return median(t);
});
let ok = 0;
for (const d of docs) if (compile(d, opts).plan) ok++;
console.log(`in-process compile: median ${median(perDoc).toFixed(3)} ms/domain over ${docs.length} corpus domains (${ok} compile to a plan; libvirt ~2.2 ms; target <= 0.5 ms)`);

const xml = join(corpus, 'tests/qemuxml2argvdata/genid.xml');
const time = (args) => {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    t.push(performance.now() - t0);
    if (r.status !== 0) { console.error(`bench: ${args.join(' ')} exited ${r.status}`); process.exit(1); }
  }
  return median(t);
};
const nodeStart = time(['-e', '0']);
const args = [join(root, 'dist/qdc.js'), 'compile', xml, '--caps-file', capsFile, '--format', 'json'];
const qdcCold = time(args);
process.env.QDC_NO_CODE_CACHE = '1';
const qdcNoCache = time(args);
delete process.env.QDC_NO_CODE_CACHE;
console.log(`cold start (a new process per call): node -e 0 ${nodeStart.toFixed(1)} ms, qdc compile ${qdcCold.toFixed(1)} ms, ratio ${(qdcCold / nodeStart).toFixed(2)}x (target <= 1.3x; virsh domxml-to-native ~66 ms)`);
console.log(`  without V8's code cache (the very first run after an install): ${qdcNoCache.toFixed(1)} ms, ${(qdcNoCache / nodeStart).toFixed(2)}x`);
console.log(`NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS}): adds ~85 ms to every node start` : 'not set'}`);
