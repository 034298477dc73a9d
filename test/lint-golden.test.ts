// Golden diagnostics of `qdc lint`: every fixtures/lint/NAME.xml is linted against the
// installed libvirt grammar (the reference our engine must agree with) and its findings —
// code, exact range and message — are compared whole with NAME.lint.
// QDC_UPDATE_GOLDEN=1 writes missing expectations (review them before keeping).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintText } from '../cli/lint.js';
import { loadSchema } from '../compiler/src/schema/index.js';

const dir = join(import.meta.dirname, '../fixtures/lint');
const schemaDir = process.env.QDC_LIBVIRT_SCHEMAS ?? '/usr/share/libvirt/schemas';
const haveSchemas = existsSync(join(schemaDir, 'domain.rng'));

describe.skipIf(!haveSchemas)('lint golden diagnostics', () => {
  const schema = haveSchemas ? loadSchema(join(schemaDir, 'domain.rng'), (f) => readFileSync(f, 'utf8')) : undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();
  it('has fixtures', () => { expect(files.length).toBeGreaterThan(10); });
  for (const f of files) {
    it(f, () => {
      const text = readFileSync(join(dir, f), 'utf8');
      const got = lintText(text, { schema: schema! })
        .map((d) => `${d.range.start.line}:${d.range.start.column}-${d.range.end.line}:${d.range.end.column} ${d.severity}[${d.code}] ${d.message}\n`)
        .join('');
      const expFile = join(dir, f.replace(/\.xml$/, '.lint'));
      if (!existsSync(expFile)) {
        if (process.env.QDC_UPDATE_GOLDEN) { writeFileSync(expFile, got); return; }
        throw new Error(`no ${f.replace(/\.xml$/, '.lint')} expectation (QDC_UPDATE_GOLDEN=1 writes it)`);
      }
      expect(got).toBe(readFileSync(expFile, 'utf8'));
    });
  }
});
