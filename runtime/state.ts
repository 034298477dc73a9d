// Domain records (libvirt's status XML role): `run/qemu/NAME.json` and `NAME.pid`, written
// atomically (temp file + rename). A record is claimed with O_EXCL so two `qdc run` of one
// name cannot both start; liveness is the pid plus its kernel start time, so a recycled pid
// is never mistaken for our QEMU.
import { closeSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleEndpoint } from '../compiler/src/index.js';
import { removeTaps } from './tap.js';
import { atomicWrite } from './atomic-write.js';

export type RecordState = 'starting' | 'running' | 'paused' | 'shutdown' | 'stopping';

export interface DomainRecord {
  name: string;
  uuid: string;
  id: number;
  state: RecordState;
  /** The qdc process that owns the start (while starting) or is attached to the console. */
  ownerPid: number;
  pid?: number;
  /** /proc/PID/stat start time of QEMU, in clock ticks since boot. */
  pidStart?: string;
  emulator: string;
  monitor: string;
  domainDir: string;
  log: string;
  consoles: ConsoleEndpoint[];
  onPoweroff: string;
  startedAt: string;
  xml?: string;
  /** Listening sockets we created for QEMU or its helpers (unlinked on cleanup; the monitor is `monitor`). */
  sockets?: string[];
  /** Directories we created for sockets outside the private dir (the channel dir). */
  dirs?: string[];
  /** The plan's files we wrote. */
  files?: string[];
  /** Helper daemons started with the domain, ended with it. */
  helpers?: HelperRecord[];
  /** Tap devices created for the domain (tap.ts), deleted with it. */
  taps?: { name: string; downscript?: string }[];
}

export interface HelperRecord {
  kind: 'pr-helper' | 'virtiofsd' | 'swtpm';
  binary: string;
  socket: string;
  log: string;
  pid?: number;
  pidStart?: string;
}

export class StateStore {
  constructor(readonly runDir: string) {}

  jsonFile(name: string): string { return join(this.runDir, `${name}.json`); }
  pidFile(name: string): string { return join(this.runDir, `${name}.pid`); }

  /** Create the record exclusively; false when one already exists. */
  claim(rec: DomainRecord): boolean {
    let fd: number;
    try { fd = openSync(this.jsonFile(rec.name), 'wx', 0o600); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try { writeSync(fd, JSON.stringify(rec, null, 2) + '\n'); } finally { closeSync(fd); }
    return true;
  }

  write(rec: DomainRecord): void {
    atomicWrite(this.jsonFile(rec.name), JSON.stringify(rec, null, 2) + '\n');
    if (rec.pid !== undefined) atomicWrite(this.pidFile(rec.name), `${rec.pid}\n`);
  }

  read(name: string): DomainRecord | undefined {
    try { return JSON.parse(readFileSync(this.jsonFile(name), 'utf8')) as DomainRecord; } catch { return undefined; }
  }

  list(): DomainRecord[] {
    let files: string[];
    try { files = readdirSync(this.runDir); } catch { return []; }
    return files.filter((f) => f.endsWith('.json')).map((f) => this.read(f.slice(0, -5))).filter((r): r is DomainRecord => r !== undefined)
      .sort((a, b) => a.id - b.id);
  }

  /** Remove every trace of a domain's run: helper daemons, record, pid file, sockets, files,
   *  private dir. The record goes last, so an interrupted cleanup is found and redone. */
  remove(rec: Pick<DomainRecord, 'name' | 'monitor' | 'domainDir'> & Partial<Pick<DomainRecord, 'sockets' | 'dirs' | 'files' | 'helpers' | 'taps'>>): void {
    endHelpers(rec.helpers ?? []);
    removeTaps(rec.taps ?? []);
    for (const f of [this.pidFile(rec.name), rec.monitor, ...(rec.sockets ?? []), ...(rec.files ?? [])]) { try { unlinkSync(f); } catch { /* already gone */ } }
    for (const d of [rec.domainDir, ...(rec.dirs ?? [])]) { try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
    try { unlinkSync(this.jsonFile(rec.name)); } catch { /* already gone */ }
  }

  /** libvirt numbers domains per driver, increasing across starts. */
  nextId(): number {
    const file = join(this.runDir, 'next-id');
    let id = 1;
    try { id = Math.max(1, Number(readFileSync(file, 'utf8').trim()) || 1); } catch { /* first start */ }
    for (const r of this.list()) if (r.id >= id) id = r.id + 1;
    atomicWrite(file, `${id + 1}\n`);
    return id;
  }
}


/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie is as good as dead
    return fields[19];
  } catch { return undefined; }
}

export function pidAlive(pid: number | undefined, start?: string): boolean {
  if (pid === undefined || pid <= 0) return false;
  const s = processStart(pid);
  return s !== undefined && (start === undefined || s === start);
}

/** A record is stale when neither its QEMU nor (while starting) its owner is alive. */
export function isStale(rec: DomainRecord): boolean {
  if (rec.pid !== undefined) return !pidAlive(rec.pid, rec.pidStart);
  return !pidAlive(rec.ownerPid);
}

/** libvirt's virProcessKillPainfully for helpers: SIGTERM, a short grace, then SIGKILL. A
 *  helper whose pid now belongs to another process (start time differs) is left alone. */
export function endHelpers(helpers: readonly HelperRecord[], graceMs = 1000): void {
  const live = helpers.filter((h) => pidAlive(h.pid, h.pidStart));
  for (const h of live) { try { process.kill(h.pid!, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (live.some((h) => pidAlive(h.pid, h.pidStart)) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
  for (const h of live) if (pidAlive(h.pid, h.pidStart)) { try { process.kill(h.pid!, 'SIGKILL'); } catch { /* gone */ } }
}
