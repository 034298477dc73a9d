// Runtime failures a user can act on: a message and, where there is one, what to do.
export class RuntimeError extends Error {
  constructor(message: string, readonly hint?: string) { super(message); }
}

/** Debian's package for a qemu-system-ARCH binary. */
function debianPackage(binary: string): string {
  const arch = /qemu-system-(\w+)$/.exec(binary)?.[1];
  if (!arch) return 'qemu-system-x86';
  if (/^(x86_64|i386)$/.test(arch)) return 'qemu-system-x86';
  if (/^(aarch64|arm)$/.test(arch)) return 'qemu-system-arm';
  if (/^ppc/.test(arch)) return 'qemu-system-ppc';
  if (/^mips/.test(arch)) return 'qemu-system-mips';
  if (/^sparc/.test(arch)) return 'qemu-system-sparc';
  if (arch === 's390x') return 'qemu-system-s390x';
  return 'qemu-system-misc';
}

export function missingEmulatorError(emulator: string): RuntimeError {
  return new RuntimeError(
    `QEMU binary '${emulator}' not found`,
    `install QEMU (Debian/Ubuntu: apt-get install ${debianPackage(emulator)}; Fedora: dnf install qemu-kvm) or point <emulator> at an installed binary`,
  );
}
