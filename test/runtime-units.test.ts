// Pure parts of the runtime: root layouts, socket path limits, records, probe rules, caps XML.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseQemuCaps } from '../compiler/src/index.js';
import { formatHostCaps } from '../runtime/host.js';
import { formatCapsXml, type ProbeResult } from '../runtime/probe.js';
import { isKnownCapability } from '../compiler/src/caps/capability-names.js';
import { deriveFlags, FLAG_RULES, schemaHas, type ProbeFindings, type QmpSchema } from '../runtime/probe-flags.js';
import { checkSocketPaths, embedRoot, ensureRoot, RootError, sessionRoot } from '../runtime/root.js';
import { endHelpers, isStale, processStart, StateStore, type DomainRecord } from '../runtime/state.js';
import { helperBinary, preflight, virtiofsdArgs } from '../runtime/host-resources.js';
import type { Plan } from '../compiler/src/index.js';

describe('roots', () => {
  it('refuses a relative embedded root', () => {
    expect(() => embedRoot('relative/root')).toThrow(RootError);
  });

  it('creates the embedded tree on first use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qdc-root-'));
    try {
      const layout = embedRoot(dir);
      ensureRoot(layout);
      for (const sub of ['log/qemu', 'log/swtpm', 'etc/qemu', 'etc/pki/qemu', 'run/qemu', 'run/swtpm', 'cache/qemu', 'lib/qemu', 'lib/swtpm']) {
        expect(statSync(join(dir, sub)).isDirectory()).toBe(true);
      }
      expect(layout.qemuConf).toBe(join(dir, 'etc/qemu.conf'));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('uses the XDG session layout without --root', () => {
    const l = sessionRoot({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(l.qemuConf).toBe('/home/u/.config/libvirt/qemu.conf');
    expect(l.runDir).toBe('/run/user/1000/libvirt/qemu/run');
    expect(sessionRoot({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }).qemuConf).toBe('/cfg/libvirt/qemu.conf');
  });

  it('refuses UNIX socket paths over 107 bytes, naming the path and the root', () => {
    const root = '/tmp/' + 'r'.repeat(80);
    const layout = embedRoot(root);
    const path = `${root}/lib/qemu/domain-1-hello/monitor.sock`;
    expect(() => checkSocketPaths([path], layout)).toThrow(/107-byte limit: .*monitor\.sock; use a shorter --root/);
    expect(() => checkSocketPaths(['/tmp/x/monitor.sock'], layout)).not.toThrow();
    expect(() => checkSocketPaths(['/' + 'a'.repeat(106)], layout)).not.toThrow();
  });
});

describe('records', () => {
  const rec = (name: string, pid?: number): DomainRecord => ({
    name, uuid: 'u', id: 1, state: 'running', ownerPid: 999999999, pid, emulator: '/usr/bin/qemu', monitor: '/nonexistent/m.sock',
    domainDir: '/nonexistent/d', log: '/nonexistent/l', consoles: [], onPoweroff: 'destroy', startedAt: '',
  });

  it('claims a name exclusively and cleans up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qdc-state-'));
    try {
      const store = new StateStore(dir);
      expect(store.claim(rec('a'))).toBe(true);
      expect(store.claim(rec('a'))).toBe(false);
      store.write({ ...rec('a'), pid: process.pid });
      expect(store.read('a')?.pid).toBe(process.pid);
      expect(existsSync(store.pidFile('a'))).toBe(true);
      expect(store.list().map((r) => r.name)).toEqual(['a']);
      store.remove(store.read('a')!);
      expect(store.list()).toEqual([]);
      expect(existsSync(store.pidFile('a'))).toBe(false);
      expect(store.nextId()).toBeLessThan(store.nextId());
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('removes the sockets, dirs, files and helpers a record lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qdc-state-'));
    const helper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const store = new StateStore(dir);
      const made = [join(dir, 's.sock'), join(dir, 'blob')];
      for (const f of made) writeFileSync(f, '');
      mkdirSync(join(dir, 'chan/domain-1-a'), { recursive: true });
      const gone = new Promise((r) => helper.once('exit', r));
      store.write({ ...rec('a'), sockets: [made[0]!], files: [made[1]!], dirs: [join(dir, 'chan')],
        helpers: [{ kind: 'pr-helper', binary: 'sleep', socket: made[0]!, log: '/nonexistent', pid: helper.pid, pidStart: processStart(helper.pid!) }] });
      store.remove(store.read('a')!);
      for (const f of [...made, join(dir, 'chan')]) expect(existsSync(f)).toBe(false);
      await gone;
      expect(helper.signalCode).toBe('SIGTERM');
      // a helper pid now used by another process is left alone
      expect(() => endHelpers([{ kind: 'pr-helper', binary: 'x', socket: '', log: '', pid: process.pid, pidStart: '1' }])).not.toThrow();
    } finally { helper.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); }
  });

  it('tells live records from stale ones, including a recycled pid', () => {
    expect(isStale(rec('live', process.pid))).toBe(false);
    expect(isStale(rec('dead', 999999999))).toBe(true);
    expect(isStale({ ...rec('reused', process.pid), pidStart: '1' })).toBe(true);
    expect(isStale(rec('starting-owner-gone'))).toBe(true);
  });
});

const SCHEMA: QmpSchema = new Map(Object.entries({
  'blockdev-add': { name: 'blockdev-add', 'meta-type': 'command', 'arg-type': '0' },
  '0': { name: '0', 'meta-type': 'object', members: [{ name: 'driver', type: '1' }], tag: 'driver', variants: [{ case: 'file', type: '2' }] },
  '1': { name: '1', 'meta-type': 'enum', values: ['file', 'nbd'] },
  '2': { name: '2', 'meta-type': 'object', members: [{ name: 'aio', type: '3' }] },
  '3': { name: '3', 'meta-type': 'enum', values: ['threads', 'native', 'io_uring'] },
  'device_add': { name: 'device_add', 'meta-type': 'command', 'arg-type': '4', features: ['json-cli-hotplug'] },
  '4': { name: '4', 'meta-type': 'object', members: [] },
}));

describe('probe rules', () => {
  it('answers schema queries through variants, enums and features', () => {
    expect(schemaHas(SCHEMA, 'blockdev-add/arg-type/+file/aio/^io_uring')).toBe(true);
    expect(schemaHas(SCHEMA, 'blockdev-add/arg-type/+file/aio/^nope')).toBe(false);
    expect(schemaHas(SCHEMA, 'blockdev-add/arg-type/+nbd/tls-creds')).toBe(false);
    expect(schemaHas(SCHEMA, 'device_add/$json-cli-hotplug')).toBe(true);
    expect(schemaHas(SCHEMA, 'no-such-command')).toBe(false);
  });

  it('derives libvirt flag names from findings, in libvirt order', () => {
    const f: ProbeFindings = {
      version: 7002000, arch: 'x86_64', accels: new Set(['tcg']), types: new Set(['VGA', 'virtio-scsi-pci', 'lsi53c895a']),
      commands: new Set(['set-action']), events: new Set(), props: new Map([['virtio-blk-pci', new Map<string, unknown>([['scsi', false]])]]),
      options: new Map([['sandbox', new Set<string>()]]), machineProps: new Set(['hpet']), cpus: new Set(['max']), schema: SCHEMA,
    };
    const flags = deriveFlags(f);
    expect(flags).toEqual(expect.arrayContaining(['tcg', 'VGA', 'virtio-scsi-pci', 'lsi', 'set-action', 'seccomp-sandbox', 'machine-hpet', 'cpu-max',
      'aio.io_uring', 'device.json+hotplug', 'virtio-blk-pci.scsi', 'virtio-blk-pci.scsi.default.disabled', 'no-acpi']));
    expect(flags).not.toContain('kvm');
    expect(flags).not.toContain('qxl');
    expect(flags.indexOf('VGA')).toBeLessThan(flags.indexOf('tcg'));
    expect(new Set(FLAG_RULES.map(([n]) => n)).size).toBe(FLAG_RULES.length);
  });

  it('has probe rules only for capability names libvirt knows', () => {
    expect(FLAG_RULES.map(([n]) => n).filter((n) => !isKnownCapability(n))).toEqual([]);
  });

  it('writes a <qemuCaps> document the compiler reads back', () => {
    const r: ProbeResult = {
      emulator: '/usr/bin/qemu-system-x86_64', version: 7002022, package: 'Debian <7.2>', arch: 'x86_64', kvmAvailable: false,
      flags: ['tcg', 'VGA'], options: new Map([['sandbox', new Set()]]), deviceTypes: ['VGA'], elapsedMs: 1,
      props: new Map([['VGA', new Map([['vgamem_mb', 16]])]]),
      views: [{ accel: 'tcg', machines: [{ name: 'pc-i440fx-7.2', alias: 'pc', 'is-default': true, 'cpu-max': 255, 'hotpluggable-cpus': true, 'numa-mem-supported': false, deprecated: false, 'default-cpu-type': 'qemu64-x86_64-cpu', 'default-ram-id': 'pc.ram', acpi: true }],
        cpus: [{ name: 'qemu64', typename: 'qemu64-x86_64-cpu', 'unavailable-features': [] }, { name: 'Icelake', 'unavailable-features': ['avx512f'] }] }],
    };
    const caps = parseQemuCaps(formatCapsXml(r, { mtimeSeconds: 5 }));
    expect(caps.version).toBe(7002022);
    expect(caps.package).toBe('Debian <7.2>');
    expect([...caps.flags]).toEqual(['tcg', 'VGA']);
    expect(caps.machines[0]).toMatchObject({ type: 'tcg', name: 'pc-i440fx-7.2', alias: 'pc', default: true, maxCpus: 255, acpi: true, defaultRAMid: 'pc.ram' });
    expect(caps.cpus.map((c) => [c.name, c.usable])).toEqual([['qemu64', true], ['Icelake', false]]);
    expect(caps.options).toEqual(['sandbox']);
    expect(caps.deviceProps).toBeUndefined();
  });

  it('formats host capabilities', () => {
    const xml = formatHostCaps({ arch: 'x86_64', kvm: { present: true, usable: true }, emulators: [{ path: '/usr/bin/qemu-system-x86_64', arch: 'x86_64' }, { path: '/usr/bin/qemu-system-aarch64', arch: 'aarch64' }] });
    expect(xml).toContain("<arch name='x86_64'>");
    expect(xml.match(/<domain type='kvm'\/>/g)).toHaveLength(1);
  });
});

describe('host resources', () => {
  const plan = (over: Partial<Plan>): Plan => ({
    domain: { name: 'p', uuid: 'u' }, env: [], binary: '/usr/bin/qemu-system-x86_64', argv: [], qmp: [], consoles: [],
    passFds: [{ fd: 3, kind: 'monitor-socket', path: '/tmp/r/lib/qemu/domain-1-p/monitor.sock' }], domainDir: '/tmp/r/lib/qemu/domain-1-p', tainted: [], startPaused: false, ...over,
  });
  const layout = embedRoot('/tmp/r');

  it('builds virtiofsd options in libvirt\'s order', () => {
    expect(virtiofsdArgs({ kind: 'virtiofsd', socket: '/s', sharedDir: '/a,b', purpose: '' })).toEqual(['--socket-path=/s', '-o', 'source=/a,,b']);
    expect(virtiofsdArgs({ kind: 'virtiofsd', socket: '/s', sharedDir: '/d', cache: 'none', sandbox: 'chroot', xattr: true, flock: false, posixLock: true, threadPoolSize: 4, purpose: '' }))
      .toEqual(['--socket-path=/s', '-o', 'source=/d,cache=none,sandbox=chroot,xattr,no_flock,posix_lock', '--thread-pool-size=4']);
  });

  it('finds helper binaries on PATH and honours <binary path>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qdc-bin-'));
    try {
      writeFileSync(join(dir, 'virtiofsd'), '#!/bin/sh\n');
      chmodSync(join(dir, 'virtiofsd'), 0o755);
      const h = { kind: 'virtiofsd' as const, socket: '', sharedDir: '', purpose: '' };
      expect(helperBinary({ ...h, binary: join(dir, 'virtiofsd') }, '')).toBe(join(dir, 'virtiofsd'));
      expect(helperBinary({ ...h, binary: join(dir, 'missing') }, dir)).toBeUndefined();
      const found = helperBinary(h, dir);
      expect(found === join(dir, 'virtiofsd') || found === '/usr/libexec/virtiofsd' || found === '/usr/lib/qemu/virtiofsd').toBe(true);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('checks taps before anything is created, naming the interface from its -netdev', () => {
    const p = plan({
      argv: ['-netdev', JSON.stringify({ type: 'tap', fds: '4:5', id: 'hostnet1' })],
      passFds: [...plan({}).passFds, ...[4, 5].map((fd) => ({ fd, kind: 'tap' as const, path: 'vnet%d', tap: { mac: 'fe:54:00:00:00:01', bridge: 'qdc-nobr1' } }))],
    });
    expect(() => preflight(p, layout)).toThrow(/^interface net1 \(<interface type='bridge'> on bridge 'qdc-nobr1'\)(: there is no bridge 'qdc-nobr1'| needs a tap device, and creating one needs root)/);
  });

  it('refuses socket paths too long and directories that do not exist, checking only sockets', () => {
    const long = '/tmp/' + 'f'.repeat(120);
    expect(() => preflight(plan({ passFds: [...plan({}).passFds, { fd: 4, kind: 'file', path: long, fdset: 0, writeOnly: true, create: true }] }), layout)).not.toThrow();
    expect(() => preflight(plan({ passFds: [...plan({}).passFds, { fd: 4, kind: 'listen-socket', path: long }] }), layout)).toThrow(/107-byte limit/);
    expect(() => preflight(plan({ passFds: [...plan({}).passFds, { fd: 4, kind: 'listen-socket', path: '/nonexistent-dir/s.sock' }] }), layout)).toThrow(/directory \/nonexistent-dir does not exist/);
  });
});
