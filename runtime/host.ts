// Host capabilities (libvirt's <capabilities> document, guest part): which emulators are
// installed and whether KVM is usable. Found by looking, not by starting anything.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { arch as nodeArch } from 'node:os';

export interface HostEmulator { path: string; arch: string }
export interface HostCaps { arch: string; kvm: { present: boolean; usable: boolean }; emulators: HostEmulator[] }

const NODE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const WORDSIZE_32 = new Set(['i386', 'i686', 'arm', 'armv7l', 'mips', 'mipsel', 'ppc', 'riscv32', 'sparc']);

export function hostArch(): string {
  return NODE_ARCH[nodeArch()] ?? nodeArch();
}

export function findHostCaps(binDir = '/usr/bin'): HostCaps {
  const arch = hostArch();
  let present = false;
  let usable = false;
  try { present = statSync('/dev/kvm').isCharacterDevice(); } catch { /* no kvm module */ }
  if (present) { try { accessSync('/dev/kvm', constants.R_OK | constants.W_OK); usable = true; } catch { /* no permission */ } }
  let names: string[] = [];
  try { names = readdirSync(binDir); } catch { /* no such dir */ }
  const emulators: HostEmulator[] = [];
  for (const n of names.sort()) {
    const m = /^qemu-system-([\w]+)$/.exec(n);
    if (!m && n !== 'qemu-kvm') continue;
    const path = `${binDir}/${n}`;
    try { accessSync(path, constants.X_OK); } catch { continue; }
    emulators.push({ path, arch: m ? (m[1] === 'i386' ? 'i686' : m[1]!) : arch });
  }
  return { arch, kvm: { present, usable }, emulators };
}

export function formatHostCaps(h: HostCaps): string {
  const o = ['<capabilities>', '  <host>', '    <cpu>', `      <arch>${h.arch}</arch>`, '    </cpu>',
    `    <kvm path='/dev/kvm' present='${h.kvm.present ? 'yes' : 'no'}' usable='${h.kvm.usable ? 'yes' : 'no'}'/>`, '  </host>'];
  for (const e of h.emulators) {
    o.push('  <guest>', '    <os_type>hvm</os_type>', `    <arch name='${e.arch}'>`, `      <wordsize>${WORDSIZE_32.has(e.arch) ? 32 : 64}</wordsize>`,
      `      <emulator>${e.path}</emulator>`, "      <domain type='qemu'/>");
    // KVM runs guests of the host's own architecture (and i686 on x86_64).
    if (h.kvm.usable && (e.arch === h.arch || (h.arch === 'x86_64' && e.arch === 'i686'))) o.push("      <domain type='kvm'/>");
    o.push('    </arch>', '  </guest>');
  }
  o.push('</capabilities>', '');
  return o.join('\n');
}
