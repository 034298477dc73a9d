// Tap devices for <interface type='bridge'|'ethernet'>. libvirt opens /dev/net/tun, attaches
// the fd to a new tap (the TUNSETIFF ioctl), sets it up and passes the fd to QEMU. Node cannot
// issue that ioctl, so qdc creates a persistent tap with iproute2, sets it up the same way
// (host-side MAC, MTU, bridge, up) and lets QEMU attach to it by name (`-netdev tap,ifname=…,
// script=no`), which QEMU does with that same ioctl. The tap is noted in the domain's record
// before it exists and deleted with the domain (StateStore.remove).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import type { PassedFd, Plan } from '../compiler/src/index.js';
import type { RunAs } from './credentials.js';
import { RuntimeError } from './errors.js';
import type { DomainRecord } from './state.js';

const SYS_NET = '/sys/class/net';

/** iproute2's `ip`, or undefined. */
export function ipBinary(): string | undefined {
  for (const p of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) {
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/** One -netdev's tap: the fds the plan gave its queues (and their vhost-net devices). */
interface TapNetdev { argIndex: number; props: Record<string, unknown>; json: boolean; fds: PassedFd[]; vhost: PassedFd[] }

/** The plan's tap netdevs, found by the fd numbers their -netdev options name. */
function tapNetdevs(plan: Plan): TapNetdev[] {
  const byFd = new Map(plan.passFds.filter((f) => f.kind === 'tap' || f.kind === 'vhost-net').map((f) => [String(f.fd), f]));
  if (!plan.passFds.some((f) => f.kind === 'tap')) return [];
  const fdsOf = (one: unknown, many: unknown): PassedFd[] => [one, ...String(many ?? '').split(':')]
    .filter((x): x is string => typeof x === 'string' && x !== '').map((id) => byFd.get(id)).filter((f): f is PassedFd => f !== undefined);
  const out: TapNetdev[] = [];
  plan.argv.forEach((a, i) => {
    if (plan.argv[i - 1] !== '-netdev') return;
    const json = a.startsWith('{');
    const props: Record<string, unknown> = json ? JSON.parse(a) as Record<string, unknown> : keyvalProps(a);
    if (props.type !== 'tap') return;
    const fds = fdsOf(props.fd, props.fds).filter((f) => f.kind === 'tap');
    if (fds.length) out.push({ argIndex: i, props, json, fds, vhost: fdsOf(props.vhostfd, props.vhostfds).filter((f) => f.kind === 'vhost-net') });
  });
  return out;
}

/** `tap,fd=23,id=hostnet0` → { type: 'tap', fd: '23', id: 'hostnet0' } (values with `,,` unescaped). */
function keyvalProps(s: string): Record<string, unknown> {
  const parts = s.replace(/,,/g, '\u0000').split(',').map((p) => p.replace(/\u0000/g, ','));
  const props: Record<string, unknown> = { type: parts[0] };
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    props[eq < 0 ? p : p.slice(0, eq)] = eq < 0 ? 'on' : p.slice(eq + 1);
  }
  return props;
}

function keyvalText(props: Record<string, unknown>): string {
  const { type, ...rest } = props;
  return [String(type), ...Object.entries(rest).map(([k, v]) => `${k}=${String(v).replace(/,/g, ',,')}`)].join(',');
}

/** Whether the netdev's vhost-net device can be opened; a refusal when the interface asked
 *  for vhost (<driver name='vhost'>) and it cannot. */
function vhostUsable(t: TapNetdev): boolean {
  const dev = t.vhost[0];
  if (!dev) return false;
  try { accessSync(dev.path, constants.R_OK | constants.W_OK); return true; } catch (e) {
    if (!t.vhost.some((f) => f.required)) return false;
    const code = (e as NodeJS.ErrnoException).code;
    throw new RuntimeError(`vhost-net was asked for (<driver name='vhost'>), but ${dev.path} cannot be opened (${code}); nothing was started`,
      code === 'ENOENT' ? 'load the kernel module: modprobe vhost_net' : `run qdc as root, or give your user access to ${dev.path}`);
  }
}

/** Refusals that need nothing created: run before the record is claimed. */
export function checkTaps(plan: Plan, uid = process.getuid?.() ?? 0): void {
  const taps = tapNetdevs(plan);
  if (!taps.length) return;
  const what = (t: TapNetdev): string => `interface ${String(t.props.id ?? '').replace(/^host/, '')} (${t.fds[0]!.tap?.bridge ? `<interface type='bridge'> on bridge '${t.fds[0]!.tap.bridge}'` : "<interface type='ethernet'>"})`;
  for (const t of taps) {
    const setup = t.fds[0]!.tap;
    if (setup?.cloneDevice) {
      throw new RuntimeError(`${what(t)} asks for the tap clone device ${setup.cloneDevice} (<backend tap>); qdc creates its taps through /dev/net/tun only; nothing was started`);
    }
    if (t.props.vhost) vhostUsable(t);
    if (setup?.existing) {
      if (!existsSync(`${SYS_NET}/${t.fds[0]!.path}`)) throw new RuntimeError(`${what(t)} uses the existing tap '${t.fds[0]!.path}' (<target managed='no'>), which does not exist; nothing was started`);
      continue;
    }
    if (uid !== 0) {
      throw new RuntimeError(`${what(t)} needs a tap device, and creating one needs root (CAP_NET_ADMIN); nothing was started`,
        "run qdc as root, or use <interface type='user'> (user-mode networking)");
    }
    if (!ipBinary()) throw new RuntimeError(`${what(t)} needs a tap device, which qdc creates with iproute2's ip; it is not installed; nothing was started`, 'apt-get install -y iproute2');
    if (setup?.bridge && !existsSync(`${SYS_NET}/${setup.bridge}/bridge`)) {
      throw new RuntimeError(`${what(t)}: there is no bridge '${setup.bridge}' on this host; nothing was started`, `create it first, e.g. ip link add ${setup.bridge} type bridge && ip link set ${setup.bridge} up`);
    }
  }
}

function ip(args: string[]): void {
  const r = spawnSync(ipBinary() ?? 'ip', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new RuntimeError(`ip ${args.join(' ')} failed: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`);
}

/** The first free name for a template like libvirt's 'vnet%d'; other names as they are. */
function tapName(template: string, taken: Set<string>): string {
  if (!template.includes('%d')) return template;
  for (let i = 0; ; i++) {
    const name = template.replace('%d', String(i));
    if (!taken.has(name) && !existsSync(`${SYS_NET}/${name}`)) return name;
  }
}

/** Creates and sets up the plan's taps; returns QEMU's argv with each tap netdev naming its
 *  device instead of fds. Each created tap is in the record before it exists. */
export function prepareTaps(plan: Plan, record: DomainRecord, save: () => void, runAs: RunAs | undefined): string[] {
  const taps = tapNetdevs(plan);
  if (!taps.length) return plan.argv;
  const argv = [...plan.argv];
  const taken = new Set<string>();
  for (const t of taps) {
    const first = t.fds[0]!;
    const setup = first.tap!;
    const name = setup.existing ? first.path : tapName(first.path, taken);
    taken.add(name);
    if (!setup.existing) {
      if (existsSync(`${SYS_NET}/${name}`)) throw new RuntimeError(`a network device named '${name}' exists already (<target dev='${name}'>); nothing was started`, "choose another <target dev>, or <target dev='…' managed='no'/> to use an existing tap");
      (record.taps ??= []).push({ name, downscript: setup.downscript });
      save();
      try {
        ip(['tuntap', 'add', 'dev', name, 'mode', 'tap', ...(t.fds.length > 1 ? ['multi_queue'] : []), ...(runAs ? ['user', String(runAs.uid), 'group', String(runAs.gid)] : [])]);
      } catch (e) {
        // not ours after all (another start took the name meanwhile): never delete it
        record.taps.pop();
        save();
        throw e;
      }
      ip(['link', 'set', 'dev', name, 'address', setup.mac, ...(setup.mtu ? ['mtu', String(setup.mtu)] : [])]);
      if (setup.bridge) ip(['link', 'set', 'dev', name, 'master', setup.bridge]);
      ip(['link', 'set', 'dev', name, 'up']);
      if (setup.script) {
        const r = spawnSync(setup.script, [name], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
        if (r.status !== 0) throw new RuntimeError(`the interface script ${setup.script} ${name} failed: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`);
      }
    }
    // QEMU opens the device by name, and /dev/vhost-net itself when vhost is on
    const props: Record<string, unknown> = { ...t.props, ifname: name, script: 'no', downscript: 'no' };
    for (const k of ['fd', 'fds', 'vhostfd', 'vhostfds']) delete props[k];
    if (props.vhost && !vhostUsable(t)) delete props.vhost; // libvirt's fallback: the userspace backend
    if (t.fds.length > 1) props.queues = t.fds.length;
    argv[t.argIndex] = t.json ? JSON.stringify(props) : keyvalText(props);
  }
  return argv;
}

/** Deletes the taps a start created (running their <downscript> first, as libvirt does). */
export function removeTaps(taps: readonly { name: string; downscript?: string }[]): void {
  for (const t of taps) {
    if (t.downscript) spawnSync(t.downscript, [t.name], { stdio: 'ignore' });
    if (existsSync(`${SYS_NET}/${t.name}`)) spawnSync(ipBinary() ?? 'ip', ['link', 'del', 'dev', t.name], { stdio: 'ignore' });
  }
}
