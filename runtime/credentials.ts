// qemu.conf `user` / `group`: who QEMU runs as. libvirt's system driver switches to them; we
// can only when qdc itself runs as root, and then hand QEMU's files (private dir, master key,
// log) to that user. Names resolve through /etc/passwd and /etc/group; `+N` is a numeric id,
// as in libvirt.
import { readFileSync } from 'node:fs';
import { RuntimeError } from './errors.js';

export interface RunAs { uid: number; gid: number; user: string }

function lookup(file: string, name: string, field: number): number | undefined {
  if (name.startsWith('+')) { const n = Number(name.slice(1)); return Number.isInteger(n) && n >= 0 ? n : undefined; }
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[field] !== undefined) return Number(f[field]);
  }
  return undefined;
}

/** The credentials to start QEMU with, or undefined to keep ours. */
export function resolveRunAs(user: string | undefined, group: string | undefined, warn: (msg: string) => void): RunAs | undefined {
  if (user === undefined && group === undefined) return undefined;
  const myUid = process.getuid?.() ?? -1;
  if (myUid !== 0) {
    warn(`qemu.conf user/group (${user ?? ''}${group ? `:${group}` : ''}) ignored: qdc is not running as root, so QEMU runs as the invoking user (as libvirt's session driver does)`);
    return undefined;
  }
  const uid = user === undefined ? 0 : lookup('/etc/passwd', user, 2);
  if (uid === undefined) throw new RuntimeError(`qemu.conf: user '${user}' does not exist`);
  const gid = group !== undefined ? lookup('/etc/group', group, 2) : user !== undefined ? lookup('/etc/passwd', user, 3) : 0;
  if (gid === undefined) throw new RuntimeError(`qemu.conf: group '${group}' does not exist`);
  return { uid, gid, user: user ?? 'root' };
}
