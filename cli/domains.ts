// Managing started domains: `qdc list | status | stop | destroy | console | monitor`.
// Each finds the domain through its record under the root, so they work from any shell and
// after the qdc that started the guest is gone.
import { openConsole, primaryConsole } from '../runtime/console.js';
import { RuntimeError } from '../runtime/errors.js';
import { destroyDomain, domainStatus, findDomain, listDomains, openMonitor, stopDomain } from '../runtime/lifecycle.js';
import { pidAlive } from '../runtime/state.js';
import { parseArgs, str, UsageError } from './args.js';
import { layoutFrom } from './root-option.js';

function one(argv: string[], usage: string, spec: { flags?: string[]; values?: string[] } = {}): { name: string; p: ReturnType<typeof parseArgs> } {
  if (argv.includes('--help')) throw new UsageError(usage);
  const p = parseArgs(argv, { flags: spec.flags, values: ['root', ...(spec.values ?? [])] });
  if (p.positional.length !== 1) throw new UsageError(usage);
  return { name: p.positional[0]!, p };
}

export async function runList(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { flags: ['json'], values: ['root'] });
  if (p.positional.length) throw new UsageError('usage: qdc list [--root DIR] [--json]');
  const { live, cleaned } = listDomains(layoutFrom(p));
  for (const r of cleaned) process.stderr.write(`qdc list: removed the stale record of '${r.name}' (QEMU pid ${r.pid ?? '?'} is gone)\n`);
  const rows = await Promise.all(live.map(async (r) => {
    const st = await domainStatus(r);
    return { id: r.id, name: r.name, state: st.status ?? r.state, pid: r.pid };
  }));
  if (p.options.has('json')) { process.stdout.write(JSON.stringify(rows, null, 2) + '\n'); return 0; }
  process.stdout.write(` ${'Id'.padEnd(4)} ${'Name'.padEnd(20)} ${'State'.padEnd(12)} Pid\n${'-'.repeat(46)}\n`);
  for (const r of rows) process.stdout.write(` ${String(r.id).padEnd(4)} ${r.name.padEnd(20)} ${r.state.padEnd(12)} ${r.pid ?? '-'}\n`);
  return 0;
}

export async function runStatus(argv: string[]): Promise<number> {
  const { name, p } = one(argv, 'usage: qdc status NAME [--root DIR] [--json]', { flags: ['json'] });
  const { record } = findDomain(layoutFrom(p), name);
  const st = await domainStatus(record);
  if (p.options.has('json')) {
    process.stdout.write(JSON.stringify({ ...record, status: st.status, running: st.running, monitorError: st.monitorError }, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `name:     ${record.name} (id ${record.id}, uuid ${record.uuid})`,
    `status:   ${st.status ?? `unknown (${st.monitorError ?? 'no monitor'})`}`,
    `pid:      ${record.pid}`, `started:  ${record.startedAt}`, `log:      ${record.log}`, `monitor:  ${record.monitor}`,
    ...record.consoles.map((c) => `${(c.kind + ':').padEnd(9)} ${c.alias}: ${c.source}${c.path ? ` ${c.path}` : ''}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export async function runStop(argv: string[]): Promise<number> {
  const { name, p } = one(argv, 'usage: qdc stop NAME [--root DIR] [--timeout SECONDS]', { values: ['timeout'] });
  const timeout = Number(str(p, 'timeout') ?? '30');
  if (!Number.isFinite(timeout) || timeout < 0) throw new UsageError(`--timeout must be a number of seconds (got '${str(p, 'timeout')}')`);
  const { store, record } = findDomain(layoutFrom(p), name);
  const how = await stopDomain(store, record, timeout * 1000, (m) => process.stderr.write(`qdc stop: ${m}\n`));
  process.stdout.write(how === 'powered-off' ? `domain ${name} shut down\n` : `domain ${name} did not power off within ${timeout} s; QEMU was told to quit\n`);
  return 0;
}

export async function runDestroy(argv: string[]): Promise<number> {
  const { name, p } = one(argv, 'usage: qdc destroy NAME [--root DIR]');
  const { store, record } = findDomain(layoutFrom(p), name);
  await destroyDomain(store, record);
  process.stdout.write(`domain ${name} destroyed\n`);
  return 0;
}

export async function runConsole(argv: string[]): Promise<number> {
  const { name, p } = one(argv, 'usage: qdc console NAME [--root DIR] [--device ALIAS]', { values: ['device'] });
  const { record } = findDomain(layoutFrom(p), name);
  const want = str(p, 'device');
  const ep = want ? record.consoles.find((c) => c.alias === want) : primaryConsole(record.consoles);
  if (!ep) throw new RuntimeError(want ? `domain '${name}' has no character device '${want}'` : `domain '${name}' has no console or serial port`);
  const link = await openConsole(ep, { logFile: record.log, qemuAlive: () => pidAlive(record.pid, record.pidStart) });
  const raw = process.stdin.isTTY;
  process.stderr.write(`connected to ${name}'s ${ep.alias} (${ep.source}${ep.path ? ` ${ep.path}` : ''}); escape character is ^]\n`);
  if (raw) process.stdin.setRawMode(true);
  return new Promise((resolve) => {
    const finish = (code: number): void => {
      if (raw) process.stdin.setRawMode(false);
      process.stdin.pause();
      link.close();
      resolve(code);
    };
    link.onData((d) => process.stdout.write(d));
    link.onEnd(() => { process.stderr.write('\nconsole closed\n'); finish(0); });
    process.stdin.on('data', (d: Buffer) => {
      if (d.includes(0x1d)) { finish(0); return; } // ^] detaches, as in virsh console
      link.write(d);
    });
    process.stdin.on('end', () => { if (!raw) { /* keep following output until the guest ends */ } });
  });
}

export async function runMonitor(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { values: ['root', 'hmp', 'timeout'] });
  const hmp = str(p, 'hmp');
  if (p.positional.length !== (hmp !== undefined ? 1 : 2)) throw new UsageError(`usage: qdc monitor NAME '{"execute":"query-status"}' | qdc monitor NAME --hmp 'info …' [--root DIR]`);
  const name = p.positional[0]!;
  const timeoutMs = Number(str(p, 'timeout') ?? '10') * 1000;
  let command: { execute: string; arguments?: Record<string, unknown> };
  if (hmp !== undefined) command = { execute: 'human-monitor-command', arguments: { 'command-line': hmp } };
  else {
    try { command = JSON.parse(p.positional[1]!) as typeof command; } catch (e) {
      throw new UsageError(`the QMP command is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof command !== 'object' || command === null || typeof command.execute !== 'string') throw new UsageError(`the QMP command must be an object with "execute" (got ${p.positional[1]})`);
  }
  const { record } = findDomain(layoutFrom(p), name);
  const qmp = await openMonitor(record);
  try {
    const ret = await qmp.executeRaw(command.execute, command.arguments, { timeoutMs });
    process.stdout.write(hmp !== undefined ? String(ret) : JSON.stringify(ret, null, 2) + '\n');
    return 0;
  } catch (e) {
    const err = e as Error & { qmpClass?: string };
    process.stderr.write(`qdc monitor: ${err.message}${err.qmpClass ? ` [${err.qmpClass}]` : ''}\n`);
    return 1;
  } finally { qmp.close(); }
}
