// Printing diagnostics like a compiler: `file:line:col: error[code]: message`, then the
// source line and a caret when the source is at hand.
import { formatDiagnostic, type Diagnostic } from '../compiler/src/diagnostics.js';
import type { Plan } from '../compiler/src/index.js';

/** Print diagnostics to stderr; returns true when any is an error. */
export function printDiagnostics(file: string, diags: readonly Diagnostic[], source?: string): boolean {
  let errors = false;
  const lines = source?.split('\n');
  for (const d of diags) {
    if (d.severity === 'error') errors = true;
    let out = formatDiagnostic(file, d);
    const line = lines?.[d.range.start.line - 1];
    if (line !== undefined && process.stderr.isTTY) {
      out += `\n  ${line.replace(/\t/g, ' ')}\n  ${' '.repeat(Math.max(0, d.range.start.column - 1))}^`;
    }
    process.stderr.write(out + '\n');
  }
  return errors;
}

export function printTaint(file: string, plan: Plan): void {
  for (const t of plan.tainted) process.stderr.write(`${file}: warning[tainted]: domain is tainted: ${t.message}\n`);
}
