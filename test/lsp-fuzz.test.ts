// 10,000 random edits (garbage, deletions, truncation, XML fragments) replayed against the
// server over stdio, with completion/hover/symbol requests in between: the server must
// never crash, never log an unhandled error, keep answering, and keep its memory flat.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionRequest, DidChangeTextDocumentNotification, DocumentSymbolRequest, HoverRequest } from 'vscode-languageserver-protocol/node.js';
import { CONFORMANCE_DIR } from './golden-options.js';
import { TestClient } from './lsp/client.js';

// a small deterministic PRNG so a failure can be replayed
function rng(seed: number): () => number {
  return () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
}

const FRAGMENTS = ['<', '>', '/>', '</', "='", '"', '&', '&amp;', '<!--', '-->', '<![CDATA[', ']]>', '<qemu:arg value=\'', '<disk type="file">',
  '</devices>', '<qemu:property name=', "capability='", '<alias name="ua-x"/>', '\n', '    ', 'é', '\u0000', '<!DOCTYPE x [', '<?xml', 'xmlns:qemu="x"'];

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

let client: TestClient;
const uri = 'file:///fuzz/domain.xml';

beforeAll(async () => {
  client = new TestClient();
  await client.initialize({ capsFile: join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml') });
});
afterAll(async () => { await client?.close(); });

describe('language server under random edits', () => {
  it('survives 10,000 edits with flat memory', async () => {
    const base = readFileSync(join(import.meta.dirname, '../fixtures/golden/qemu-ns/override.xml'), 'utf8');
    let text = base;
    let version = 1;
    await client.open(uri, text, version);
    const rand = rng(20261123);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let rssAfterWarmup = 0;
    for (let batch = 0; batch < 100; batch++) {
      for (let k = 0; k < 100; k++) {
        const r = rand();
        const at = Math.floor(rand() * (text.length + 1));
        if (r < 0.35) text = text.slice(0, at) + pick(FRAGMENTS) + text.slice(at);
        else if (r < 0.6) text = text.slice(0, at) + text.slice(Math.min(text.length, at + Math.floor(rand() * 40)));
        else if (r < 0.65) text = text.slice(0, at); // truncation
        else if (r < 0.7) text = base; // back to a valid document now and then
        else text = text.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 90)) + text.slice(at);
        version++;
        await client.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
      }
      const pos = { line: Math.floor(rand() * 30), character: Math.floor(rand() * 40) };
      const wait = client.nextDiagnostics(uri, version);
      const [c, h, s] = await Promise.all([
        client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: pos }),
        client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: pos }),
        client.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }),
      ]);
      expect(c === null || Array.isArray(c) || typeof c === 'object').toBe(true);
      expect(h === null || typeof h === 'object').toBe(true);
      expect(Array.isArray(s)).toBe(true);
      await wait;
      if (batch === 9) { global.gc?.(); rssAfterWarmup = rssOf(client.proc.pid!); }
    }
    expect(client.proc.exitCode).toBeNull();
    expect(client.stderr).not.toMatch(/unhandled|TypeError|RangeError|analysis failed/i);
    expect(client.logs.filter((l) => /qdc:|Error/.test(l))).toEqual([]);
    const rssEnd = rssOf(client.proc.pid!);
    expect(rssEnd - rssAfterWarmup).toBeLessThan(60);
  }, 120_000);
});
