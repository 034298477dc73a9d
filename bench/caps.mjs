#!/usr/bin/env node
// Capability probe time: `qdc caps --refresh` (a fresh probe of qemu-system-x86_64, no cache),
// median of N, against libvirt's first-connection probe of the same QEMU (~3.9 s measured on
// this kind of machine with libvirt 9.0; libvirt is not installed here to re-measure).
// usage: node bench/caps.mjs [--runs N] [--qdc dist/qdc.js]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('runs', '7'));
const qdc = resolve(opt('qdc', process.env.QDC_BIN ?? 'dist/qdc.js'));
const LIBVIRT_MS = 3900;
const root = mkdtempSync('/tmp/qc-');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
try {
  const probe = [];
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [qdc, 'caps', '--root', root, '--refresh', '--time'], { encoding: 'utf8' });
    wall.push(performance.now() - t0);
    const m = /probed .* in (\d+) ms/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`qdc caps failed:\n${r.stderr}`);
    probe.push(Number(m[1]));
  }
  const p = median(probe);
  console.log(`capability probe of /usr/bin/qemu-system-x86_64, median of ${runs}:`);
  console.log(`  qdc probe (QEMU start to caps XML)   ${p} ms  (target <= 500 ms)`);
  console.log(`  qdc caps, whole command             ${median(wall).toFixed(0)} ms`);
  console.log(`  libvirt first-connection probe      ~${LIBVIRT_MS} ms  -> ${(LIBVIRT_MS / p).toFixed(1)}x faster`);
  console.log(`  NODE_EXTRA_CA_CERTS                 ${process.env.NODE_EXTRA_CA_CERTS ? 'set (adds ~85 ms to the whole command)' : 'not set'}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
