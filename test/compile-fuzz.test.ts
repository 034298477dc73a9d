// Mutated corpus documents (attributes dropped or set to odd values, elements removed) must
// never make the compiler throw, loop or exhaust memory: every one ends in a plan or in
// diagnostics. (This found unbounded loops on absurd controller indexes and PCI buses.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/src/index.js';
import { CONFORMANCE_DIR, goldenOptions } from './golden-options.js';

function rng(seed: number): () => number {
  return () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
}

const ODD = ['', '-1', '0', '99999999999', 'x', 'yes', 'none', '0x1ff', '4294967296'];

describe('compiler under mutated input', () => {
  it('returns diagnostics, never throws, on 4 mutations of every corpus document', () => {
    const dir = join(CONFORMANCE_DIR, 'tests/qemuxml2argvdata');
    const rand = rng(7);
    const opts = goldenOptions();
    const thrown: string[] = [];
    let n = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.xml'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      const attrs = [...text.matchAll(/ ([a-zA-Z_]+)='([^']*)'/g)];
      const empties = [...text.matchAll(/\n\s*<([a-z]+)[^>]*\/>/g)];
      for (let k = 0; k < 4 && attrs.length; k++) {
        const a = attrs[Math.floor(rand() * attrs.length)]!;
        const r = rand();
        let v: string;
        if (r < 0.3) v = text.slice(0, a.index) + text.slice(a.index! + a[0].length);
        else if (r < 0.8 || !empties.length) v = `${text.slice(0, a.index)} ${a[1]}='${ODD[Math.floor(rand() * ODD.length)]}'${text.slice(a.index! + a[0].length)}`;
        else { const e = empties[Math.floor(rand() * empties.length)]!; v = text.slice(0, e.index) + text.slice(e.index! + e[0].length); }
        n++;
        try {
          const res = compile(v, opts);
          if (!res.plan && !res.diagnostics.some((d) => d.severity === 'error')) thrown.push(`${f}: neither a plan nor an error`);
        } catch (e) {
          thrown.push(`${f}: ${(e as Error).message}`);
        }
      }
    }
    expect(n).toBeGreaterThan(3000);
    expect(thrown).toEqual([]);
  }, 120_000);
});
