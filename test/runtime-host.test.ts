// The host side of a plan with the real QEMU: fds the runtime must open or refuse, plan files,
// helper daemons. Plans are compiled from our hello domain and, where the host cannot produce
// the construct (no SEV, no SCSI LUN), extended by hand: what is tested is the runtime.
// Without qemu-system-x86_64 these are skipped locally and FAIL on CI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInputs } from '../cli/compile-inputs.js';
import { probedCapsFor } from '../cli/domain-caps.js';
import { compile, parseDomain, type Plan } from '../compiler/src/index.js';
import { RuntimeError } from '../runtime/errors.js';
import { helperBinary, unixListening } from '../runtime/host-resources.js';
import { destroyDomain } from '../runtime/lifecycle.js';
import { startDomain, stateStore } from '../runtime/process.js';
import { embedRoot, type RootLayout } from '../runtime/root.js';
import { pidAlive } from '../runtime/state.js';

const QEMU = '/usr/bin/qemu-system-x86_64';
const HELLO_XML = readFileSync(resolve('fixtures/domains/hello.xml'), 'utf8');
const suite = existsSync(QEMU) || process.env.CI ? describe : describe.skip;

let root = '';
let layout: RootLayout;
let image = '';

function xmlFor(name: string, devices = ''): string {
  return HELLO_XML.replace('<name>hello</name>', `<name>${name}</name>`).replaceAll('/tmp/qdc-hello.img', image)
    .replace('<controller type=\'usb\' model=\'none\'/>', `<controller type='usb' model='none'/>\n${devices}`);
}

/** Start `name`, letting `edit` change the compiled plan (paused, so the guest never runs). */
async function start(name: string, opts: { devices?: string; edit?: (p: Plan) => void } = {}) {
  const text = xmlFor(name, opts.devices);
  const caps = await probedCapsFor(parseDomain(text).domain, layout);
  const inputs = compileInputs({ root, caps, paused: true });
  return startDomain({
    layout, onPoweroff: 'destroy',
    compile: (domainId) => {
      const r = compile(text, { ...inputs.options, domainId, startPaused: true });
      if (!r.plan) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
      opts.edit?.(r.plan);
      return r.plan;
    },
  });
}

function nextFd(p: Plan): number { return Math.max(...p.passFds.map((f) => f.fd)) + 1; }

/** Nothing of `name` under the root: no record, pid file or private dir. */
function expectNoTraces(name: string): void {
  expect(readdirSync(join(root, 'run/qemu')).filter((f) => f.startsWith(`${name}.`))).toEqual([]);
  expect(readdirSync(join(root, 'lib/qemu')).filter((f) => f.endsWith(`-${name}`))).toEqual([]);
}

async function refusal(p: Promise<unknown>): Promise<RuntimeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(RuntimeError);
  return e as RuntimeError;
}

suite('runtime host resources with the real QEMU', () => {
  beforeAll(() => {
    root = mkdtempSync('/tmp/qh-');
    layout = embedRoot(root);
    image = join(root, 'wait.img');
    execFileSync(process.execPath, ['fixtures/guests/make-hello.mjs', '--wait', image]);
  });
  afterAll(() => {
    for (const f of existsSync(join(root, 'run/qemu')) ? readdirSync(join(root, 'run/qemu')) : []) {
      if (!f.endsWith('.pid')) continue;
      try { process.kill(Number(readFileSync(join(root, 'run/qemu', f), 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a missing vhost-vsock device before anything starts, naming the module', async () => {
    const e = await refusal(start('vsock', {
      edit: (p) => { p.passFds.push({ fd: nextFd(p), kind: 'vhost-vsock', path: '/dev/qdc-no-such-vhost-vsock' }); },
    }));
    expect(e.message).toContain('vhost-vsock device /dev/qdc-no-such-vhost-vsock is missing');
    expect(e.hint).toBe('load the kernel module: modprobe vhost_vsock');
    expectNoTraces('vsock');
    expect(existsSync(join(root, 'log/qemu/vsock.log'))).toBe(false);
  });

  it('refuses a bridge interface on a bridge the host does not have, before anything starts', async () => {
    const e = await refusal(start('tap', { devices: "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='qdc-nobr0'/><model type='virtio'/></interface>" }));
    expect(e.message).toMatch(process.getuid?.() === 0
      ? /^interface net0 \(<interface type='bridge'> on bridge 'qdc-nobr0'\): there is no bridge 'qdc-nobr0' on this host; nothing was started/
      : /needs a tap device, and creating one needs root/);
    expectNoTraces('tap');
    expect(existsSync(join(root, 'log/qemu/tap.log'))).toBe(false);
  });

  it('creates, sets up and deletes the tap devices of bridge and ethernet interfaces', async () => {
    const bridge = `qdcbr${process.pid % 10000}`;
    const tapDev = `qdct${process.pid % 10000}`;
    const links = (): { ifname: string; address?: string; master?: string; flags?: string[] }[] => JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }));
    const made = spawnSync('ip', ['link', 'add', bridge, 'type', 'bridge']).status === 0;
    // taps need /dev/net/tun too, which a container may lack
    const probeTap = `qdcp${process.pid % 10000}`;
    const tapsWork = made && spawnSync('ip', ['tuntap', 'add', 'dev', probeTap, 'mode', 'tap']).status === 0;
    if (tapsWork) spawnSync('ip', ['link', 'del', probeTap]);
    const devices = `<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='${bridge}'/><model type='e1000'/></interface>
<interface type='ethernet'><mac address='52:54:00:aa:bb:cd'/><target dev='${tapDev}'/><model type='rtl8139'/></interface>`;
    try {
      if (!tapsWork) {
        // no CAP_NET_ADMIN or no /dev/net/tun here: qdc must still refuse or fail cleanly
        const e = await refusal(start('taps', { devices }));
        expect(e.message).toMatch(/no bridge|needs root|ip tuntap add .* failed/);
        expectNoTraces('taps');
        return;
      }
      const started = await start('taps', { devices });
      const log = readFileSync(started.record.log, 'utf8');
      const byName = new Map(links().map((l) => [l.ifname, l]));
      const vnet = [...byName.values()].find((l) => l.master === bridge)!;
      expect(vnet.ifname).toMatch(/^vnet\d+$/);
      expect(vnet.address).toBe('fe:54:00:aa:bb:cc'); // libvirt's host-side MAC
      expect(vnet.flags).toContain('UP');
      expect(byName.get(tapDev)?.address).toBe('fe:54:00:aa:bb:cd');
      expect(log).toContain(`"ifname":"${vnet.ifname}","script":"no","downscript":"no"`);
      expect(log).toContain(`"ifname":"${tapDev}"`);
      expect(pidAlive(started.record.pid)).toBe(true);
      await destroyDomain(stateStore(layout), started.record);
      const after = new Set(links().map((l) => l.ifname));
      expect(after.has(vnet.ifname)).toBe(false);
      expect(after.has(tapDev)).toBe(false);
      expectNoTraces('taps');
    } finally {
      if (made) spawnSync('ip', ['link', 'del', bridge]);
    }
  });

  it('refuses a socket in a directory that does not exist', async () => {
    const e = await refusal(start('nodir', { devices: "<serial type='unix'><source mode='bind' path='/tmp/qdc-no-such-dir/s.sock'/><target port='1'/></serial>" }));
    expect(e.message).toContain('directory /tmp/qdc-no-such-dir does not exist');
    expectNoTraces('nodir');
  });

  it('writes plan files 0600, passes listen sockets at their fd, and removes them with the domain', async () => {
    const sock = join(root, 'chan.sock');
    let extra = '';
    const { record, plan } = await start('files', {
      devices: `<serial type='unix'><source mode='bind' path='${sock}'/><target port='1'/></serial>
        <channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>`,
      edit: (p) => {
        extra = join(p.domainDir, 'blob.base64');
        p.files = [{ path: extra, content: 'c2VjcmV0', purpose: 'a test blob' }];
      },
    });
    try {
      expect(statSync(extra).mode & 0o777).toBe(0o600);
      expect(readFileSync(extra, 'utf8')).toBe('c2VjcmV0');
      expect(statSync(sock).isSocket()).toBe(true);
      const fd = plan.passFds.find((f) => f.path === sock)!.fd;
      // QEMU holds the socket at the number its command line names
      expect(plan.argv).toContain(`socket,id=charserial1,fd=${fd},server=on,wait=off`);
      expect(readlinkSync(`/proc/${record.pid}/fd/${fd}`)).toMatch(/^socket:/);
      // the agent channel's socket goes in a per-domain directory the runtime creates
      const channel = record.consoles.find((c) => c.kind === 'channel')!.path!;
      expect(statSync(channel).isSocket()).toBe(true);
      expect(record.sockets).toEqual([sock, channel]);
      expect(record.dirs).toEqual([join(root, 'lib/qemu/channel/target', basename(plan.domainDir))]);
    } finally {
      await destroyDomain(stateStore(layout), record);
    }
    expect(existsSync(record.dirs![0]!)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    expect(existsSync(extra)).toBe(false);
    expectNoTraces('files');
  });

  it('runs qemu-pr-helper for the domain and ends it with the domain', async () => {
    const edit = (p: Plan): void => { p.helpers = [{ kind: 'pr-helper', socket: join(p.domainDir, 'pr-helper0.sock'), purpose: 'test reservations' }]; };
    if (!helperBinary({ kind: 'pr-helper', socket: '', purpose: '' })) {
      const e = await refusal(start('prh', { edit }));
      expect(e.message).toContain('qemu-pr-helper is needed for test reservations but is not installed');
      expect(e.hint).toContain('apt-get install qemu-system-common');
      expectNoTraces('prh');
      return;
    }
    const { record } = await start('prh', { edit });
    const helper = record.helpers![0]!;
    expect(pidAlive(helper.pid, helper.pidStart)).toBe(true);
    expect(unixListening(helper.socket)).toBe(true);
    expect(stateStore(layout).read('prh')!.helpers![0]!.pid).toBe(helper.pid);
    await destroyDomain(stateStore(layout), record);
    expect(pidAlive(helper.pid, helper.pidStart)).toBe(false);
    expectNoTraces('prh');
  });

  it('ends the helpers of a domain whose QEMU died behind our back', async () => {
    if (!helperBinary({ kind: 'pr-helper', socket: '', purpose: '' })) return;
    const { record } = await start('stale', { edit: (p) => { p.helpers = [{ kind: 'pr-helper', socket: join(p.domainDir, 'pr.sock'), purpose: 'test' }]; } });
    const helper = record.helpers![0]!;
    process.kill(record.pid!, 'SIGKILL');
    while (pidAlive(record.pid, record.pidStart)) await new Promise((r) => setTimeout(r, 10));
    const { listDomains } = await import('../runtime/lifecycle.js');
    expect(listDomains(layout).cleaned.map((r) => r.name)).toContain('stale');
    expect(pidAlive(helper.pid, helper.pidStart)).toBe(false);
    expectNoTraces('stale');
  });

  it('fails the start with the last output of a helper that dies, leaving nothing behind', async () => {
    const edit = (p: Plan): void => {
      p.helpers = [{ kind: 'virtiofsd', socket: join(p.domainDir, 'fs0-fs.sock'), sharedDir: join(root, 'no-such-share'), purpose: "virtiofs share 'tag0' (fs0)" }];
    };
    const e = await refusal(start('vfs', { edit }));
    if (!helperBinary({ kind: 'virtiofsd', socket: '', sharedDir: '', purpose: '' })) {
      expect(e.message).toContain('virtiofsd is needed');
      expect(e.hint).toContain('apt-get install virtiofsd');
    } else {
      expect(e.message).toMatch(/virtiofsd \(virtiofs share 'tag0' \(fs0\)\) exited during start \(status \d+\); its last output/);
      expect(e.message).toContain('no-such-share');
    }
    expectNoTraces('vfs');
  });

  it('reports a missing <binary path> for virtiofsd', async () => {
    const e = await refusal(start('vfsbin', {
      edit: (p) => { p.helpers = [{ kind: 'virtiofsd', binary: '/nonexistent/virtiofsd', socket: join(p.domainDir, 'v.sock'), sharedDir: root, purpose: 'x' }]; },
    }));
    expect(e.message).toContain("the virtiofsd binary '/nonexistent/virtiofsd' given in <binary path> does not exist");
    expectNoTraces('vfsbin');
  });

  it('opens files for -add-fd write-only as QEMU asks, truncating unless append', async () => {
    const out = join(root, 'ser.out');
    const log = join(root, 'ser.log');
    writeFileSync(out, 'old contents\n');
    writeFileSync(log, 'kept\n');
    const { record, plan } = await start('addfd', { devices: `<serial type='file'><source path='${out}'/><log file='${log}' append='on'/><target port='1'/></serial>` });
    try {
      expect(plan.passFds.filter((f) => f.kind === 'file').map((f) => [f.writeOnly, f.create, f.append ?? false])).toEqual([[true, true, false], [true, true, true]]);
      expect(readFileSync(out, 'utf8')).toBe('');
      expect(readFileSync(log, 'utf8')).toBe('kept\n');
      expect(statSync(out).mode & 0o777).toBe(0o644); // an existing file keeps its mode
    } finally { await destroyDomain(stateStore(layout), record); }
    expect(existsSync(out)).toBe(true); // output files are the user's: kept, as libvirt does
    expectNoTraces('addfd');
  });
});
