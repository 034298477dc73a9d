// Capabilities for a domain when no --caps-file is given: the cached probe of the domain's
// <emulator> (libvirt's default binary for the guest arch when the XML names none).
import { parseDomain, type QemuCaps } from '../compiler/src/index.js';
import { cachedCaps } from '../runtime/probe.js';
import type { RootLayout } from '../runtime/root.js';

export function domainEmulator(text: string): string | undefined {
  const d = parseDomain(text).domain;
  if (!d) return undefined;
  return d.emulator?.path ?? `/usr/bin/qemu-system-${d.os.arch || 'x86_64'}`;
}

export async function probedCapsFor(text: string, layout: RootLayout): Promise<QemuCaps | undefined> {
  const emulator = domainEmulator(text);
  if (!emulator) return undefined; // the compile reports why the XML is unusable
  return (await cachedCaps(layout.cacheDir, emulator)).caps;
}
