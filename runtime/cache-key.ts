// Keys for cache file names. Not node:crypto: loading it costs ~10 ms of every command's
// start-up (it brings its whole cipher and key machinery), and a file name needs no more
// than a stable 64-bit hash.

/** A short, stable, non-cryptographic key for a string (FNV-1a, 64 bits as hex). */
export function cacheKey(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
