// libvirt's scaled integers: <memory unit='GiB'>2</memory> etc. Normalised to KiB or bytes.
const FACTORS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  kb: 1000, k: 1024, kib: 1024,
  mb: 1000 ** 2, m: 1024 ** 2, mib: 1024 ** 2,
  gb: 1000 ** 3, g: 1024 ** 3, gib: 1024 ** 3,
  tb: 1000 ** 4, t: 1024 ** 4, tib: 1024 ** 4,
  pb: 1000 ** 5, p: 1024 ** 5, pib: 1024 ** 5,
  eb: 1000 ** 6, e: 1024 ** 6, eib: 1024 ** 6,
};

/** Bytes for a value in `unit` (default `defaultUnit`); undefined if the unit is unknown. */
export function scaledBytes(value: number, unit: string | undefined, defaultUnit: string): number | undefined {
  const f = FACTORS[(unit ?? defaultUnit).toLowerCase()];
  return f === undefined ? undefined : value * f;
}

/** KiB rounded up, as libvirt stores memory sizes. */
export function bytesToKiB(bytes: number): number {
  return Math.ceil(bytes / 1024);
}
