// Capabilities for a domain when no --caps-file is given: the cached probe of the domain's
// <emulator> (libvirt's default binary for the guest arch when the XML names none).
import { parseDomain, type QemuCaps, type XmlDocument } from '../compiler/src/index.js';
import { cachedCaps } from '../runtime/probe.js';
import type { RootLayout } from '../runtime/root.js';

/** `document`: the text already parsed, when the caller has it (a parse is not free). */
export function domainEmulator(text: string, document?: XmlDocument): string | undefined {
  const d = parseDomain(text, document).domain;
  if (!d) return undefined;
  return d.emulator?.path ?? `/usr/bin/qemu-system-${d.os.arch || 'x86_64'}`;
}

export async function probedCapsFor(text: string, layout: RootLayout, document?: XmlDocument): Promise<QemuCaps | undefined> {
  const emulator = domainEmulator(text, document);
  if (!emulator) return undefined; // the compile reports why the XML is unusable
  return (await cachedCaps(layout.cacheDir, emulator)).caps;
}
