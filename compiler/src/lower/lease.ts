// <lease>: nothing on the command line; leases are for the lock manager, which is a runtime
// concern (libvirt's default 'nop' lock manager ignores them as well).
import type { Family } from './family.js';

export const leaseFamily: Family<'lease'> = {
  kind: 'lease',
  lower() { /* no QEMU option */ },
};
