// End to end with the real QEMU: the built qdc (dist/qdc.js, or QDC_BIN: test/qdc-command.ts)
// boots our own guests under TCG. Without qemu-system-x86_64 these are skipped locally and FAIL on CI.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient } from '../runtime/qmp.js';
import { QDC_BIN, QDC_COMMAND } from './qdc-command.js';

const QEMU = '/usr/bin/qemu-system-x86_64';
const LINE = 'hello from the qdc guest';
const HELLO_XML = readFileSync(resolve('fixtures/domains/hello.xml'), 'utf8');
const suite = existsSync(QEMU) || process.env.CI ? describe : describe.skip;

let root = '';
let images = '';

interface Result { code: number | null; stdout: string; stderr: string }

function qdcSync(...args: string[]): Result {
  const r = spawnSync(QDC_COMMAND[0], [...QDC_COMMAND[1], ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, so the concurrent tests overlap. */
function qdc(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(QDC_COMMAND[0], [...QDC_COMMAND[1], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

/** hello.xml renamed, on `image` (the powering-off guest, or the one waiting for a byte). */
function domain(name: string, opts: { image?: 'hello' | 'wait' | string; emulator?: string; serial?: string; devices?: string } = {}): string {
  // Each domain gets its own copy of the image: QEMU locks it, and one failure must not cascade.
  let image = opts.image ?? 'hello';
  if (image === 'hello' || image === 'wait') {
    const own = join(images, `${name}.img`);
    copyFileSync(join(images, `${image}.img`), own);
    image = own;
  }
  let xml = HELLO_XML.replace('<name>hello</name>', `<name>${name}</name>`).replaceAll('/tmp/qdc-hello.img', image);
  if (opts.emulator) xml = xml.replace('/usr/bin/qemu-system-x86_64', opts.emulator);
  // the pty serial port and its console, replaced by another serial port
  if (opts.serial !== undefined) xml = xml.replace(/<serial type='pty'>[\s\S]*?<\/console>/, opts.serial);
  if (opts.devices) xml = xml.replace('</devices>', `${opts.devices}\n  </devices>`);
  const file = join(images, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

async function statusOf(name: string, under = root): Promise<{ status?: string; pid?: number; consoles: { path?: string }[] }> {
  const r = await qdc('status', name, '--root', under, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { status?: string; pid?: number; consoles: { path?: string }[] };
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  // a zombie reaped late still answers kill(0): look at its state
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** `qdc run --console` in the background, with its output collected. */
function runAttached(file: string): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(QDC_COMMAND[0], [...QDC_COMMAND[1], 'run', file, '--root', root, '--console'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? -1 : null))));
  return { child, out: () => out, err: () => err, exit };
}

/** Nothing of `name` left under the root: no record, pid file, private dir or socket. */
function expectNoTraces(name: string, under = root): void {
  const run = readdirSync(join(under, 'run/qemu'));
  expect(run.filter((f) => f.startsWith(`${name}.`))).toEqual([]);
  expect(readdirSync(join(under, 'lib/qemu')).filter((f) => f.endsWith(`-${name}`))).toEqual([]);
}

suite('QMP client against the real QEMU', () => {
  it('negotiates, queries, sees events and reports the EOF of quit', async () => {
    const dir = mkdtempSync('/tmp/qq-');
    const path = join(dir, 'm.sock');
    const qemu = spawn(QEMU, ['-machine', 'none', '-S', '-nodefaults', '-display', 'none', '-qmp', `unix:${path},server=on,wait=off`], { stdio: 'ignore' });
    try {
      await until('the monitor socket', () => existsSync(path));
      const qmp = await QmpClient.open(path);
      expect(qmp.greeting?.QMP.version.qemu.major).toBeGreaterThanOrEqual(7);
      expect((await qmp.execute('query-status', undefined)).status).toBe('prelaunch');
      const resumed = qmp.waitEvent('RESUME', 5000);
      await qmp.execute('cont', undefined);
      expect((await resumed).event).toBe('RESUME');
      await expect(qmp.executeRaw('no-such-command')).rejects.toMatchObject({ kind: 'command', qmpClass: 'CommandNotFound' });
      expect(await qmp.execute('human-monitor-command', { 'command-line': 'info status' })).toContain('running');
      await qmp.execute('quit', undefined).catch(() => undefined);
      expect((await qmp.closed).kind).toBe('eof');
    } finally {
      qemu.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Concurrent: every test has its own domain name and image copy under one root, so they
// cannot see each other except through `qdc list`, which each reads only for its own name.
suite.concurrent('runtime with the real QEMU', () => {
  beforeAll(() => {
    if (!existsSync(QDC_BIN)) throw new Error(`${QDC_BIN} is missing: run npm run build (or set QDC_BIN)`);
    // Short paths: monitor sockets must fit in 107 bytes.
    root = mkdtempSync('/tmp/qe-');
    images = join(root, 'img');
    mkdirSync(images);
    execFileSync(process.execPath, ['fixtures/guests/make-hello.mjs', join(images, 'hello.img')]);
    execFileSync(process.execPath, ['fixtures/guests/make-hello.mjs', '--wait', join(images, 'wait.img')]);
    // One probe up front fills the root's capability cache that every run below reads.
    const caps = qdcSync('caps', '--root', root);
    if (caps.code !== 0) throw new Error(`qdc caps failed: ${caps.stderr}`);
  });
  afterAll(() => {
    // Never leave guests behind, whatever failed.
    for (const f of existsSync(join(root, 'run/qemu')) ? readdirSync(join(root, 'run/qemu')) : []) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number(readFileSync(join(root, 'run/qemu', f), 'utf8'));
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (!process.env.QDC_KEEP_E2E) rmSync(root, { recursive: true, force: true });
  });

  it('probes QEMU into libvirt caps format, caches it, and compiles from the cache', async () => {
    const r = await qdc('caps', '--root', root, '--time', '--refresh');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^<qemuCaps>/);
    for (const flag of ['tcg', 'isa-serial', 'VGA', 'blockdev-reopen', 'set-action']) expect(r.stdout).toContain(`<flag name='${flag}'/>`);
    expect(r.stdout).toMatch(/<machine type='tcg' name='pc-i440fx-[\d.]+' alias='pc'/);
    expect(r.stderr).toMatch(/probed .* in \d+ ms/);
    const again = await qdc('caps', '--root', root, '--time');
    expect(again.stderr).toMatch(/cached/);
    expect(again.stdout).toBe(r.stdout);
    const c = await qdc('compile', domain('compiled'), '--root', root);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('-accel tcg');
    const host = await qdc('caps', '--host');
    expect(host.stdout).toContain(`<emulator>${QEMU}</emulator>`);
  });

  it('boots hello, shows its serial line, and cleans up after the guest powers off', async () => {
    const r = await qdc('run', domain('hello'), '--root', root, '--console');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(LINE);
    expect(r.stderr).toMatch(/guest powered off/);
    expect(r.stderr).toContain(join(root, 'log/qemu/hello.log'));
    expectNoTraces('hello');
    expect(readFileSync(join(root, 'log/qemu/hello.log'), 'utf8')).toContain('-name guest=hello');
  });

  it('goes prelaunch → running → shutdown, driven through the monitor and the console', async () => {
    const r = await qdc('run', domain('st', { image: 'wait' }), '--root', root, '--paused');
    expect(r.code, r.stderr).toBe(0);
    const before = await statusOf('st');
    expect(before.status).toBe('prelaunch');
    const key = readFileSync(join(root, 'lib/qemu', readdirSync(join(root, 'lib/qemu')).find((d) => d.endsWith('-st'))!, 'master-key.aes'));
    expect(key.length).toBe(32);
    expect((await qdc('monitor', 'st', '{"execute":"cont"}', '--root', root)).code).toBe(0);
    expect((await statusOf('st')).status).toBe('running');
    expect((await qdc('monitor', 'st', '--hmp', 'info status', '--root', root)).stdout).toContain('VM status: running');
    // one byte typed into `qdc console` makes the guest power off
    const con = spawn(QDC_COMMAND[0], [...QDC_COMMAND[1], 'console', 'st', '--root', root], { stdio: ['pipe', 'pipe', 'pipe'] });
    let conErr = '';
    con.stderr.on('data', (d) => { conErr += d; });
    const conExit = new Promise<number | null>((r) => con.on('exit', (c) => r(c)));
    await until('the console', () => conErr.includes('connected to st'));
    con.stdin.write('x');
    await until('shutdown', async () => (await statusOf('st')).status === 'shutdown');
    const d = await qdc('destroy', 'st', '--root', root);
    expect(d.code, d.stderr).toBe(0);
    expect(alive(before.pid!)).toBe(false);
    expect(await conExit).toBe(0); // QEMU gone: the console ends by itself
    expect(conErr).toContain('console closed');
    expectNoTraces('st');
  });

  it('takes console input while attached', async () => {
    const run = runAttached(domain('typed', { image: 'wait' }));
    await until('the guest line', () => run.out().includes(LINE));
    run.child.stdin!.write('x');
    expect(await run.exit).toBe(0);
    expect(run.err()).toMatch(/guest powered off/);
    expectNoTraces('typed');
  });

  it('serves a unix-socket serial port (mode bind) that qdc console attaches to', async () => {
    const sock = join(images, 'us.sock');
    const file = domain('us', { image: 'wait', serial: `<serial type='unix'><source mode='bind' path='${sock}'/><target port='0'/></serial>` });
    const r = await qdc('run', file, '--root', root, '--paused');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`serial0: unix ${sock}`);
    const con = spawn(QDC_COMMAND[0], [...QDC_COMMAND[1], 'console', 'us', '--root', root], { stdio: ['pipe', 'pipe', 'pipe'] });
    let conOut = '';
    let conErr = '';
    con.stdout.on('data', (d) => { conOut += d; });
    con.stderr.on('data', (d) => { conErr += d; });
    const conExit = new Promise<number | null>((res) => con.on('exit', (c) => res(c)));
    await until('the console', () => conErr.includes(`connected to us's serial0 (unix ${sock})`));
    expect((await qdc('monitor', 'us', '{"execute":"cont"}', '--root', root)).code).toBe(0);
    await until('the guest line through the socket', () => conOut.includes(LINE));
    con.stdin.write('x');
    await until('shutdown', async () => (await statusOf('us')).status === 'shutdown');
    expect((await qdc('destroy', 'us', '--root', root)).code).toBe(0);
    expect(await conExit).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expectNoTraces('us');
  });

  it('attaches run --console through a unix-socket serial port', async () => {
    const sock = join(images, 'ua.sock');
    const r = await qdc('run', domain('ua', { serial: `<serial type='unix'><source mode='bind' path='${sock}'/><target port='0'/></serial>` }), '--root', root, '--console');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(LINE);
    expect(existsSync(sock)).toBe(false);
    expectNoTraces('ua');
  });

  it('writes a file serial port, truncated, and its log, appended to', async () => {
    const out = join(images, 'fs.out');
    const log = join(images, 'fs.log');
    writeFileSync(out, 'stale output\n');
    writeFileSync(log, 'earlier run\n');
    const r = await qdc('run', domain('fser', { serial: `<serial type='file'><source path='${out}'/><log file='${log}' append='on'/><target port='0'/></serial>` }), '--root', root, '--console');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(LINE);
    expect(readFileSync(out, 'utf8')).toBe(`${LINE}\r\n`);
    expect(readFileSync(log, 'utf8')).toBe(`earlier run\n${LINE}\r\n`);
    expectNoTraces('fser');
  });

  it('refuses a bridge interface without its bridge and a missing vhost device before starting anything', async () => {
    const tap = await qdc('run', domain('tapif', { devices: "<interface type='bridge'><source bridge='qdc-nobr0'/><model type='virtio'/></interface>" }), '--root', root);
    expect(tap.code).toBe(1);
    expect(tap.stderr).toMatch(/interface net0 \(<interface type='bridge'> on bridge 'qdc-nobr0'\)(: there is no bridge 'qdc-nobr0'| needs a tap device, and creating one needs root)/);
    expect(tap.stderr).toMatch(/hint: (create it first|run qdc as root)/);
    expect(tap.stderr).not.toMatch(/\n\s+at /);
    expectNoTraces('tapif');
    expect(existsSync(join(root, 'log/qemu/tapif.log'))).toBe(false);
    // the vhost device is the host's: only refused where it is missing (runtime-host.test.ts fakes one)
    if (existsSync('/dev/vhost-vsock')) return;
    const vsock = await qdc('run', domain('vsk', { devices: "<vsock model='virtio'><cid auto='no' address='3'/></vsock>" }), '--root', root);
    expect(vsock.code).toBe(1);
    expect(vsock.stderr).toContain('the vhost-vsock device /dev/vhost-vsock is missing');
    expect(vsock.stderr).toContain('modprobe vhost_vsock');
    expect(vsock.stderr).not.toMatch(/\n\s+at /);
    expectNoTraces('vsk');
    expect(existsSync(join(root, 'log/qemu/vsk.log'))).toBe(false);
  });

  it('refuses a second run of a running name', async () => {
    expect((await qdc('run', domain('twice', { image: 'wait' }), '--root', root)).code).toBe(0);
    const r = await qdc('run', domain('twice', { image: 'wait' }), '--root', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/domain 'twice' is already running/);
    expect((await statusOf('twice')).status).toBe('running');
    expect((await qdc('destroy', 'twice', '--root', root)).code).toBe(0);
    expectNoTraces('twice');
  });

  it('reports a missing QEMU binary with the install hint', async () => {
    const caps = readdirSync(join(root, 'cache/qemu/capabilities')).find((f) => f.endsWith('.xml'))!;
    for (const extra of [[], ['--caps-file', join(root, 'cache/qemu/capabilities', caps)]]) {
      const r = await qdc('run', domain('nobin', { emulator: '/nonexistent/qemu-system-x86_64' }), '--root', root, ...extra);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("QEMU binary '/nonexistent/qemu-system-x86_64' not found");
      expect(r.stderr).toContain('apt-get install qemu-system-x86');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expectNoTraces('nobin');
    }
  });

  it('reports QEMU dying during start with its last log lines and leaves nothing behind', async () => {
    const r = await qdc('run', domain('dies', { image: join(images, 'missing.img') }), '--root', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/QEMU exited during start \(status 1\)/);
    expect(r.stderr).toContain("Could not open '" + join(images, 'missing.img') + "'");
    expectNoTraces('dies');
  });

  it('refuses socket paths over 107 bytes before starting anything', async () => {
    const long = join(root, 'x'.repeat(80));
    const r = await qdc('run', domain('long'), '--root', long);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/longer than the 107-byte limit: .*monitor\.sock; use a shorter --root/);
    expect(existsSync(join(long, 'log/qemu/long.log'))).toBe(false);
    expect((await qdc('run', domain('rel'), '--root', 'relative/root')).stderr).toMatch(/must be an absolute path/);
  });

  it('survives kill -9 of qdc: list, status and stop find the guest again', async () => {
    const run = runAttached(domain('orphan', { image: 'wait' }));
    await until('the guest line', () => run.out().includes(LINE));
    run.child.kill('SIGKILL');
    await run.exit;
    const list = await qdc('list', '--root', root, '--json');
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'orphan', state: 'running' })]));
    const st = await statusOf('orphan');
    expect(st.status).toBe('running');
    // the guest ignores the ACPI button, so stop falls back to quit after the timeout
    const stop = await qdc('stop', 'orphan', '--root', root, '--timeout', '0.3');
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/did not power off/);
    expect(alive(st.pid!)).toBe(false);
    expectNoTraces('orphan');
  });

  it('detects and cleans the stale record of a guest that died behind our back', async () => {
    // its own root: a concurrent test's `qdc list` would otherwise clean the record first
    const own = join(root, 'ghost-root');
    const started = await qdc('run', domain('ghost', { image: 'wait' }), '--root', own);
    expect(started.code, started.stderr).toBe(0);
    const pid = (await statusOf('ghost', own)).pid!;
    process.kill(pid, 'SIGKILL');
    await until('QEMU to die', () => !alive(pid));
    const list = await qdc('list', '--root', own);
    // say what was seen if this ever fails: the record, the process state, list's output
    const seen = `list: ${list.code} ${list.stdout} ${list.stderr}; /proc: ${existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 80) : 'gone'}; run/qemu: ${readdirSync(join(own, 'run/qemu')).join(' ')}`;
    expect(list.stderr, seen).toMatch(/removed the stale record of 'ghost'/);
    expectNoTraces('ghost', own);
    expect((await qdc('status', 'ghost', '--root', own)).stderr).toMatch(/no domain named 'ghost'/);
  });

  it('boots UEFI firmware it picked from the host\'s descriptors, with a fresh variable store', async () => {
    // CI installs ovmf; a machine without it has nothing to pick from
    if (!process.env.CI && !(existsSync('/usr/share/qemu/firmware') && readdirSync('/usr/share/qemu/firmware').length)) return;
    const serial = join(images, 'uefi-serial.log');
    const file = join(images, 'uefi.xml');
    writeFileSync(file, `<domain type='qemu'>
  <name>uefi</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>${QEMU}</emulator>
    <serial type='file'><source path='${serial}'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>`);
    const r = await qdc('run', file, '--root', root);
    expect(r.code, r.stderr).toBe(0);
    const nvram = join(root, 'lib/qemu/nvram/uefi_VARS.fd');
    expect(statSync(nvram).mode & 0o777).toBe(0o600);
    await until('the firmware on the serial port', () => existsSync(serial) && readFileSync(serial, 'utf8').includes('BdsDxe'), 60_000);
    expect((await qdc('destroy', 'uefi', '--root', root)).code).toBe(0);
    expectNoTraces('uefi');
    expect(existsSync(nvram)).toBe(true); // the guest's variables outlive the run, as with libvirt
  });

  it('opens a LUKS disk with the passphrase from a qdc secret, and reports a wrong one', async () => {
    const luks = join(images, 'data.luks');
    // qemu-img's PBKDF benchmark now and then fails on a busy VM ("Unable to get accurate CPU usage")
    for (let attempt = 1; ; attempt++) {
      const r = spawnSync('qemu-img', ['create', '-q', '-f', 'luks', '--object', 'secret,id=s0,data=letmein', '-o', 'key-secret=s0,iter-time=50', luks, '1M'], { encoding: 'utf8' });
      if (r.status === 0) break;
      if (attempt === 5) throw new Error(`qemu-img create failed: ${r.stderr}`);
    }
    const own = join(root, 'secret-root');
    const def = join(images, 'luks-secret.xml');
    writeFileSync(def, `<secret ephemeral='no' private='yes'><usage type='volume'><volume>${luks}</volume></usage></secret>`);
    expect((await qdc('secret', 'define', def, '--root', own)).stdout).toMatch(/^secret [0-9a-f-]{36} created/);
    const set = (value: string): Promise<Result> => qdc('secret', 'set-value', luks, '--base64', Buffer.from(value).toString('base64'), '--root', own);
    expect((await set('letmein')).code).toBe(0);
    const disk = `<disk type='file' device='disk'><driver name='qemu' type='raw'/>
      <source file='${luks}'><encryption format='luks'><secret type='passphrase' usage='${luks}'/></encryption></source>
      <target dev='hdb' bus='ide'/></disk>`;
    // the guest only runs (and prints its line) once QEMU has unlocked the disk
    const ok = await qdc('run', domain('luks', { devices: disk }), '--root', own, '--console');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(LINE);
    const log = readFileSync(join(own, 'log/qemu/luks.log'), 'utf8');
    expect(log).toMatch(/"qom-type":"secret","id":"libvirt-\d+-format-encryption-secret0","data":"[A-Za-z0-9+/=]+","keyid":"masterKey0","iv":"[A-Za-z0-9+/=]+"/);
    expect(log).not.toContain('letmein');
    expect((await set('not it')).code).toBe(0);
    const bad = await qdc('run', domain('luks', { devices: disk }), '--root', own);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/QEMU exited during start[\s\S]*Invalid password, cannot unlock any keyslot/);
    expectNoTraces('luks', own);
  });

  it('gives the guest an emulated TPM 2.0: swtpm state made once and kept, swtpm ended with the guest', async () => {
    const file = domain('tpm', { image: 'wait', devices: "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>" });
    const r = await qdc('run', file, '--root', root);
    expect(r.code, r.stderr).toBe(0);
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(readFileSync(file, 'utf8'))![1]!;
    const state = join(root, 'lib/swtpm', uuid, 'tpm2/tpm2-00.permall');
    expect(existsSync(state)).toBe(true);
    const record = JSON.parse(readFileSync(join(root, 'run/qemu/tpm.json'), 'utf8')) as { helpers: { kind: string; pid: number }[] };
    const swtpm = record.helpers.find((h) => h.kind === 'swtpm')!;
    expect(alive(swtpm.pid)).toBe(true);
    expect((await qdc('monitor', 'tpm', '{"execute":"query-tpm"}', '--root', root)).stdout).toContain('"model": "tpm-crb"');
    expect((await qdc('destroy', 'tpm', '--root', root)).code).toBe(0);
    await until('swtpm to end', () => !alive(swtpm.pid));
    expect(existsSync(state)).toBe(true); // the guest's TPM identity outlives the run
    expectNoTraces('tpm');
    expect(readdirSync(join(root, 'run/swtpm'))).toEqual([]);
  });

  it('stops the guest cleanly on Ctrl-C during run', async () => {
    const run = runAttached(domain('intr', { image: 'wait' }));
    await until('the guest line', () => run.out().includes(LINE));
    const pid = (await statusOf('intr')).pid!;
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.err()).toMatch(/interrupted; stopping the guest/);
    await until('QEMU to exit', () => !alive(pid));
    expectNoTraces('intr');
  });

  it('reads qemu.conf from the root: unknown keys warn, syntax errors point at the line', async () => {
    const confRoot = mkdtempSync('/tmp/qc-');
    try {
      const caps = join(root, 'cache/qemu/capabilities', readdirSync(join(root, 'cache/qemu/capabilities')).find((f) => f.endsWith('.xml'))!);
      mkdirSync(join(confRoot, 'etc'), { recursive: true });
      writeFileSync(join(confRoot, 'etc/qemu.conf'), 'vnc_listen = "0.0.0.0"\nno_such_setting = 1\n');
      const warn = await qdc('compile', domain('conf'), '--root', confRoot, '--caps-file', caps);
      expect(warn.code, warn.stderr).toBe(0);
      expect(warn.stderr).toMatch(/qemu\.conf:2:1: warning.*no_such_setting/);
      writeFileSync(join(confRoot, 'etc/qemu.conf'), 'user = "qemu"\ngroup = \n');
      const bad = await qdc('compile', domain('conf'), '--root', confRoot, '--caps-file', caps);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/qemu\.conf:2:\d+: error/);
    } finally { rmSync(confRoot, { recursive: true, force: true }); }
  });

  // The standalone executable is built by its own script, so it is checked when one is given:
  // QDC_STANDALONE_BIN=dist/bin/qdc after `npm run build:bin`.
  it.runIf(process.env.QDC_STANDALONE_BIN)('the standalone binary boots hello with no node_modules around', async () => {
    const dir = mkdtempSync('/tmp/qs-');
    try {
      copyFileSync(resolve(process.env.QDC_STANDALONE_BIN!), join(dir, 'qdc'));
      execFileSync('chmod', ['+x', join(dir, 'qdc')]);
      const env = { PATH: '/usr/bin:/bin', HOME: dir };
      const r = spawnSync(join(dir, 'qdc'), ['run', domain('sea'), '--root', dir, '--console'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(LINE);
      // the grammars travel inside the executable
      writeFileSync(join(dir, 'bad.xml'), "<domain type='qemu'><name>b</name><memory>1</memory><os><type>hvm</type></os><on_crash>explode</on_crash></domain>\n");
      const lint = spawnSync(join(dir, 'qdc'), ['lint', 'bad.xml'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
      expect(lint.status, lint.stderr).toBe(1);
      expect(lint.stdout).toMatch(/^bad\.xml:1:\d+: error\[schema-text\]: content of <on_crash> must be one of destroy, /m);
      // and so does the language server
      const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      const lsp = spawn(join(dir, 'qdc'), ['lsp', '--stdio'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'inherit'] });
      const reply = await new Promise<string>((done) => {
        let out = '';
        const timer = setTimeout(() => done(out), 10_000);
        lsp.stdout!.on('data', (d: Buffer) => { out += d; if (out.includes('"capabilities"')) { clearTimeout(timer); done(out); } });
        lsp.stdin!.write(`Content-Length: ${Buffer.byteLength(init)}\r\n\r\n${init}`);
      });
      lsp.kill();
      expect(reply).toMatch(/"completionProvider"/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
