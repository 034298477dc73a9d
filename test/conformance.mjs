#!/usr/bin/env node
// Runs libvirt's conformance corpus (../shared/conformance) against `qdc compile` and
// enforces the ratchet: every case listed in test/conformance-ratchet.txt must still pass.
//   node test/conformance.mjs [--update] [runner options…]
// --update rewrites the ratchet with everything that passes now (only ever grows it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.QDC_CONFORMANCE_DIR ?? resolve(root, '../shared/conformance');
const ratchetFile = join(root, 'test/conformance-ratchet.txt');
const args = process.argv.slice(2);
const update = args.includes('--update');
const passthrough = args.filter((a) => a !== '--update');

if (!existsSync(join(shared, 'run.mjs'))) {
  console.error(`conformance: corpus not found at ${shared} (set QDC_CONFORMANCE_DIR)`);
  process.exit(2);
}
const qdc = process.env.QDC_BIN ?? join(root, 'dist/qdc.js');
if (!existsSync(qdc)) {
  console.error(`conformance: ${qdc} is missing; run \`npm run build\` first`);
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'qdc-conf-'));
const jsonOut = join(tmp, 'results.json');
const cmd = `{node} ${qdc} compile {xml} --caps-file {caps} --qemu-conf {conf} --format json`;
const r = spawnSync(process.execPath, [join(shared, 'run.mjs'), '--cmd', cmd, '--json', jsonOut, ...passthrough], { stdio: 'inherit' });
if (r.status !== 0) { rmSync(tmp, { recursive: true, force: true }); process.exit(r.status ?? 2); }
const doc = JSON.parse(readFileSync(jsonOut, 'utf8'));
rmSync(tmp, { recursive: true, force: true });
const passing = new Set(doc.results.filter((x) => (x.kind === 'args' ? x.strict : x.rejected)).map((x) => `${x.kind} ${x.id}`));
const ran = new Set(doc.results.map((x) => `${x.kind} ${x.id}`));
const ratchet = existsSync(ratchetFile) ? readFileSync(ratchetFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
const regressed = ratchet.filter((c) => ran.has(c) && !passing.has(c));
const crashes = doc.results.filter((x) => ['crash', 'timeout'].includes(x.outcome));
if (update) {
  const merged = [...new Set([...ratchet, ...passing])].sort();
  writeFileSync(ratchetFile, '# conformance cases that pass; CI fails if one stops passing (npm run conformance -- --update grows it)\n' + merged.join('\n') + '\n');
  console.log(`ratchet: ${merged.length} cases recorded (${merged.length - ratchet.length} new)`);
}
if (crashes.length) console.error(`conformance: ${crashes.length} crash/timeout case(s): ${crashes.map((x) => x.id).join(', ')}`);
if (regressed.length) {
  console.error(`conformance: ${regressed.length} case(s) in the ratchet no longer pass:\n  ${regressed.join('\n  ')}`);
}
console.log(`ratchet: ${ratchet.length} required, ${regressed.length} regressed; passing now ${passing.size}`);
process.exit(regressed.length || crashes.length ? 1 : 0);
