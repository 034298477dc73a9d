// <interface> → (-chardev) -netdev hostALIAS + -device for the NIC, in libvirt 9.0's shape.
// Tap-based types get their tap (and vhost-net) fds from the runtime via the plan's passFds.
import type { NetInterface } from '../model/devices/interface.js';
import type { TapSetup } from '../plan/plan.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { keyval } from './qemu-opts.js';
import { pciDeviceProps, type PciConnect } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';
import { deviceRomProps, acpiIndexProps } from './device-props.js';
import { virtioProps } from './virtio.js';

export function isVirtioNet(n: NetInterface): boolean {
  return n.model === 'virtio' || n.model === 'virtio-transitional' || n.model === 'virtio-non-transitional';
}

const TAP_TYPES = new Set(['ethernet', 'bridge']);

/** libvirt picks a random MAC in its 52:54:00 (QEMU) range for a NIC without one. A compiler's
 * output must be reproducible, so ours is derived from the domain UUID and the NIC's position
 * (FNV-1a over both): stable across compilations, distinct between NICs and domains. */
export function generatedMac(uuid: string, index: number): string {
  let h = 0x811c9dc5;
  for (const ch of `${uuid}/${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const b = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return ['52', '54', '00', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

function nicDriver(n: NetInterface): string {
  if (n.model === 'virtio-transitional') return 'virtio-net-pci-transitional';
  if (n.model === 'virtio-non-transitional') return 'virtio-net-pci-non-transitional';
  if (n.model === 'virtio') return 'virtio-net-pci';
  return n.model!;
}

function rejectUnsupportedType(n: NetInterface, ctx: LowerContext): void {
  const why: Record<string, string> = {
    network: "it needs libvirt's virtual network driver; use type='bridge' with the network's bridge",
    direct: 'macvtap devices are created by the host network stack, which qdc does not manage',
    hostdev: 'SR-IOV host device assignment needs host PCI state',
    vdpa: 'vDPA devices need host vhost-vdpa state',
    null: 'it is not supported by the QEMU driver',
    vds: 'it is not supported by the QEMU driver',
    internal: 'it is not supported by the QEMU driver',
  };
  if (why[n.type]) ctx.unsupported(`<interface type='${n.type}'>`, n.info.range, why[n.type]);
}

function validate(n: NetInterface, ctx: LowerContext): void {
  rejectUnsupportedType(n, ctx);
  const r = n.info.range;
  if (n.script && n.type !== 'ethernet') ctx.fail('invalid-config', `scripts are not supported on interfaces of type ${n.type}`, r);
  if (n.downscript && n.type !== 'ethernet') ctx.fail('invalid-config', `scripts are not supported on interfaces of type ${n.type}`, r);
  if (n.type === 'vhostuser' && !isVirtioNet(n)) ctx.fail('invalid-config', 'vhost-user interfaces need a virtio model', n.modelRange ?? r);
  if (n.driver.name === 'vhost' && !isVirtioNet(n)) ctx.fail('invalid-config', 'vhost-net is only supported for virtio network interfaces', r);
  if ((n.driver.queues ?? 0) > 1 && !isVirtioNet(n)) ctx.fail('invalid-config', 'multiqueue networking is only supported for virtio network interfaces', r);
  const virtioOnly: [unknown, string][] = [
    [n.driver.txmode, 'txmode'], [n.driver.ioeventfd, 'ioeventfd'], [n.driver.eventIdx, 'event_idx'], [n.driver.rxQueueSize, 'rx_queue_size'],
    [n.driver.txQueueSize, 'tx_queue_size'], [n.driver.rss, 'rss'], [n.driver.rssHashReport, 'rss_hash_report'],
  ];
  for (const [v, name] of virtioOnly) if (v !== undefined && !isVirtioNet(n)) ctx.fail('invalid-config', `<driver ${name}> is only supported for virtio network interfaces`, r);
  if (n.driver.rss !== undefined || n.driver.rssHashReport !== undefined) ctx.requireFlag('virtio-net.rss', 'virtio-net RSS', r);
  if (n.teaming?.type === 'transient') ctx.unsupported("<teaming type='transient'>", r, 'it pairs with a host device');
  if (n.teaming && !isVirtioNet(n)) ctx.fail('invalid-config', 'teaming is only supported for virtio network interfaces', r);
  if (n.mtu !== undefined && !TAP_TYPES.has(n.type) && n.type !== 'vhostuser') {
    ctx.fail('invalid-config', `setting the MTU is not supported on interfaces of type ${n.type}`, r);
  }
  if (n.bandwidthRange && TAP_TYPES.has(n.type)) ctx.unsupported('<bandwidth> on a tap interface', n.bandwidthRange, 'host traffic shaping is not managed by qdc');
  if (n.backendType) ctx.unsupported(`<backend type='${n.backendType}'>`, r, 'the passt helper process is not managed by qdc');
  if ((n.backendTap || n.backendVhost) && !TAP_TYPES.has(n.type)) ctx.fail('invalid-config', `<backend tap/vhost> is only used by tap-based interfaces, not type ${n.type}`, r);
  if (n.sndbuf !== undefined && !TAP_TYPES.has(n.type)) ctx.fail('invalid-config', `<tune><sndbuf> is only supported on tap-based interfaces`, r);
  if (n.targetManaged === false && n.type !== 'ethernet') ctx.fail('invalid-config', "unmanaged target devices are only supported on interfaces of type 'ethernet'", r);
  if (n.targetManaged === false && !n.targetDev) ctx.fail('invalid-config', "an unmanaged tap device needs <target dev='…'>", r);
  if (n.targetManaged === false && n.script) ctx.fail('invalid-config', 'a script cannot be run for an unmanaged tap device', r);
  if (n.info.address && n.info.address.type !== 'pci' && n.model !== 'usb-net') {
    ctx.fail('invalid-address', `network interfaces need a PCI address (got '${n.info.address.type}')`, r);
  }
  if (n.type === 'udp' || n.type === 'client' || n.type === 'mcast') {
    if (!n.source.address) ctx.fail('missing-attribute', `<interface type='${n.type}'> needs <source address>`, r);
    if (n.source.port === undefined) ctx.fail('missing-attribute', `<interface type='${n.type}'> needs <source port>`, r);
  }
  if (n.type === 'server' && n.source.port === undefined) ctx.fail('missing-attribute', "<interface type='server'> needs <source port>", r);
  if (n.type === 'udp' && (!n.source.localAddress || n.source.localPort === undefined)) {
    ctx.fail('missing-attribute', "<interface type='udp'> needs <source><local address port/></source>", r);
  }
  if (n.type === 'vhostuser' && n.source.reconnect && n.source.mode === 'server') {
    ctx.fail('invalid-config', "reconnect is only supported for vhost-user sockets in mode 'client'", r);
  }
  if (n.type === 'vhostuser' && n.source.reconnect?.enabled && !n.source.reconnect.timeout) {
    ctx.fail('invalid-config', 'reconnect needs a timeout when enabled', r);
  }
}

function useVhost(n: NetInterface, ctx: LowerContext): boolean {
  if (!TAP_TYPES.has(n.type) || !isVirtioNet(n)) return false;
  // vhost-net is a KVM facility: a plain QEMU (TCG) guest uses the userspace backend, as
  // does driver name='qemu'; otherwise the in-kernel one
  return ctx.domain.type === 'kvm' && n.driver.name !== 'qemu';
}

function netdevProps(n: NetInterface, ctx: LowerContext, index: number): Record<string, unknown> {
  const id = `host${n.info.alias}`;
  const s = n.source;
  switch (n.type) {
    case 'user': {
      const p: Record<string, unknown> = { type: 'user' };
      for (const ip of n.ips) {
        if (ip.family === 'ipv4') p.net = ip.prefix ? `${ip.address}/${ip.prefix}` : ip.address;
        else {
          p['ipv6-prefix'] = ip.address;
          if (ip.prefix) p['ipv6-prefixlen'] = ip.prefix;
        }
      }
      return { ...p, id };
    }
    case 'ethernet': case 'bridge': {
      const queues = Math.max(1, n.driver.queues ?? 1);
      const tapName = n.targetDev ?? 'vnet%d';
      const taps: string[] = [];
      for (let q = 0; q < queues; q++) {
        const tap: TapSetup = { mac: hostSideMac(macOf(n, ctx, index)) };
        if (n.type === 'bridge') tap.bridge = s.bridge;
        if (n.targetManaged === false) tap.existing = true;
        if (n.script) tap.script = n.script;
        if (n.downscript) tap.downscript = n.downscript;
        if (n.backendTap) tap.cloneDevice = n.backendTap;
        if (n.mtu) tap.mtu = n.mtu;
        taps.push(String(ctx.passFd({ kind: 'tap', path: tapName, tap })));
      }
      const p: Record<string, unknown> = { type: 'tap' };
      if (taps.length === 1) p.fd = taps[0]; else p.fds = taps.join(':');
      if (useVhost(n, ctx)) {
        const vhost: string[] = [];
        // libvirt falls back to the userspace backend when vhost-net cannot be opened, unless
        // <driver name='vhost'> asked for it
        const required = n.driver.name === 'vhost' ? { required: true } : {};
        for (let q = 0; q < queues; q++) vhost.push(String(ctx.passFd({ kind: 'vhost-net', path: n.backendVhost ?? '/dev/vhost-net', ...required })));
        p.vhost = true;
        if (vhost.length === 1) p.vhostfd = vhost[0]; else p.vhostfds = vhost.join(':');
      }
      if (n.sndbuf !== undefined) p.sndbuf = n.sndbuf;
      return { ...p, id };
    }
    case 'client':
      return { type: 'socket', connect: `${s.address}:${s.port}`, id };
    case 'server':
      return { type: 'socket', listen: `${s.address ?? ''}:${s.port}`, id };
    case 'mcast':
      return { type: 'socket', mcast: `${s.address}:${s.port}`, id };
    case 'udp':
      return { type: 'socket', udp: `${s.address}:${s.port}`, localaddr: `${s.localAddress}:${s.localPort}`, id };
    case 'vhostuser': {
      const p: Record<string, unknown> = { type: 'vhost-user', chardev: `char${n.info.alias}` };
      if ((n.driver.queues ?? 0) > 1) p.queues = n.driver.queues;
      return { ...p, id };
    }
    default:
      return ctx.unsupported(`<interface type='${n.type}'>`, n.info.range);
  }
}

/** The host end of a tap gets the guest MAC with 0xfe first, so a bridge never prefers it
 * (0xfa when the guest's own MAC starts with 0xfe, so the two never match). */
function hostSideMac(mac: string): string {
  return `${mac.startsWith('fe') ? 'fa' : 'fe'}${mac.slice(2)}`;
}

function macOf(n: NetInterface, ctx: LowerContext, index: number): string {
  return n.mac ?? generatedMac(ctx.domain.uuid, index);
}

function nicProps(n: NetInterface, ctx: LowerContext, index: number): Record<string, unknown> {
  const p: Record<string, unknown> = { driver: nicDriver(n) };
  if (isVirtioNet(n)) {
    const d = n.driver;
    Object.assign(p, virtioProps(d.virtio));
    if (d.txmode) p.tx = d.txmode === 'iothread' ? 'bh' : 'timer';
    const bools: [string, boolean | undefined][] = [
      ['ioeventfd', d.ioeventfd], ['event_idx', d.eventIdx], ['csum', d.host.csum], ['gso', d.host.gso], ['host_tso4', d.host.tso4],
      ['host_tso6', d.host.tso6], ['host_ecn', d.host.ecn], ['host_ufo', d.host.ufo], ['mrg_rxbuf', d.host.mrgRxbuf],
      ['guest_csum', d.guest.csum], ['guest_tso4', d.guest.tso4], ['guest_tso6', d.guest.tso6], ['guest_ecn', d.guest.ecn], ['guest_ufo', d.guest.ufo],
    ];
    for (const [k, v] of bools) if (v !== undefined) p[k] = v;
    if ((d.queues ?? 0) > 1) {
      p.mq = true;
      // the multiqueue guide's advice libvirt follows: one vector per queue pair direction plus config and control
      p.vectors = 2 * d.queues! + 2;
    }
    if (d.rxQueueSize) p.rx_queue_size = d.rxQueueSize;
    if (d.txQueueSize) p.tx_queue_size = d.txQueueSize;
    if (d.rss !== undefined) p.rss = d.rss;
    if (d.rssHashReport !== undefined) p.hash = d.rssHashReport;
    if (n.mtu) p.host_mtu = n.mtu;
    if (n.teaming?.type === 'persistent') p.failover = true;
  }
  p.netdev = `host${n.info.alias}`;
  p.id = n.info.alias;
  p.mac = macOf(n, ctx, index);
  if (n.info.bootIndex !== undefined) p.bootindex = n.info.bootIndex;
  if (n.model === 'usb-net') Object.assign(p, usbDeviceProps(ctx, n.info));
  else if (n.info.address?.type === 'pci') Object.assign(p, pciDeviceProps(ctx, n.info.address));
  Object.assign(p, acpiIndexProps(n.info), deviceRomProps(n.info));
  return p;
}

function vhostUserChardev(n: NetInterface): string {
  const s = n.source;
  const pairs: [string, string | number | boolean | undefined][] = [['id', `char${n.info.alias}`], ['path', s.path]];
  if (s.mode === 'server') pairs.push(['server', true]);
  if (s.reconnect) pairs.push(['reconnect', s.reconnect.enabled ? s.reconnect.timeout : 0]);
  return keyval(pairs, 'socket');
}

export const netFamily: Family<'interface'> = {
  kind: 'interface',
  assignAliases(devs) {
    // libvirt numbers NICs by their position, user aliases included
    devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `net${i}`; });
  },
  pciConnect(d): PciConnect | null {
    if (d.type === 'hostdev' || d.model === 'usb-net') return null;
    if (d.model === 'virtio-transitional') return 'pci';
    if (isVirtioNet(d) || d.model === 'e1000e') return 'pcie';
    return 'pci';
  },
  lower(devs, ctx: LowerContext) {
    devs.forEach((n, index) => {
      validate(n, ctx);
      if (n.type === 'vhostuser') ctx.arg('-chardev', vhostUserChardev(n));
      ctx.netdev(netdevProps(n, ctx, index));
      ctx.device(nicProps(n, ctx, index));
      if (n.linkDown) {
        ctx.qmp.push({ execute: 'set_link', arguments: { name: n.info.alias, up: false }, purpose: `<link state='down'/> on ${n.info.alias}` });
      }
    });
  },
};
