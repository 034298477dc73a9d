// The editor's run command against the real QEMU: qdc.lsp.run boots the hello guest through
// the runtime, the server pushes its state changes (qdc/domainState), status reports it, and
// the guest's poweroff ends it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecuteCommandRequest } from 'vscode-languageserver-protocol/node.js';
import { CONFORMANCE_DIR } from './golden-options.js';
import { ROOT, TestClient } from './lsp/client.js';
import { embedRoot } from '../runtime/root.js';
import { pidAlive, StateStore } from '../runtime/state.js';

const qemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
// CI installs QEMU: a missing binary there is a failure, not a skip
const run = qemu || process.env.CI ? it : it.skip;

let tmp: string;
let client: TestClient;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'qdc-lsp-run-'));
  client = new TestClient();
  await client.initialize({ capsFile: join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml'), root: join(tmp, 'root') });
});
afterAll(async () => {
  await client?.close();
  // a failed test must not leave its guest running (the --wait guest spins until it is fed)
  for (const r of new StateStore(embedRoot(join(tmp, 'root')).runDir).list()) if (r.pid && pidAlive(r.pid, r.pidStart)) process.kill(r.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('run from the editor', () => {
  run('boots the hello guest and pushes its state changes', async () => {
    const img = join(tmp, 'hello.img');
    // the --wait variant holds the guest until it reads a byte on COM1, so "running" is observable
    execFileSync(process.execPath, [join(ROOT, 'fixtures/guests/make-hello.mjs'), '--wait', img]);
    const xml = readFileSync(join(ROOT, 'fixtures/domains/hello.xml'), 'utf8').replace(/<source file='[^']*'/, `<source file='${img}'`);
    const uri = `file://${join(tmp, 'hello.xml')}`;
    await client.open(uri, xml);
    const states: string[] = [];
    client.conn.onNotification('qdc/domainState', (s: { name: string; state: string }) => { if (s.name === 'hello') states.push(s.state); });

    const r = await client.conn.sendRequest(ExecuteCommandRequest.type, { command: 'qdc.lsp.run', arguments: [{ uri }] }) as { ok: boolean; name: string; state: string; error?: string };
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, name: 'hello', state: 'running' });
    expect(states).toEqual(expect.arrayContaining(['compiled', 'spawned', 'qmp-ready', 'running']));

    const s = await client.conn.sendRequest(ExecuteCommandRequest.type, { command: 'qdc.lsp.status', arguments: [{ uri }] }) as { ok: boolean; state: string };
    expect(s).toMatchObject({ ok: true, state: 'running' });

    const stop = await client.conn.sendRequest(ExecuteCommandRequest.type, { command: 'qdc.lsp.stop', arguments: [{ uri }] }) as { ok: boolean; state: string };
    expect(stop).toMatchObject({ ok: true, state: 'stopped' });
    const t0 = Date.now();
    while (!states.includes('stopped') && Date.now() - t0 < 10000) await new Promise((res) => setTimeout(res, 100));
    expect(states).toContain('stopped');
  }, 60_000);

  it('reports a domain that is not running', async () => {
    const uri = 'file:///nowhere/ghost.xml';
    await client.open(uri, "<domain type='qemu'><name>ghost</name><memory>65536</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>");
    const s = await client.conn.sendRequest(ExecuteCommandRequest.type, { command: 'qdc.lsp.status', arguments: [{ uri }] }) as { ok: boolean; error?: string };
    expect(s.ok).toBe(false);
    expect(s.error).toMatch(/ghost/);
  });
});
