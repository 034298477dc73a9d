// qdc: the command-line entry. Each subcommand lives in its own module; modules that pull
// in heavy dependencies (runtime, language server) are loaded only when used.
import { UsageError } from './args.js';
import { InputError } from './compile-inputs.js';
import { RuntimeError } from '../runtime/errors.js';
import { RootError } from '../runtime/root.js';
import { writeStdout } from './stdout.js';

const HELP = `qdc — domain XML to QEMU

usage: qdc <command> [options]

commands:
  compile FILE.xml     print the QEMU command line (--format args|json|plan)
  lint FILE|DIR…       validate domain XML (grammar + semantic rules)
  run FILE.xml         start a domain with QEMU
  list | status | stop | destroy | console | monitor   manage running domains
  caps                 probe the installed QEMU's capabilities
  secret define|set-value|list|…   the secrets disks name in <auth> and <encryption>
  lsp --stdio          start the language server

run 'qdc <command> --help' for a command's options.`;

type Command = (argv: string[]) => number | Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  compile: async () => (await import('./compile.js')).runCompile,
  lint: async () => (await import('./lint.js')).runLint,
  lsp: async () => (await import('./lsp.js')).runLspCommand,
  run: async () => (await import('./run.js')).runRun,
  list: async () => (await import('./domains.js')).runList,
  status: async () => (await import('./domains.js')).runStatus,
  stop: async () => (await import('./domains.js')).runStop,
  destroy: async () => (await import('./domains.js')).runDestroy,
  console: async () => (await import('./domains.js')).runConsole,
  monitor: async () => (await import('./domains.js')).runMonitor,
  caps: async () => (await import('./caps.js')).runCaps,
  secret: async () => (await import('./secret.js')).runSecret,
};

/** The JavaScript runtime qdc runs on: Node for dist/qdc.js, Bun for the standalone executable. */
function runtimeName(): string {
  const bun = (process.versions as { bun?: string }).bun;
  return bun ? `bun ${bun}` : `node ${process.version}`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP + '\n'); return cmd ? 0 : 2; }
  if (cmd === '--version') { writeStdout(`qdc 0.1.0 (${runtimeName()})\n`); return 0; }
  const load = COMMANDS[cmd];
  if (!load) { process.stderr.write(`qdc: unknown command '${cmd}'\n\n${HELP}\n`); return 2; }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`qdc ${cmd}: ${e.message}\n`); return 2; }
    if (e instanceof InputError) {
      process.stderr.write(e.file ? `${e.file}:${e.line ?? 1}:1: ${e.message}\n` : `qdc ${cmd}: error: ${e.message}\n`);
      return e.file ? 1 : 2;
    }
    if (e instanceof RuntimeError || e instanceof RootError) {
      process.stderr.write(`qdc ${cmd}: error: ${e.message}\n${e instanceof RuntimeError && e.hint ? `  hint: ${e.hint}\n` : ''}`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`qdc ${cmd}: internal error: ${err.message}\n${process.env.QDC_DEBUG ? err.stack + '\n' : ''}`);
    return 70;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
