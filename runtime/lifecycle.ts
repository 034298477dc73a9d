// Operations on started domains, found again through their records (no daemon holds them):
// status, graceful stop, destroy, raw monitor access, and the guest's lifecycle actions.
import { RuntimeError } from './errors.js';
import { QmpClient, type RunState } from './qmp.js';
import { type RootLayout } from './root.js';
import { isStale, pidAlive, type DomainRecord, type StateStore } from './state.js';
import { stateStore } from './process.js';

export interface DomainStatus { record: DomainRecord; alive: boolean; status?: RunState; running?: boolean; monitorError?: string }

const MONITOR_TIMEOUT_MS = 5000;

function rootFlag(layout: RootLayout): string {
  return layout.kind === 'embed' ? ` --root ${layout.root}` : '';
}

/** The record of a domain, or an error naming what exists. Stale records are cleaned on the way. */
export function findDomain(layout: RootLayout, name: string): { store: StateStore; record: DomainRecord } {
  const store = stateStore(layout);
  const record = store.read(name);
  if (!record) throw new RuntimeError(`no domain named '${name}' is running${layout.kind === 'embed' ? ` under ${layout.root}` : ''}`, `see 'qdc list${rootFlag(layout)}'`);
  if (isStale(record)) {
    store.remove(record);
    throw new RuntimeError(`domain '${name}' is not running (its QEMU, pid ${record.pid ?? '?'}, is gone; the stale record was removed)`);
  }
  return { store, record };
}

/** Every record; dead ones are removed and reported separately. */
export function listDomains(layout: RootLayout): { live: DomainRecord[]; cleaned: DomainRecord[] } {
  const store = stateStore(layout);
  const live: DomainRecord[] = [];
  const cleaned: DomainRecord[] = [];
  for (const r of store.list()) {
    if (isStale(r)) { store.remove(r); cleaned.push(r); } else live.push(r);
  }
  return { live, cleaned };
}

export async function openMonitor(record: DomainRecord, timeoutMs = MONITOR_TIMEOUT_MS): Promise<QmpClient> {
  return QmpClient.open(record.monitor, { timeoutMs });
}

export async function domainStatus(record: DomainRecord): Promise<DomainStatus> {
  const alive = pidAlive(record.pid, record.pidStart);
  if (!alive) return { record, alive };
  let qmp: QmpClient | undefined;
  try {
    qmp = await openMonitor(record);
    const s = await qmp.execute('query-status', undefined, { timeoutMs: MONITOR_TIMEOUT_MS });
    return { record, alive, status: s.status, running: s.running };
  } catch (e) {
    return { record, alive, monitorError: (e as Error).message };
  } finally { qmp?.close(); }
}

async function waitGone(record: DomainRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(record.pid, record.pidStart)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !pidAlive(record.pid, record.pidStart);
}

/** libvirt's destroy: SIGTERM, then SIGKILL if QEMU does not go within a grace period. */
export async function destroyDomain(store: StateStore, record: DomainRecord, graceMs = 3000): Promise<void> {
  if (record.pid !== undefined && pidAlive(record.pid, record.pidStart)) {
    try { process.kill(record.pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    if (!(await waitGone(record, graceMs))) {
      try { process.kill(record.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
      if (!(await waitGone(record, 5000))) throw new RuntimeError(`QEMU (pid ${record.pid}) did not die after SIGKILL`);
    }
  }
  store.remove(record);
}

/** Ask QEMU to quit (it flushes and exits cleanly), falling back to destroy. */
export async function quitDomain(store: StateStore, record: DomainRecord, timeoutMs = 3000): Promise<void> {
  try {
    const qmp = await openMonitor(record, timeoutMs);
    try { await qmp.execute('quit', undefined, { timeoutMs }); } catch { /* EOF racing the reply is fine */ }
    qmp.close();
  } catch { /* monitor unusable: destroy below */ }
  if (!(await waitGone(record, timeoutMs))) return destroyDomain(store, record);
  store.remove(record);
}

/**
 * libvirt's shutdown: ACPI power button, then wait for the guest to power off. With
 * -no-shutdown QEMU stays up in 'shutdown' state, so the poweroff is applied here (quit).
 * After `timeoutMs` without a poweroff, QEMU is told to quit.
 */
export async function stopDomain(store: StateStore, record: DomainRecord, timeoutMs: number, progress?: (msg: string) => void): Promise<'powered-off' | 'forced'> {
  const qmp = await openMonitor(record).catch((e: Error) => { throw new RuntimeError(`cannot reach the monitor of '${record.name}': ${e.message}`, `force it off: qdc destroy ${record.name}`); });
  let shutdown = false;
  let poweredOff = false;
  // Only a guest-initiated SHUTDOWN counts: our own `quit` below emits one too.
  qmp.onEvent((e) => { if (e.event === 'SHUTDOWN' && e.data?.guest === true) shutdown = true; });
  try {
    const s = await qmp.execute('query-status', undefined);
    if (s.status !== 'shutdown') {
      await qmp.execute('system_powerdown', undefined);
      progress?.('sent ACPI power button');
      const deadline = Date.now() + timeoutMs;
      while (!shutdown && Date.now() < deadline && qmp.isOpen) {
        await new Promise((r) => setTimeout(r, 50));
        if (!shutdown && qmp.isOpen) shutdown = (await qmp.execute('query-status', undefined).catch(() => ({ status: 'shutdown' as RunState }))).status === 'shutdown';
      }
    } else shutdown = true;
    poweredOff = shutdown;
    if (qmp.isOpen) { try { await qmp.execute('quit', undefined, { timeoutMs: 3000 }); } catch { /* EOF racing the reply */ } }
  } finally { qmp.close(); }
  if (!(await waitGone(record, 5000))) await destroyDomain(store, record);
  else store.remove(record);
  return poweredOff ? 'powered-off' : 'forced';
}

/** Apply the domain's on_poweroff action after a guest poweroff seen by an attached qdc. */
export async function applyPoweroff(store: StateStore, record: DomainRecord): Promise<void> {
  if (record.onPoweroff === 'preserve') {
    record.state = 'shutdown';
    store.write(record);
    return;
  }
  await quitDomain(store, record);
}
