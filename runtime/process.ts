// Starting QEMU the way libvirt's qemu_process does: prepare the host (private dir, master
// key, log), create the monitor socket ourselves and hand it to QEMU as an fd, spawn with -S,
// run the plan's QMP steps, then `cont`. Any failure undoes everything it did, so a failed
// start leaves no process, socket, pid file or record behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomKey } from './random.js';
import { accessSync, chownSync, closeSync, constants, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleEndpoint, Plan } from '../compiler/src/index.js';
import type { RunAs } from './credentials.js';
import { missingEmulatorError, RuntimeError } from './errors.js';
import { QmpClient, QmpError, type ChardevInfo, type RunState } from './qmp.js';
import { HostHandles, openPassedFds, preflight, prepareNvram, startHelpers, writePlanFiles } from './host-resources.js';
import { ensureRoot, type RootLayout } from './root.js';
import { isStale, pidAlive, processStart, StateStore, type DomainRecord } from './state.js';
import { prepareTaps } from './tap.js';

export type StartStage = 'compiled' | 'spawned' | 'qmp-ready' | 'running' | 'paused';

export interface StartRequest {
  layout: RootLayout;
  /** Compile the domain for the id the runtime allocated and its master key (the key QEMU
   *  reads as masterKey0: secrets in the plan are encrypted with it). */
  compile: (domainId: number, masterKey: Uint8Array) => Plan;
  onPoweroff: string;
  xmlFile?: string;
  progress?: (stage: StartStage, detail: string) => void;
  /** Runs with the vCPUs still stopped and console paths known (attach consoles here, so no output is lost). */
  beforeCont?: (record: DomainRecord) => Promise<void> | void;
  /** Lets Ctrl-C abort a start in progress. */
  signal?: AbortSignal;
  startTimeoutMs?: number;
  /** qemu.conf user/group, when qdc may switch to them. */
  runAs?: RunAs;
}

export interface Started { record: DomainRecord; plan: Plan; status: RunState }

export function stateStore(layout: RootLayout): StateStore {
  return new StateStore(layout.runDir);
}

/** The log file's last lines, for errors about a QEMU that died. */
export function logTail(file: string, lines = 8, fromOffset = 0): string {
  try {
    const text = readFileSync(file, 'utf8').slice(fromOffset);
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch { return ''; }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** Pty paths are only known once QEMU opened them: fill them in from query-chardev. */
export function resolveConsoles(consoles: ConsoleEndpoint[], chardevs: ChardevInfo[]): ConsoleEndpoint[] {
  return consoles.map((c) => {
    if (c.source !== 'pty' || c.path) return c;
    const dev = chardevs.find((d) => d.label === `char${c.alias}`);
    return dev?.filename.startsWith('pty:') ? { ...c, path: dev.filename.slice(4) } : c;
  });
}

export async function startDomain(req: StartRequest): Promise<Started> {
  const { layout } = req;
  ensureRoot(layout);
  const store = stateStore(layout);
  const id = store.nextId();
  const masterKey = randomKey(32);
  const plan = req.compile(id, masterKey);
  const name = plan.domain.name;
  req.progress?.('compiled', `${name} (id ${id})`);
  const monitorFd = plan.passFds.find((f) => f.kind === 'monitor-socket');
  if (!monitorFd) throw new RuntimeError('the plan has no monitor socket to pass');
  preflight(plan, layout);
  try { statSync(plan.binary); accessSync(plan.binary, constants.X_OK); } catch { throw missingEmulatorError(plan.binary); }

  const record: DomainRecord = {
    name, uuid: plan.domain.uuid, id, state: 'starting', ownerPid: process.pid, emulator: plan.binary,
    monitor: monitorFd.path, domainDir: plan.domainDir, log: join(layout.logDir, `${name}.log`),
    consoles: plan.consoles, onPoweroff: req.onPoweroff, startedAt: new Date().toISOString(), xml: req.xmlFile,
  };
  if (!store.claim(record)) {
    const existing = store.read(name);
    if (existing && !isStale(existing)) {
      throw new RuntimeError(`domain '${name}' is already ${existing.state === 'starting' ? 'starting' : 'running'} (pid ${existing.pid ?? existing.ownerPid})`, `stop it first: qdc stop ${name}${layout.kind === 'embed' ? ` --root ${layout.root}` : ''}`);
    }
    if (existing) store.remove(existing); else store.remove({ name, monitor: monitorFd.path, domainDir: plan.domainDir });
    if (!store.claim(record)) throw new RuntimeError(`domain '${name}' is being started by another qdc`);
  }

  let child: ChildProcess | undefined;
  const handles = new HostHandles();
  let qmp: QmpClient | undefined;
  let logOffset = 0;
  let exited: Promise<never> | undefined;
  try {
    mkdirSync(plan.domainDir, { recursive: true, mode: 0o750 });
    writeFileSync(join(plan.domainDir, 'master-key.aes'), masterKey, { mode: 0o600 });
    mkdirSync(layout.logDir, { recursive: true, mode: 0o700 });
    const save = (): void => store.write(record);
    // the argv QEMU runs: the plan's, with tap netdevs naming the taps created for them
    const argv = prepareTaps(plan, record, save, req.runAs);
    const logFd = openSync(record.log, 'a', 0o600);
    // Like libvirt's log: environment, binary, then one option (with its value) per line.
    const words = [plan.binary, ...argv].map(shellQuote);
    const cmdline = words.map((w, i) => (i > 0 && w.startsWith('-') ? ' \\\n' : i > 0 ? ' ' : '') + w).join('');
    const header = `${new Date().toISOString()}: starting up (qdc)\n${plan.env.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')} \\\n${cmdline}\n`;
    writeSync(logFd, header);
    logOffset = statSync(record.log).size;
    if (req.runAs) {
      const { uid, gid } = req.runAs;
      for (const f of [plan.domainDir, join(plan.domainDir, 'master-key.aes'), record.log]) chownSync(f, uid, gid);
    }
    const timeoutMs = req.startTimeoutMs ?? 30_000;
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(new RuntimeError('start interrupted'));
      if (req.signal?.aborted) onAbort(); else req.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => { /* observed through the races below */ });
    try {
      writePlanFiles(plan, record, save);
      prepareNvram(plan, req.runAs);
      if (req.runAs) for (const f of plan.files ?? []) chownSync(f.path, req.runAs.uid, req.runAs.gid);
      await openPassedFds(plan, layout, record, handles, save);
      await startHelpers(plan, layout, record, handles, save, timeoutMs, aborted, req.signal, req.runAs);
      // Every fd at exactly the number the plan gave it; the gaps get nothing.
      const stdio: (number | 'ignore')[] = ['ignore', logFd, logFd];
      const top = Math.max(2, ...handles.fds.keys());
      for (let i = 3; i <= top; i++) stdio.push(handles.fds.get(i) ?? 'ignore');
      child = spawn(plan.binary, argv, { env: Object.fromEntries(plan.env), cwd: '/', detached: true, stdio, uid: req.runAs?.uid, gid: req.runAs?.gid });
    } finally {
      closeSync(logFd);
      handles.close();
    }
    const spawned = child;
    exited = new Promise<never>((_, reject) => {
      spawned.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingEmulatorError(plan.binary) : new RuntimeError(`cannot start ${plan.binary}: ${e.message}`)));
      spawned.once('exit', (code, sig) => {
        const tail = logTail(record.log, 8, logOffset);
        reject(new RuntimeError(`QEMU exited during start (${sig ? `signal ${sig}` : `status ${code}`})${tail ? `; last lines of ${record.log}:\n${tail}` : `; see ${record.log}`}`));
      });
    });
    exited.catch(() => { /* observed through the races below */ });
    const helperExits = handles.helpers.map((h) => h.exited);
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, exited!, aborted, ...helperExits]);

    if (spawned.pid === undefined) await race(new Promise<never>(() => {}));
    record.pid = spawned.pid!;
    record.pidStart = processStart(record.pid);
    store.write(record);
    req.progress?.('spawned', `pid ${record.pid}`);

    qmp = await race(QmpClient.connect(monitorFd.path, { timeoutMs }));
    let status: RunState = 'prelaunch';
    // The plan's steps up to `cont` (qmp_capabilities first) go out together with
    // query-chardev: QEMU dispatches them one by one in order, each after the one before has
    // run, so qmp_capabilities has left negotiation mode when the next is dispatched, and
    // pipelining saves a round trip per step on the way to a running guest. They are sent
    // while QEMU is still initialising (its greeting comes first); the answers come when it
    // is done.
    const steps = [...plan.qmp];
    const contAt = steps.findIndex((s) => s.execute === 'cont');
    const before = contAt < 0 ? steps : steps.slice(0, contAt);
    const replies = Promise.all(before.map((s, i) => {
      const reply = qmp!.executeRaw(s.execute, s.arguments, { timeoutMs });
      if (i === 0) reply.then(() => req.progress?.('qmp-ready', monitorFd.path), () => { /* reported through replies */ });
      return reply;
    }));
    const chardevs = qmp.execute('query-chardev', undefined, { timeoutMs });
    chardevs.catch(() => { /* reported through the race below */ });
    (await race(replies)).forEach((r, i) => { if (before[i]!.execute === 'query-status') status = (r as { status: RunState }).status; });
    record.consoles = resolveConsoles(record.consoles, await race(chardevs));
    await req.beforeCont?.(record);
    if (contAt >= 0) {
      for (const s of steps.slice(contAt)) {
        const ret = await race(qmp.executeRaw(s.execute, s.arguments, { timeoutMs }));
        if (s.execute === 'query-status') status = (ret as { status: RunState }).status;
        if (s.execute === 'cont') status = 'running';
      }
    }
    record.state = status === 'running' ? 'running' : 'paused';
    store.write(record);
    req.progress?.(record.state === 'running' ? 'running' : 'paused', status);
    qmp.close();
    spawned.removeAllListeners('exit');
    spawned.unref();
    handles.release();
    return { record, plan, status };
  } catch (e) {
    qmp?.close();
    // A monitor that hung up usually means QEMU died: prefer the exit report with its log lines.
    if (e instanceof QmpError && exited) {
      const why = await Promise.race([exited.catch((err: unknown) => err), new Promise((r) => setTimeout(() => r(undefined), 1000))]);
      if (why instanceof RuntimeError) e = why;
    }
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    }
    handles.close();
    store.remove(record);
    handles.release();
    throw e instanceof QmpError ? new RuntimeError(`monitor: ${e.message}${pidAlive(record.pid) ? '' : `; see ${record.log}`}`) : e;
  }
}
