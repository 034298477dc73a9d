// Graphics autoport when a domain runs: the first port nothing on the host listens on.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostPortAllocator, listeningTcpPorts } from '../runtime/ports.js';
import { ROOT } from './lsp/client.js';

const listen = (port: number): Promise<Server> => new Promise((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(port, '127.0.0.1', () => res(s));
});

describe('graphics port allocation', () => {
  it('skips ports in use and never hands out one twice', () => {
    const next = hostPortAllocator(new Set([5900, 5901, 5903]));
    expect([next(5900), next(5900), next(5900), next(5700)]).toEqual([5902, 5904, 5905, 5700]);
  });

  it('sees the host\'s listening sockets', async () => {
    const s = await listen(0);
    try {
      expect(listeningTcpPorts().has((s.address() as { port: number }).port)).toBe(true);
    } finally { s.close(); }
  });

  const qemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
  (qemu || process.env.CI ? it : it.skip)('gives a running VNC display a free port, not a taken 5900', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qdc-ports-'));
    const blocker = await listen(5900).catch(() => undefined); // 5900 may be taken already: either way it is busy
    const qdc = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/qdc.js'), ...args], { encoding: 'utf8' });
    try {
      const img = join(tmp, 'hello.img');
      execFileSync(process.execPath, [join(ROOT, 'fixtures/guests/make-hello.mjs'), '--wait', img]);
      const xml = readFileSync(join(ROOT, 'fixtures/domains/hello.xml'), 'utf8')
        .replace(/<source file='[^']*'/, `<source file='${img}'`).replace('<name>hello</name>', '<name>vnc</name>')
        .replace('</devices>', "  <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n  </devices>");
      writeFileSync(join(tmp, 'vnc.xml'), xml);
      const root = join(tmp, 'root');
      const run = qdc('run', join(tmp, 'vnc.xml'), '--root', root);
      expect(run.status, run.stderr).toBe(0);
      const vnc = qdc('monitor', 'vnc', '{"execute":"query-vnc"}', '--root', root);
      expect(vnc.status, vnc.stderr).toBe(0);
      const service = Number(JSON.parse(vnc.stdout).service);
      expect(service).toBeGreaterThan(5900);
      qdc('destroy', 'vnc', '--root', root);
    } finally {
      blocker?.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
