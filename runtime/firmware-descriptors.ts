// The host's QEMU firmware descriptors, where libvirt looks for them: /usr/share/qemu/firmware
// (the distribution's), /etc/qemu/firmware (the administrator's) and, for an unprivileged
// user, $XDG_CONFIG_HOME/qemu/firmware. A file name in a later directory replaces the same
// name in an earlier one (an empty file hides it); all are then taken in file-name order.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FirmwareDescriptorError, parseFirmwareDescriptor, type FirmwareDescriptor } from '../compiler/src/caps/firmware.js';

/** The directories, lowest priority first. */
export function firmwareDirs(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string[] {
  const dirs = ['/usr/share/qemu/firmware', '/etc/qemu/firmware'];
  if (uid !== 0) dirs.push(join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'qemu/firmware'));
  return dirs;
}

export interface FoundDescriptors { descriptors: FirmwareDescriptor[]; problems: string[] }

export function readFirmwareDescriptors(dirs: string[] = firmwareDirs()): FoundDescriptors {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try { names = readdirSync(dir); } catch { continue; }
    for (const n of names) if (n.endsWith('.json')) byName.set(n, join(dir, n));
  }
  const descriptors: FirmwareDescriptor[] = [];
  const problems: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    const path = byName.get(name)!;
    try {
      if (statSync(path).size === 0) continue; // masks the file of that name below it
      descriptors.push(parseFirmwareDescriptor(readFileSync(path, 'utf8'), path));
    } catch (e) {
      // host state, not the user's input: an unusable descriptor is passed over, and said
      problems.push(`${path}: ${e instanceof FirmwareDescriptorError ? e.message : (e as Error).message}`);
    }
  }
  return { descriptors, problems };
}
