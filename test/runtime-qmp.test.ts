// The QMP client against recorded sessions: a scripted peer replays what QEMU 7.2 sent
// (greeting, replies, events) and misbehaves on purpose (silence, EOF, garbage).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '../runtime/qmp.js';

// Recorded from qemu-system-x86_64 7.2 (Debian 1:7.2+dfsg-7+deb12u18+b3).
const GREETING = '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}';
const RECORDED: Record<string, (id: unknown) => string[]> = {
  qmp_capabilities: (id) => [`{"return": {}, "id": ${JSON.stringify(id)}}`],
  'query-status': (id) => [`{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": ${JSON.stringify(id)}}`],
  cont: (id) => [
    `{"timestamp": {"seconds": 1795411737, "microseconds": 356086}, "event": "RESUME"}`,
    `{"return": {}, "id": ${JSON.stringify(id)}}`,
  ],
  'no-such-command': (id) => [`{"id": ${JSON.stringify(id)}, "error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}}`],
};

type Behaviour = (sock: Socket, req: { execute: string; id?: unknown }) => void;

let dir: string | undefined;
let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function peer(opts: { greet?: boolean; on?: Behaviour } = {}): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'qdc-qmp-'));
  const path = join(dir, 'm.sock');
  server = createServer((sock) => {
    if (opts.greet !== false) sock.write(GREETING + '\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl; (nl = buf.indexOf('\n')) >= 0;) {
        const req = JSON.parse(buf.slice(0, nl)) as { execute: string; id?: unknown };
        buf = buf.slice(nl + 1);
        if (opts.on) opts.on(sock, req);
        else for (const line of RECORDED[req.execute]!(req.id)) sock.write(line + '\r\n');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(path, () => r()));
  return path;
}

describe('QMP client (recorded sessions)', () => {
  it('reads the greeting, negotiates and runs commands with ids', async () => {
    const path = await peer();
    const qmp = await QmpClient.open(path);
    expect(qmp.greeting?.QMP.version.qemu).toEqual({ micro: 22, minor: 2, major: 7 });
    const st = await qmp.execute('query-status', undefined);
    expect(st).toEqual({ status: 'prelaunch', singlestep: false, running: false });
    qmp.close();
  });

  it('delivers events and matches replies by id', async () => {
    const path = await peer();
    const qmp = await QmpClient.open(path);
    const resumed = qmp.waitEvent('RESUME', 2000);
    await qmp.execute('cont', undefined);
    expect((await resumed).event).toBe('RESUME');
    qmp.close();
  });

  it('turns QMP errors into typed failures', async () => {
    const path = await peer();
    const qmp = await QmpClient.open(path);
    const err = await qmp.executeRaw('no-such-command').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect(err).toMatchObject({ kind: 'command', qmpClass: 'CommandNotFound' });
    // the link stays usable after a command error
    expect((await qmp.execute('query-status', undefined)).status).toBe('prelaunch');
    qmp.close();
  });

  it('times out a command that gets no reply and ignores the late reply', async () => {
    let held: (() => void) | undefined;
    const path = await peer({
      on: (sock, req) => {
        const reply = (): void => { for (const l of RECORDED[req.execute]!(req.id)) sock.write(l + '\r\n'); };
        if (req.execute === 'query-status' && !held) held = reply; else reply();
      },
    });
    const qmp = await QmpClient.open(path);
    const err = await qmp.execute('query-status', undefined, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
    held!();
    expect((await qmp.execute('query-status', undefined)).status).toBe('prelaunch');
    qmp.close();
  });

  it('fails pending commands cleanly on EOF', async () => {
    const path = await peer({ on: (sock, req) => { if (req.execute === 'qmp_capabilities') sock.write(RECORDED.qmp_capabilities!(req.id)[0] + '\r\n'); else sock.end(); } });
    const qmp = await QmpClient.open(path);
    const err = await qmp.execute('query-status', undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'eof' });
    expect((await qmp.closed).kind).toBe('eof');
    await expect(qmp.execute('query-status', undefined)).rejects.toMatchObject({ kind: 'eof' });
  });

  it('treats garbage on the wire as a protocol error', async () => {
    const path = await peer({ on: (sock, req) => { if (req.execute === 'qmp_capabilities') sock.write(RECORDED.qmp_capabilities!(req.id)[0] + '\r\n'); else sock.write('Segmentation fault\r\n'); } });
    const qmp = await QmpClient.open(path);
    const err = await qmp.execute('query-status', undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'protocol' });
    expect((err as Error).message).toContain('garbage');
  });

  it('gives up when no greeting comes', async () => {
    const path = await peer({ greet: false });
    await expect(QmpClient.connect(path, { timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('reports a missing socket as a connect failure', async () => {
    await expect(QmpClient.connect('/nonexistent/qdc.sock', { timeoutMs: 100 })).rejects.toMatchObject({ kind: 'connect' });
  });
});
