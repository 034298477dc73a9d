// Diagnostics are values: every stage returns them instead of throwing.
export interface Position { line: number; column: number; offset: number }
export interface Range { start: Position; end: Position }
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: string;
  message: string;
  severity: Severity;
  range: Range;
}

export const NO_RANGE: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/** Collects diagnostics for one compilation. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  error(code: string, message: string, range: Range = NO_RANGE): void {
    this.items.push({ code, message, severity: 'error', range });
  }
  warning(code: string, message: string, range: Range = NO_RANGE): void {
    this.items.push({ code, message, severity: 'warning', range });
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Thrown only inside the compiler to abandon a compilation after a fatal diagnostic;
 * `compile()` turns it back into a value. Never escapes the compiler. */
export class FatalDiagnostic extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}[${d.code}]: ${d.message}`;
}
