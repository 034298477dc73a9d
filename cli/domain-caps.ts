// Capabilities for a domain when no --caps-file is given: the cached probe of the domain's
// <emulator> (libvirt's default binary for the guest arch when the XML names none).
import type { Domain, QemuCaps } from '../compiler/src/index.js';
import { cachedCaps } from '../runtime/probe.js';
import type { RootLayout } from '../runtime/root.js';

/** `d`: the domain model (parseDomain), undefined when the XML is unusable. */
export function domainEmulator(d: Domain | undefined): string | undefined {
  if (!d) return undefined;
  return d.emulator?.path ?? `/usr/bin/qemu-system-${d.os.arch || 'x86_64'}`;
}

export async function probedCapsFor(d: Domain | undefined, layout: RootLayout): Promise<QemuCaps | undefined> {
  const emulator = domainEmulator(d);
  if (!emulator) return undefined; // the compile reports why the XML is unusable
  return (await cachedCaps(layout.cacheDir, emulator)).caps;
}
