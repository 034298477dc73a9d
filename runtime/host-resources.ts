// The host side of a plan, prepared before QEMU is spawned as libvirt's qemu_process does:
// listening sockets and files opened by us and handed over as fds, vhost char devices, the
// small files QEMU reads by path, and helper daemons (qemu-pr-helper, virtiofsd). Everything
// created is recorded in the domain record first, so a failed start, stop, destroy or
// stale-record cleanup can undo it (state.ts `remove`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import type { PassedFd, Plan, PlanHelper, SwtpmHelper, VirtiofsdHelper } from '../compiler/src/index.js';
import type { RunAs } from './credentials.js';
import { RuntimeError } from './errors.js';
import { checkSocketPaths, UNIX_PATH_MAX, type RootLayout } from './root.js';
import { processStart, type DomainRecord, type HelperRecord } from './state.js';
import { checkTaps } from './tap.js';

const VHOST_MODULE: Record<string, string> = { 'vhost-net': 'vhost_net', 'vhost-vsock': 'vhost_vsock', 'vhost-scsi': 'vhost_scsi' };
const SOCKET_KINDS = new Set<PassedFd['kind']>(['monitor-socket', 'listen-socket']);

/** The host kernel's vhost char devices (each named after the module that provides it). */
function isVhost(kind: PassedFd['kind']): boolean { return kind in VHOST_MODULE; }

function vhostError(f: PassedFd, e: NodeJS.ErrnoException): RuntimeError {
  const module = VHOST_MODULE[f.kind]!;
  if (e.code === 'ENOENT' || e.code === 'ENODEV' || e.code === 'ENXIO') {
    return new RuntimeError(`the ${f.kind} device ${f.path} is missing (${e.code}); nothing was started`, `load the kernel module: modprobe ${module}`);
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new RuntimeError(`no permission to open the ${f.kind} device ${f.path} read-write (${e.code}); nothing was started`,
      `run qdc as root, or give your user access to ${f.path} (e.g. a udev rule, or the group owning it)`);
  }
  return new RuntimeError(`cannot open the ${f.kind} device ${f.path}: ${e.message}`);
}

const onPath = (name: string, pathEnv: string): string[] => pathEnv.split(':').filter(Boolean).map((d) => join(d, name));

/** Where each helper may be installed. */
function helperCandidates(h: PlanHelper, pathEnv: string): string[] {
  switch (h.kind) {
    case 'pr-helper': return ['/usr/bin/qemu-pr-helper', '/usr/libexec/qemu-pr-helper', ...onPath('qemu-pr-helper', pathEnv)];
    case 'virtiofsd': return h.binary ? [h.binary] : ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd', ...onPath('virtiofsd', pathEnv)];
    case 'swtpm': return ['/usr/bin/swtpm', ...onPath('swtpm', pathEnv)];
  }
}

function executable(candidates: string[]): string | undefined {
  for (const c of candidates) {
    try { if (statSync(c).isFile()) { accessSync(c, constants.X_OK); return c; } } catch { /* next */ }
  }
  return undefined;
}

/** The helper binary for `h`, or undefined when none is installed. */
export function helperBinary(h: PlanHelper, pathEnv = process.env.PATH ?? ''): string | undefined {
  const binary = executable(helperCandidates(h, pathEnv));
  // swtpm also needs swtpm_setup to create a TPM's state on its first start
  if (binary && h.kind === 'swtpm' && !swtpmSetupBinary(pathEnv)) return undefined;
  return binary;
}

function swtpmSetupBinary(pathEnv = process.env.PATH ?? ''): string | undefined {
  return executable(['/usr/bin/swtpm_setup', ...onPath('swtpm_setup', pathEnv)]);
}

function missingHelperError(h: PlanHelper): RuntimeError {
  switch (h.kind) {
    case 'pr-helper':
      return new RuntimeError(`qemu-pr-helper is needed for ${h.purpose} but is not installed; nothing was started`,
        'install it (Debian/Ubuntu: apt-get install qemu-system-common, which ships /usr/bin/qemu-pr-helper; Fedora: dnf install qemu-pr-helper)');
    case 'swtpm':
      return new RuntimeError(`swtpm and swtpm_setup are needed for ${h.purpose} but are not installed; nothing was started`,
        'install them (Debian/Ubuntu: apt-get install swtpm swtpm-tools; Fedora: dnf install swtpm swtpm-tools)');
    case 'virtiofsd':
      if (h.binary) return new RuntimeError(`the virtiofsd binary '${h.binary}' given in <binary path> does not exist or is not executable; nothing was started`, 'point <binary path> at an installed virtiofsd');
      return new RuntimeError(`virtiofsd is needed for ${h.purpose} but none was found (/usr/libexec/virtiofsd, /usr/lib/qemu/virtiofsd, PATH); nothing was started`,
        'install it (Debian/Ubuntu: apt-get install virtiofsd; Fedora: dnf install virtiofsd)');
  }
}

/** libvirt's swtpm: a TPM's state is made once by swtpm_setup (endorsement key and
 *  certificates, locked NVRAM) and kept; swtpm then serves it on a control socket and ends
 *  when QEMU closes that (--terminate). */
export function swtpmArgs(h: SwtpmHelper): string[] {
  return ['socket', '--ctrl', `type=unixio,path=${h.socket},mode=0600`, '--tpmstate', `dir=${h.stateDir},mode=0600`, '--terminate', ...(h.version === '2.0' ? ['--tpm2'] : [])];
}

/** libvirt refuses a TPM version the host's swtpm does not emulate (its --print-capabilities). */
function checkSwtpmVersion(h: SwtpmHelper): void {
  const r = spawnSync(helperBinary(h)!, ['socket', '--print-capabilities'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let features: string[] = [];
  try { features = (JSON.parse(r.stdout) as { features?: string[] }).features ?? []; } catch { return; } // an swtpm too old to say: let it try
  if (!features.includes(`tpm-${h.version}`)) {
    throw new RuntimeError(`TPM version '${h.version}' is not supported by this host's swtpm (it offers ${features.filter((f) => /^tpm-\d/.test(f)).join(', ') || 'none'}); nothing was started`);
  }
}

function prepareSwtpmState(h: SwtpmHelper, log: string, runAs: RunAs | undefined): void {
  const state = join(h.stateDir, h.version === '2.0' ? 'tpm2-00.permall' : 'tpm-00.permall');
  if (existsSync(state)) return;
  mkdirSync(h.stateDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(h.stateDir, runAs.uid, runAs.gid);
  const args = ['--tpm-state', h.stateDir, '--vmid', h.vmid, '--logfile', log, '--createek', '--create-ek-cert', '--create-platform-cert', '--lock-nvram', '--not-overwrite', ...(h.version === '2.0' ? ['--tpm2'] : [])];
  const r = spawnSync(swtpmSetupBinary() ?? 'swtpm_setup', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new RuntimeError(`swtpm_setup could not create the TPM state in ${h.stateDir} (${r.error?.message ?? `status ${r.status}`})${logTailOf(log) ? `; its log (${log}):\n${logTailOf(log)}` : ''}`);
  }
}

/** A sibling name to bind before renaming into place; short, so it fits wherever the real path does. */
function bindName(path: string, n: number): string {
  return join(dirname(path), `.q${process.pid.toString(36)}${n.toString(36)}`);
}

/** Checks that need nothing created: run before the record is claimed, so a refusal leaves nothing behind. */
export function preflight(plan: Plan, layout: RootLayout): void {
  checkTaps(plan);
  const sockets = [
    ...plan.passFds.filter((f) => SOCKET_KINDS.has(f.kind)).map((f) => f.path),
    ...(plan.helpers ?? []).map((h) => h.socket),
    ...plan.consoles.filter((c) => c.source === 'unix' && c.path).map((c) => c.path!),
  ];
  checkSocketPaths(sockets, layout);
  for (const s of sockets) ensureSocketDir(s, layout, null);
  // the temporary names are bound too
  for (const [i, s] of sockets.entries()) {
    if (Buffer.byteLength(bindName(s, i)) > UNIX_PATH_MAX) checkSocketPaths([bindName(s, i)], layout);
  }
  for (const f of plan.passFds) {
    // vhost-net goes with a tap, which QEMU opens by name, and then vhost-net itself (tap.ts)
    if (!isVhost(f.kind) || f.kind === 'vhost-net') continue;
    try { accessSync(f.path, constants.R_OK | constants.W_OK); } catch (e) { throw vhostError(f, e as NodeJS.ErrnoException); }
  }
  for (const h of plan.helpers ?? []) {
    if (!helperBinary(h)) throw missingHelperError(h);
    if (h.kind === 'swtpm') checkSwtpmVersion(h);
  }
}

/** What qdc itself opened for QEMU and the helpers it started: our fds are closed once QEMU
 *  holds its copies; helpers are watched until the start succeeds. */
export class HostHandles {
  /** plan fd number → our fd */
  readonly fds = new Map<number, number>();
  private readonly servers: Server[] = [];
  private readonly owned: number[] = [];
  readonly helpers: { child: ChildProcess; rec: HelperRecord; exited: Promise<never> }[] = [];

  track(server: Server | undefined, fd?: number): void {
    if (server) this.servers.push(server);
    if (fd !== undefined) this.owned.push(fd);
  }

  /** Close our copies (a listening socket keeps its path: it was bound under another name). */
  close(): void {
    for (const s of this.servers.splice(0)) s.close();
    for (const fd of this.owned.splice(0)) { try { closeSync(fd); } catch { /* closed */ } }
  }

  /** Stop watching helpers once the start succeeded (they live on with the guest). */
  release(): void {
    for (const h of this.helpers) { h.child.removeAllListeners('exit'); h.child.unref(); }
  }
}

/** Listen on `path` and return the listening fd. Node unlinks a listening socket's path when
 *  the server closes, so bind a sibling name, rename it into place and close ours once the
 *  process we pass it to holds a copy of the fd. */
export async function listenSocket(path: string, n = 0): Promise<{ server: Server; fd: number }> {
  const tmp = bindName(path, n);
  // like libvirt, a socket left by an earlier run is replaced; anything else at the path is not ours
  try {
    if (!statSync(path).isSocket()) throw new RuntimeError(`cannot create the socket ${path}: a file that is not a socket is in the way`, 'remove it or choose another <source path>');
  } catch (e) { if (e instanceof RuntimeError) throw e; }
  for (const f of [tmp, path]) { try { unlinkSync(f); } catch { /* not there */ } }
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new RuntimeError(`cannot listen on ${path}: ${e.message}`)));
    server.listen({ path: tmp, backlog: 16 }, () => resolve());
  });
  try { renameSync(tmp, path); } catch (e) { server.close(); throw new RuntimeError(`cannot create the socket ${path}: ${(e as Error).message}`); }
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) { server.close(); throw new RuntimeError(`cannot get the fd of socket ${path} from Node`); }
  return { server, fd };
}

/** Directories under the driver's lib dir (the private and channel dirs) are ours to create;
 *  any other socket directory must exist, as libvirt requires. `created` gets the directory
 *  itself, the per-domain one, for cleanup; shared parents (channel/target) stay. */
function ensureSocketDir(path: string, layout: RootLayout, created: string[] | null): void {
  const dir = dirname(path);
  if (existsSync(dir)) return;
  const rel = relative(layout.libDir, dir);
  if (rel.startsWith('..') || rel === '') throw new RuntimeError(`cannot create the socket ${path}: directory ${dir} does not exist; nothing was started`, `create ${dir} first`);
  if (!created) return; // a check only
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  created.push(dir);
}

/** Create or open every passed fd; `save` persists the record after each thing cleanup must
 *  undo is noted in it, before that thing exists. */
export async function openPassedFds(plan: Plan, layout: RootLayout, record: DomainRecord, handles: HostHandles, save: () => void): Promise<void> {
  for (const [n, f] of plan.passFds.entries()) {
    switch (f.kind) {
      case 'monitor-socket': case 'listen-socket': {
        const dirs: string[] = [];
        ensureSocketDir(f.path, layout, dirs);
        if (dirs.length) { (record.dirs ??= []).push(...dirs); save(); }
        if (f.kind === 'listen-socket') { (record.sockets ??= []).push(f.path); save(); }
        const { server, fd } = await listenSocket(f.path, n);
        handles.track(server);
        handles.fds.set(f.fd, fd);
        break;
      }
      case 'file': {
        let fd: number;
        try {
          const access = f.writeOnly ? constants.O_WRONLY : constants.O_RDWR;
          fd = openSync(f.path, access | (f.create ? constants.O_CREAT | (f.append ? constants.O_APPEND : constants.O_TRUNC) : 0), 0o600);
        } catch (e) { throw new RuntimeError(`cannot open ${f.path}${f.fdset !== undefined ? ` (fd set ${f.fdset})` : ''}: ${(e as Error).message}`); }
        handles.track(undefined, fd);
        handles.fds.set(f.fd, fd);
        break;
      }
      case 'vhost-net':
        break;
      case 'vhost-vsock': case 'vhost-scsi': {
        let fd: number;
        try { fd = openSync(f.path, constants.O_RDWR); } catch (e) { throw vhostError(f, e as NodeJS.ErrnoException); }
        handles.track(undefined, fd);
        handles.fds.set(f.fd, fd);
        break;
      }
      case 'tap':
        break; // created by prepareTaps; QEMU opens it by name (tap.ts)
    }
  }
}

export function writePlanFiles(plan: Plan, record: DomainRecord, save: () => void): void {
  for (const f of plan.files ?? []) {
    (record.files ??= []).push(f.path);
    save();
    try { writeFileSync(f.path, f.content, { mode: 0o600, flag: 'w' }); } catch (e) {
      throw new RuntimeError(`cannot write ${f.path} (${f.purpose}): ${(e as Error).message}`);
    }
  }
}

/** libvirt's qemuPrepareNVRAM: a UEFI variable store that does not exist yet is copied from
 *  its template (a fresh, empty varstore); one that exists holds the guest's variables and is
 *  never touched. The copy appears under its name only once complete. */
export function prepareNvram(plan: Plan, runAs: RunAs | undefined): void {
  const nv = plan.nvram;
  if (!nv || existsSync(nv.path)) return;
  if (!nv.template) {
    throw new RuntimeError(`the UEFI variable store ${nv.path} does not exist, and there is no template to create it from`,
      "name one with <nvram template='…'> (e.g. /usr/share/OVMF/OVMF_VARS_4M.fd), or use <os firmware='efi'>");
  }
  const tmp = `${nv.path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(nv.path), { recursive: true, mode: 0o700 });
    copyFileSync(nv.template, tmp);
    chmodSync(tmp, 0o600);
    if (runAs) chownSync(tmp, runAs.uid, runAs.gid);
    renameSync(tmp, nv.path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* not created */ }
    const err = e as NodeJS.ErrnoException;
    throw new RuntimeError(err.code === 'ENOENT' && err.path === nv.template
      ? `cannot create the UEFI variable store ${nv.path}: its template ${nv.template} does not exist`
      : `cannot create the UEFI variable store ${nv.path} from ${nv.template}: ${err.message}`);
  }
}

/** libvirt's virtiofsd options. libvirt hands virtiofsd a listening socket with --fd, but a
 *  socket Node listens on is non-blocking and virtiofsd's accept() then fails with EAGAIN, so
 *  virtiofsd binds `socket` itself (--socket-path) and the start waits until it listens. */
export function virtiofsdArgs(h: VirtiofsdHelper): string[] {
  const o = [`source=${h.sharedDir.replace(/,/g, ',,')}`];
  if (h.cache) o.push(`cache=${h.cache}`);
  if (h.sandbox) o.push(`sandbox=${h.sandbox}`);
  if (h.xattr !== undefined) o.push(h.xattr ? 'xattr' : 'no_xattr');
  if (h.flock !== undefined) o.push(h.flock ? 'flock' : 'no_flock');
  if (h.posixLock !== undefined) o.push(h.posixLock ? 'posix_lock' : 'no_posix_lock');
  const args = [`--socket-path=${h.socket}`, '-o', o.join(',')];
  if (h.threadPoolSize !== undefined) args.push(`--thread-pool-size=${h.threadPoolSize}`);
  return args;
}

/** Start the plan's helper daemons, each recorded before it runs, and wait until each listens
 *  on its socket (QEMU connects to it at once). */
export async function startHelpers(plan: Plan, layout: RootLayout, record: DomainRecord, handles: HostHandles, save: () => void, timeoutMs: number, aborted: Promise<never>, signal?: AbortSignal, runAs?: RunAs): Promise<void> {
  for (const [i, h] of (plan.helpers ?? []).entries()) {
    if (signal?.aborted) throw new RuntimeError('start interrupted');
    const binary = helperBinary(h);
    if (!binary) throw missingHelperError(h);
    const dirs: string[] = [];
    ensureSocketDir(h.socket, layout, dirs);
    (record.dirs ??= []).push(...dirs);
    (record.sockets ??= []).push(h.socket);
    save();
    try { unlinkSync(h.socket); } catch { /* not there */ }
    const log = join(layout.logDir, `${record.name}-${h.kind}${i}.log`);
    if (h.kind === 'swtpm') prepareSwtpmState(h, log, runAs);
    const args = h.kind === 'pr-helper' ? ['-k', h.socket] : h.kind === 'swtpm' ? swtpmArgs(h) : virtiofsdArgs(h);
    const logFd = openSync(log, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(binary, args, { cwd: '/', detached: true, stdio: ['ignore', logFd, logFd] });
    } finally { closeSync(logFd); }
    const rec: HelperRecord = { kind: h.kind, binary, socket: h.socket, log };
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new RuntimeError(`cannot start ${binary}: ${e.message}`)));
      child.once('exit', (code, sig) => {
        const tail = logTailOf(log);
        reject(new RuntimeError(`${basename(binary)} (${h.purpose}) exited during start (${sig ? `signal ${sig}` : `status ${code}`})${tail ? `; its last output (${log}):\n${tail}` : `; see ${log}`}`));
      });
    });
    exited.catch(() => { /* observed by the start's races */ });
    handles.helpers.push({ child, rec, exited });
    if (child.pid === undefined) await exited;
    rec.pid = child.pid!;
    rec.pidStart = processStart(rec.pid);
    (record.helpers ??= []).push(rec);
    save();
    await waitListening(h.socket, Promise.race([exited, aborted]), timeoutMs, binary);
    // helpers run as qdc's user, as libvirt runs them as root; QEMU connects by path
    if (runAs) chownSync(h.socket, runAs.uid, runAs.gid);
  }
}

/** Whether a UNIX socket is bound at `path` and listening (/proc/net/unix flag __SO_ACCEPTCON):
 *  a connect to test it would take the helper's one connection away from QEMU. */
export function unixListening(path: string): boolean {
  let table: string;
  try { table = readFileSync('/proc/net/unix', 'utf8'); } catch { return existsSync(path); }
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[7] === path && (parseInt(cols[3]!, 16) & 0x10000) !== 0) return true;
  }
  return false;
}

async function waitListening(path: string, failed: Promise<never>, timeoutMs: number, binary: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  failed.catch(() => { done = true; });
  const ready = (async (): Promise<void> => {
    for (;;) {
      if (done || unixListening(path)) return;
      if (Date.now() > deadline) throw new RuntimeError(`${basename(binary)} did not listen on ${path} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await Promise.race([ready, failed]);
}

function logTailOf(file: string, lines = 8): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return ''; }
}
