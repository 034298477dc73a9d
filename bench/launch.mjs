#!/usr/bin/env node
// Launch latency: median time from starting `qdc run hello.xml --console` to the guest's
// serial line, against bare qemu-system-x86_64 booting the same image with -serial stdio.
// usage: node bench/launch.mjs [--runs N] [--qdc dist/qdc.js | dist/bin/qdc]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('runs', '9'));
const qdc = resolve(opt('qdc', process.env.QDC_BIN ?? 'dist/qdc.js'));
const QEMU = '/usr/bin/qemu-system-x86_64';
// A .js bundle runs under this node; anything else is taken as the standalone executable (npm run build:bin).
const qdcCmd = qdc.endsWith('.js') ? [process.execPath, qdc] : [qdc];
const LINE = 'hello from the qdc guest';

const root = mkdtempSync('/tmp/qb-');
const image = join(root, 'hello.img');
execFileSync(process.execPath, [resolve('fixtures/guests/make-hello.mjs'), image]);
const xml = join(root, 'hello.xml');
writeFileSync(xml, readFileSync(resolve('fixtures/domains/hello.xml'), 'utf8').replaceAll('/tmp/qdc-hello.img', image));

/** ms from spawn to `LINE` on stdout; the process is left to finish on its own. */
function timeToLine(cmd, argv, env = process.env) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let seen;
    child.stdout.on('data', (d) => { out += d; if (seen === undefined && out.includes(LINE)) seen = performance.now() - t0; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      if (seen === undefined) { reject(new Error(`${cmd} exited ${code} without the guest line:\n${err}`)); return; }
      // qdc's progress lines (QDC_PROGRESS=1) say when, on its own clock, QEMU was spawned
      const at = (stage) => { const m = new RegExp(`^  ${stage} .*\\((\\d+) ms\\)$`, 'm').exec(err); return m ? Number(m[1]) : undefined; };
      resolvePromise({ ms: seen, spawned: at('spawned'), running: at('running') });
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const bare = () => timeToLine(QEMU, ['-machine', 'pc,accel=tcg', '-m', '16', '-nodefaults', '-display', 'none', '-serial', 'stdio',
  '-drive', `file=${image},format=raw,if=ide`]);
const withQdc = (env) => timeToLine(qdcCmd[0], [...qdcCmd.slice(1), 'run', xml, '--root', root, '--console'], { ...env, QDC_PROGRESS: '1' });
const noCa = { ...process.env };
delete noCa.NODE_EXTRA_CA_CERTS;
const nodeStart = () => new Promise((res) => { const t0 = performance.now(); spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', () => res(performance.now() - t0)); });

try {
  // Warm up: the first qdc run probes QEMU's capabilities into the root's cache.
  await withQdc(process.env);
  await bare();
  const t = { qdc: [], bare: [], qdcNoCa: [], node: [] };
  for (let i = 0; i < runs; i++) { // interleaved, so load on the machine hits all alike
    t.qdc.push(await withQdc(process.env));
    t.bare.push((await bare()).ms);
    t.node.push(await nodeStart());
    if (process.env.NODE_EXTRA_CA_CERTS) t.qdcNoCa.push(await withQdc(noCa));
  }
  const ms = (xs) => xs.map((x) => x.ms);
  const m = { qdc: median(ms(t.qdc)), bare: median(t.bare) };
  const stages = (xs) => `QEMU spawned at ${median(xs.map((x) => x.spawned ?? NaN)).toFixed(0)} ms, guest running at ${median(xs.map((x) => x.running ?? NaN)).toFixed(0)} ms (qdc's clock)`;
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  console.log(`launch to guest serial line, median of ${runs} (hello guest, TCG; qdc = ${qdcCmd.join(' ')}):`);
  console.log(`  qdc run --console      ${m.qdc.toFixed(0)} ms   ${stages(t.qdc)}`);
  console.log(`  bare qemu-system       ${m.bare.toFixed(0)} ms`);
  console.log(`  ratio                  ${(m.qdc / m.bare).toFixed(2)}x  (target <= 1.5x)`);
  console.log(`  node -e 0              ${median(t.node).toFixed(0)} ms (node's own start, part of qdc's figure)`);
  console.log(`  NODE_EXTRA_CA_CERTS    ${ca ? `set (${ca})` : 'not set'}`);
  if (ca) {
    const n = median(ms(t.qdcNoCa));
    console.log(`  qdc without it         ${n.toFixed(0)} ms, ratio ${(n / m.bare).toFixed(2)}x   ${stages(t.qdcNoCa)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
