// Golden tests: every fixtures/golden/**/NAME.xml is compiled and compared whole with
// NAME.args (success) or NAME.err (the diagnostics, one per line). Set QDC_UPDATE_GOLDEN=1
// to write missing expectation files (review them before committing).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, formatArgs, formatDiagnostic } from '../compiler/src/index.js';
import { goldenOptions } from './golden-options.js';

const dir = join(import.meta.dirname, '../fixtures/golden');

function* xmlFiles(d: string): Generator<string> {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) yield* xmlFiles(p);
    else if (e.endsWith('.xml')) yield p;
  }
}

export function renderGolden(xmlPath: string): { kind: 'args' | 'err'; text: string } {
  const text = readFileSync(xmlPath, 'utf8');
  const r = compile(text, goldenOptions());
  const name = relative(dir, xmlPath);
  if (r.plan && !r.diagnostics.some((d) => d.severity === 'error')) {
    const warnings = r.diagnostics.map((d) => formatDiagnostic(name, d)).join('\n');
    const taint = r.plan.tainted.map((t) => `# tainted: ${t.code}: ${t.message}`).join('\n');
    return { kind: 'args', text: (taint ? taint + '\n' : '') + (warnings ? warnings + '\n' : '') + formatArgs(r.plan) };
  }
  return { kind: 'err', text: r.diagnostics.map((d) => formatDiagnostic(name, d)).join('\n') + '\n' };
}

describe('golden', () => {
  const files = existsSync(dir) ? [...xmlFiles(dir)] : [];
  it('has fixtures', () => { expect(files.length).toBeGreaterThan(0); });
  for (const f of files) {
    const name = relative(dir, f);
    it(name, () => {
      const got = renderGolden(f);
      const base = f.slice(0, -4);
      const argsFile = `${base}.args`;
      const errFile = `${base}.err`;
      const expectedFile = existsSync(argsFile) ? argsFile : existsSync(errFile) ? errFile : undefined;
      if (!expectedFile) {
        if (process.env.QDC_UPDATE_GOLDEN) { writeFileSync(`${base}.${got.kind}`, got.text); return; }
        throw new Error(`no ${name.replace(/\.xml$/, '')}.args or .err expectation (QDC_UPDATE_GOLDEN=1 writes it)`);
      }
      expect(`${got.kind}:\n${got.text}`).toBe(`${expectedFile.endsWith('.args') ? 'args' : 'err'}:\n${readFileSync(expectedFile, 'utf8')}`);
    });
  }
});
