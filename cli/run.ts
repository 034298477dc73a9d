// `qdc run FILE.xml [--root DIR] [--console] [--paused]`: compile, start QEMU, report where
// the log and consoles are. With --console, stay attached to the guest's console until it
// powers off (then apply <on_poweroff>) or Ctrl-C (which stops the guest cleanly).
import { compile, parseDomain } from '../compiler/src/compile.js';
import type { Plan } from '../compiler/src/index.js';
import { openConsole, preparePtyConsole, primaryConsole, type ConsoleLink } from '../runtime/console.js';
import { resolveRunAs } from '../runtime/credentials.js';
import { applyPoweroff, domainStatus, quitDomain } from '../runtime/lifecycle.js';
import { startDomain, stateStore, type StartStage } from '../runtime/process.js';
import { hostPortAllocator } from '../runtime/ports.js';
import type { DomainRecord } from '../runtime/state.js';
import { parseArgs, str, UsageError } from './args.js';
import { compileInputs, readText } from './compile-inputs.js';
import { probedCapsFor } from './domain-caps.js';
import { printDiagnostics, printTaint } from './report.js';
import { layoutFrom, rootSuffix } from './root-option.js';

export const RUN_USAGE = 'usage: qdc run FILE.xml [--root DIR] [--console] [--paused] [--caps-file F] [--qemu-conf F]';

class CompileFailed extends Error {}

const STAGE_TEXT: Record<StartStage, string> = {
  compiled: 'compiled', spawned: 'spawned', 'qmp-ready': 'QMP ready', running: 'running', paused: 'paused',
};

export async function runRun(argv: string[]): Promise<number> {
  if (argv.includes('--help')) { process.stdout.write(RUN_USAGE + '\n'); return 0; }
  const p = parseArgs(argv, { flags: ['console', 'paused'], values: ['root', 'caps-file', 'qemu-conf'] });
  if (p.positional.length !== 1) throw new UsageError(RUN_USAGE);
  const file = p.positional[0]!;
  const attach = p.options.has('console');
  const paused = p.options.has('paused');
  const text = readText(file, 'domain XML');
  const model = parseDomain(text); // once: emulator, on_poweroff and the compile read it
  const layout = layoutFrom(p);
  const capsFile = str(p, 'caps-file');
  const caps = capsFile ? undefined : await probedCapsFor(model.domain, layout);
  const inputs = compileInputs({ root: str(p, 'root'), capsFile, caps, qemuConf: str(p, 'qemu-conf'), paused });
  if (printDiagnostics(inputs.confFile ?? 'qemu.conf', inputs.confDiagnostics)) return 1;
  const onPoweroff = model.domain?.onPoweroff ?? 'destroy';
  const { user, group } = inputs.options.config;
  const runAs = resolveRunAs(user, group, (m) => process.stderr.write(`qdc run: warning: ${m}\n`));

  // QDC_PROGRESS=1: the progress lines on a pipe too (CI logs, bench/launch.mjs). Not
  // process.stderr.isTTY: making process.stderr is a millisecond of the launch, spent after
  // QEMU was spawned instead (the lines before it wait for it, or for a failed start's error).
  const showProgress = process.env.QDC_PROGRESS === '1' || process.getBuiltinModule('node:tty').isatty(2);
  let pending = '';
  const flushProgress = (): void => { if (pending) { process.stderr.write(pending); pending = ''; } };
  // Times are from qdc's own start (process.uptime(): `performance` would first load
  // perf_hooks, a visible part of the launch).
  const progress = (stage: StartStage, detail: string): void => {
    if (showProgress) {
      pending += `  ${STAGE_TEXT[stage].padEnd(10)} ${detail}  (${Math.round(process.uptime() * 1000)} ms)\n`;
      if (stage !== 'compiled') flushProgress();
    }
    // While QEMU initialises, qdc has nothing to do: what attaching needs is made ready then.
    // A reader that goes away (`| head`) must not crash us mid-run and strand the guest.
    if (stage === 'spawned' && attach) {
      process.stdout.on('error', () => { /* guest output is dropped from here on */ });
      preparePtyConsole();
    }
  };
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let link: ConsoleLink | undefined;
  let started;
  try {
    started = await startDomain({
      layout, onPoweroff, xmlFile: file, progress, signal: abort.signal, runAs,
      compile: (domainId, masterKey): Plan => {
        const result = compile(text, { ...inputs.options, model, domainId, secrets: inputs.secretsFor(masterKey), startPaused: paused, allocatePort: hostPortAllocator(), nowEpochSeconds: Math.floor(Date.now() / 1000) });
        if (printDiagnostics(file, result.diagnostics, text) || !result.plan) throw new CompileFailed();
        printTaint(file, result.plan);
        return result.plan;
      },
      beforeCont: attach ? async (record): Promise<void> => {
        const ep = primaryConsole(record.consoles);
        if (!ep) throw new UsageError(`--console: domain '${record.name}' has no serial port or console`);
        link = await openConsole(ep, { logFile: record.log, qemuAlive: () => true, fromStart: true });
        link.onData((d) => process.stdout.write(d));
      } : undefined,
    });
  } catch (e) {
    flushProgress();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    link?.close();
    if (e instanceof CompileFailed) return 1;
    if (abort.signal.aborted) { process.stderr.write('qdc run: interrupted; nothing left running\n'); return 130; }
    throw e;
  }
  const rec = started.record;
  const where = describe(rec, layout.kind === 'embed' ? rootSuffix(layout) : '');
  if (!attach) {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.stdout.write(where);
    return 0;
  }
  process.stderr.write(where + `attached to the console; Ctrl-C stops the guest\n`);
  return followConsole(rec, link!, abort.signal, () => { process.off('SIGINT', onSigint); process.off('SIGTERM', onSigint); }, layout);
}

function describe(rec: DomainRecord, rootArg: string): string {
  const lines = [`domain ${rec.name} (id ${rec.id}) ${rec.state}, QEMU pid ${rec.pid}`, `  log:      ${rec.log}`, `  monitor:  ${rec.monitor}`];
  for (const c of rec.consoles) lines.push(`  ${c.kind.padEnd(8)}  ${c.alias}: ${c.source}${c.path ? ` ${c.path}` : ''}`);
  lines.push(`  manage:   qdc status|stop|destroy|console ${rec.name}${rootArg}`);
  return lines.join('\n') + '\n';
}

/** Stay attached until the guest powers off, QEMU goes away, or Ctrl-C. */
async function followConsole(rec: DomainRecord, link: ConsoleLink, signal: AbortSignal, done: () => void, layout: ReturnType<typeof layoutFrom>): Promise<number> {
  const store = stateStore(layout);
  const onInput = (d: Buffer): void => link.write(d);
  if (!process.stdin.isTTY || process.stdin.readable) process.stdin.on('data', onInput);
  let ended = false;
  link.onEnd(() => { ended = true; });
  const abortWait = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  let code = 0;
  try {
    for (;;) {
      // The monitor is polled with short connections so other qdc commands can use it
      // meanwhile; not at once: the guest has just been started, and a monitor connection
      // takes QEMU's main loop (and its lock) from a booting guest.
      await Promise.race([new Promise((r) => setTimeout(r, ended ? 20 : 100)), abortWait]);
      const st = await domainStatus(rec);
      if (!st.alive) { process.stderr.write(`\nqdc run: QEMU exited; see ${rec.log}\n`); store.remove(rec); break; }
      if (st.status === 'shutdown') {
        process.stderr.write(`\nqdc run: guest powered off (on_poweroff: ${rec.onPoweroff})\n`);
        await applyPoweroff(store, rec);
        break;
      }
      if (signal.aborted) {
        process.stderr.write('\nqdc run: interrupted; stopping the guest\n');
        await quitDomain(store, rec);
        code = 130;
        break;
      }
    }
  } finally {
    process.stdin.off('data', onInput);
    process.stdin.pause();
    link.close();
    done();
  }
  return code;
}
