// Random bytes from the kernel for keys (a domain's master key). node:crypto's randomBytes
// would do, but loading node:crypto costs ~10 ms of `qdc run`'s start-up, before QEMU is
// spawned; reading the kernel's generator costs three system calls.
import { closeSync, openSync, readSync } from 'node:fs';

export function randomKey(bytes: number): Buffer {
  const key = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let n = 0; n < bytes;) n += readSync(fd, key, n, bytes - n, null);
  } finally {
    closeSync(fd);
  }
  return key;
}
