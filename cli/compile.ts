// `qdc compile FILE.xml [--caps-file F] [--qemu-conf F] [--root DIR] [--format args|json|plan]`
import { compile, parseDomain } from '../compiler/src/compile.js';
import { formatArgs, formatJson, formatPlan } from '../compiler/src/format/format.js';
import { parseArgs, str, UsageError } from './args.js';
import { compileInputs, readText } from './compile-inputs.js';
import { layoutFrom } from './root-option.js';
import { printDiagnostics, printTaint } from './report.js';
import { writeStdout } from './stdout.js';

export const COMPILE_USAGE = 'usage: qdc compile FILE.xml [--caps-file F] [--qemu-conf F] [--root DIR] [--format args|json|plan]';

export async function runCompile(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { values: ['caps-file', 'qemu-conf', 'root', 'format', 'domain-id'] });
  if (p.positional.length !== 1) throw new UsageError(COMPILE_USAGE);
  const format = str(p, 'format') ?? 'args';
  if (!['args', 'json', 'plan'].includes(format)) throw new UsageError(`--format must be args, json or plan (got '${format}')`);
  const file = p.positional[0]!;
  const text = readText(file, 'domain XML');
  const model = parseDomain(text); // once, for the emulator lookup and the compile
  // Without --caps-file, the cached probe of the domain's <emulator> (probed on first use).
  // the probe pulls in process spawning: load it only when there is no --caps-file
  const caps = str(p, 'caps-file') ? undefined : await (await import('./domain-caps.js')).probedCapsFor(model.domain, layoutFrom(p));
  const inputs = compileInputs({ root: str(p, 'root'), capsFile: str(p, 'caps-file'), qemuConf: str(p, 'qemu-conf'), caps });
  if (printDiagnostics(inputs.confFile ?? 'qemu.conf', inputs.confDiagnostics)) return 1;
  const result = compile(text, { ...inputs.options, model, nowEpochSeconds: Math.floor(Date.now() / 1000) });
  const failed = printDiagnostics(file, result.diagnostics, text);
  if (failed || !result.plan) return 1;
  printTaint(file, result.plan);
  const out = format === 'args' ? formatArgs(result.plan) : format === 'json' ? formatJson(result.plan) : formatPlan(result.plan);
  writeStdout(out);
  return 0;
}
