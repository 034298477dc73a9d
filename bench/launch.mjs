#!/usr/bin/env node
// Launch latency: median time from starting `qdc run hello.xml --console` to the guest's
// serial line, against bare qemu-system-x86_64 booting the same image with -serial stdio.
// usage: node bench/launch.mjs [--runs N] [--qdc dist/qdc.js | dist/bin/qdc]...  (--qdc repeats: A/B)
// Without --qdc both forms that exist are timed: dist/qdc.js under this node (also without
// NODE_EXTRA_CA_CERTS when it is set) and the standalone executable dist/bin/qdc
// (npm run build:bin), which carries its own runtime (Bun).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('runs', '11'));
const QEMU = '/usr/bin/qemu-system-x86_64';
const noCa = { ...process.env };
delete noCa.NODE_EXTRA_CA_CERTS;
const ca = process.env.NODE_EXTRA_CA_CERTS;
/** A .js bundle runs under this node; anything else is the standalone executable. */
function form(path, env = process.env, note = '') {
  const file = resolve(path);
  if (file.endsWith('.js')) return { name: `node ${process.version} ${path}${note}`, cmd: [process.execPath, file], env };
  const v = spawnSync(file, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^qdc \S+ /, '');
  return { name: `standalone ${path} ${v}`, cmd: [file], env };
}
const chosen = args.flatMap((a, i) => (a === '--qdc' ? [args[i + 1]] : []));
const forms = chosen.length ? chosen.map((p) => form(p)) : [
  ...(existsSync('dist/bin/qdc') ? [form('dist/bin/qdc')] : []),
  form('dist/qdc.js'),
  ...(ca ? [form('dist/qdc.js', noCa, ' without NODE_EXTRA_CA_CERTS')] : []),
];
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
const withQdc = (f) => timeToLine(f.cmd[0], [...f.cmd.slice(1), 'run', xml, '--root', root, '--console'], { ...f.env, QDC_PROGRESS: '1' });
const nodeStart = () => new Promise((res) => { const t0 = performance.now(); spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', () => res(performance.now() - t0)); });

try {
  // Warm up: the first qdc run probes QEMU's capabilities into the root's cache and fills
  // the code cache.
  for (const f of forms) await withQdc(f);
  await bare();
  const t = { bare: [], node: [], qdc: forms.map(() => []) };
  for (let i = 0; i < runs; i++) { // interleaved, so load on the machine hits all alike
    t.bare.push((await bare()).ms);
    for (let k = 0; k < forms.length; k++) t.qdc[k].push(await withQdc(forms[k]));
    t.node.push(await nodeStart());
  }
  const b = median(t.bare);
  const stages = (xs) => `QEMU spawned at ${median(xs.map((x) => x.spawned ?? NaN)).toFixed(0)} ms, guest running at ${median(xs.map((x) => x.running ?? NaN)).toFixed(0)} ms`;
  console.log(`launch to guest serial line, median of ${runs} (hello guest, TCG; target <= 1.5x bare QEMU):`);
  console.log(`  bare qemu-system-x86_64 ${''.padEnd(44)} ${b.toFixed(0).padStart(4)} ms`);
  forms.forEach((f, k) => {
    const m = median(t.qdc[k].map((x) => x.ms));
    console.log(`  qdc run --console, ${f.name.padEnd(48)} ${m.toFixed(0).padStart(4)} ms  ${(m / b).toFixed(2)}x  (${stages(t.qdc[k])} on qdc's clock)`);
  });
  console.log(`  node ${process.version} -e 0: ${median(t.node).toFixed(0)} ms; NODE_EXTRA_CA_CERTS ${ca ? `set (${ca})` : 'not set'}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
