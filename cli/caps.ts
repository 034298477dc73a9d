// `qdc caps [--emulator PATH] [--root DIR] [--refresh] [--output FILE]` probes a QEMU binary
// (cached per binary path, size and mtime) and prints libvirt's <qemuCaps> document, which
// `qdc compile --caps-file` reads. `qdc caps --host` lists the installed emulators and KVM.
import { writeFileSync } from 'node:fs';
import { formatHostCaps, findHostCaps, hostArch } from '../runtime/host.js';
import { cachedCaps } from '../runtime/probe.js';
import { ensureRoot } from '../runtime/root.js';
import { parseArgs, str, UsageError } from './args.js';
import { layoutFrom } from './root-option.js';
import { writeStdout } from './stdout.js';

export async function runCaps(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { flags: ['host', 'refresh', 'time'], values: ['emulator', 'root', 'output'] });
  if (p.positional.length) throw new UsageError('usage: qdc caps [--emulator PATH] [--root DIR] [--refresh] [--output FILE] | qdc caps --host');
  if (p.options.has('host')) {
    process.stdout.write(formatHostCaps(findHostCaps()));
    return 0;
  }
  const layout = layoutFrom(p);
  ensureRoot(layout);
  const emulator = str(p, 'emulator') ?? `/usr/bin/qemu-system-${hostArch()}`;
  const t0 = performance.now();
  const r = await cachedCaps(layout.cacheDir, emulator, { refresh: p.options.has('refresh') });
  const ms = performance.now() - t0;
  const out = str(p, 'output');
  const xml = r.xml();
  if (out) writeFileSync(out, xml); else writeStdout(xml);
  if (p.options.has('time') || out) {
    process.stderr.write(`qdc caps: ${r.probed ? `probed ${emulator} in ${Math.round(ms)} ms` : `cached (${Math.round(ms)} ms)`}: ${r.caps.flags.size} flags, ${r.caps.machines.length} machines; cache ${r.file}\n`);
  }
  return 0;
}
