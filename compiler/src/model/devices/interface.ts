// <interface>: guest network cards and the host side they connect to.
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export const NET_TYPES = [
  'user', 'ethernet', 'bridge', 'network', 'direct', 'vhostuser', 'server', 'client', 'mcast', 'udp',
  'hostdev', 'vdpa', 'null', 'vds', 'internal',
] as const;
export type NetType = (typeof NET_TYPES)[number];

/** Models libvirt knows by name; they are matched case-insensitively and written in this spelling.
 * Any other model string is passed to QEMU as the device driver unchanged, as libvirt does. */
const KNOWN_MODELS = [
  'netfront', 'rtl8139', 'virtio', 'e1000', 'e1000e', 'virtio-transitional', 'virtio-non-transitional', 'usb-net',
  'spapr-vlan', 'lan9118', 'scm91c111', 'vlance', 'vmxnet', 'vmxnet2', 'vmxnet3', 'Am79C970A', 'Am79C973',
  '82540EM', '82545EM', '82543GC',
];

export interface NetOffloads { csum?: boolean; gso?: boolean; tso4?: boolean; tso6?: boolean; ecn?: boolean; ufo?: boolean; mrgRxbuf?: boolean }

export interface NetDriver {
  name?: 'qemu' | 'vhost';
  txmode?: 'iothread' | 'timer';
  ioeventfd?: boolean;
  eventIdx?: boolean;
  queues?: number;
  rxQueueSize?: number;
  txQueueSize?: number;
  rss?: boolean;
  rssHashReport?: boolean;
  host: NetOffloads;
  guest: NetOffloads;
  virtio: VirtioDriver;
}

export interface NetIp { address: string; family: 'ipv4' | 'ipv6'; prefix?: number }

export interface NetInterface {
  kind: 'interface';
  type: NetType;
  /** as written in <mac address>, lower-cased; undefined when libvirt would generate one */
  mac?: string;
  /** <model type>, rtl8139 (libvirt's x86 default) when absent; undefined only for type='hostdev' */
  model?: string;
  modelRange?: Range;
  source: {
    address?: string;
    port?: number;
    localAddress?: string;
    localPort?: number;
    /** vhostuser socket */
    path?: string;
    mode?: 'server' | 'client';
    reconnect?: { enabled: boolean; timeout?: number };
    bridge?: string;
  };
  /** <target dev managed> for tap devices */
  targetDev?: string;
  targetManaged?: boolean;
  script?: string;
  downscript?: string;
  /** <backend tap vhost>: host device nodes to open instead of /dev/net/tun, /dev/vhost-net */
  backendTap?: string;
  backendVhost?: string;
  backendType?: string;
  driver: NetDriver;
  sndbuf?: number;
  linkDown: boolean;
  mtu?: number;
  teaming?: { type: 'persistent' | 'transient'; persistent?: string };
  bandwidthRange?: Range;
  /** <ip> on a user-mode interface: the guest network slirp provides */
  ips: NetIp[];
  info: DeviceInfo;
}

function offloads(r: ElementReader | undefined, names: readonly [string, keyof NetOffloads][]): NetOffloads {
  const o: NetOffloads = {};
  if (!r) return o;
  for (const [attr, key] of names) {
    const v = r.boolAttr(attr);
    if (v !== undefined) o[key] = v;
  }
  return o;
}

function unsignedAttr(r: ElementReader, name: string): number | undefined {
  const v = r.intAttr(name);
  if (v !== undefined && v < 0) r.fatal('invalid-number', `${name} must not be negative (got ${v})`, name);
  return v;
}

function readNetDriver(r: ElementReader): NetDriver {
  const d = r.child('driver');
  if (!d) return { host: {}, guest: {}, virtio: {} };
  const driver: NetDriver = {
    name: d.enumAttr('name', ['qemu', 'vhost'] as const),
    txmode: d.enumAttr('txmode', ['iothread', 'timer'] as const),
    ioeventfd: d.boolAttr('ioeventfd'),
    eventIdx: d.boolAttr('event_idx'),
    queues: unsignedAttr(d, 'queues'),
    rxQueueSize: unsignedAttr(d, 'rx_queue_size'),
    txQueueSize: unsignedAttr(d, 'tx_queue_size'),
    rss: d.boolAttr('rss'),
    rssHashReport: d.boolAttr('rss_hash_report'),
    host: offloads(d.child('host'), [['csum', 'csum'], ['gso', 'gso'], ['tso4', 'tso4'], ['tso6', 'tso6'], ['ecn', 'ecn'], ['ufo', 'ufo'], ['mrg_rxbuf', 'mrgRxbuf']]),
    guest: offloads(d.child('guest'), [['csum', 'csum'], ['tso4', 'tso4'], ['tso6', 'tso6'], ['ecn', 'ecn'], ['ufo', 'ufo']]),
    virtio: readVirtioDriver(r, d),
  };
  for (const size of ['rxQueueSize', 'txQueueSize'] as const) {
    const v = driver[size];
    // virtio rings are sized in powers of two between 256 and 1024
    if (v !== undefined && (v < 256 || v > 1024 || (v & (v - 1)) !== 0)) {
      d.fatal('invalid-value', `${size === 'rxQueueSize' ? 'rx_queue_size' : 'tx_queue_size'} must be a power of two between 256 and 1024 (got ${v})`, size === 'rxQueueSize' ? 'rx_queue_size' : 'tx_queue_size');
    }
  }
  return driver;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function readInterface(r: ElementReader): NetInterface {
  const type = r.enumAttr('type', NET_TYPES);
  if (!type) r.fatal('missing-attribute', "<interface> needs a type");
  r.accept('trustGuestRxFilters'); // only consulted when libvirt answers guest rx-filter change events
  if (type === 'hostdev') r.accept('managed'); // the type itself is rejected by lowering
  const net: NetInterface = {
    kind: 'interface', type: type!, source: {}, driver: readNetDriver(r), linkDown: false, ips: [],
    info: readDeviceInfo(r, { rom: true }),
  };
  const mac = r.child('mac');
  if (mac) {
    const a = mac.requireAttr('address');
    if (!MAC_RE.test(a)) mac.fatal('invalid-value', `malformed MAC address '${a}'`, 'address');
    // the first octet's low bit marks multicast addresses, which a NIC cannot own
    if (parseInt(a.slice(0, 2), 16) & 1) mac.fatal('invalid-value', `MAC address '${a}' is a multicast address`, 'address');
    net.mac = a.toLowerCase();
    mac.accept('type', 'check'); // vmware/ESX-only MAC policy knobs
  }
  const model = r.child('model');
  if (model) {
    const m = model.requireAttr('type');
    if (!/^[a-zA-Z0-9_-]+$/.test(m)) model.fatal('invalid-value', `invalid network model '${m}'`, 'type');
    net.model = KNOWN_MODELS.find((k) => k.toLowerCase() === m.toLowerCase()) ?? m;
    net.modelRange = model.range;
  }
  // the QEMU driver's default NIC on x86
  if (!net.model && type !== 'hostdev') net.model = 'rtl8139';
  const src = r.child('source');
  if (src) {
    switch (type) {
      case 'server': case 'client': case 'mcast': case 'udp': {
        net.source.address = src.attr('address');
        net.source.port = src.intAttr('port');
        const local = src.child('local');
        if (local) { net.source.localAddress = local.attr('address'); net.source.localPort = local.intAttr('port'); }
        break;
      }
      case 'vhostuser': {
        const st = src.attr('type') ?? 'unix';
        if (st !== 'unix') src.fatal('unsupported', `unsupported: vhost-user source type '${st}' (only 'unix')`, 'type');
        net.source.path = src.requireAttr('path');
        net.source.mode = src.enumAttr('mode', ['server', 'client'] as const) ?? 'client';
        const rc = src.child('reconnect');
        if (rc) net.source.reconnect = { enabled: rc.boolAttr('enabled') ?? false, timeout: rc.intAttr('timeout') };
        break;
      }
      case 'bridge':
        net.source.bridge = src.requireAttr('bridge');
        break;
      case 'network': case 'direct': case 'hostdev': case 'vdpa': case 'vds': case 'null': case 'internal':
        // these types are rejected as a whole by lowering, with the reason
        src.acceptSubtree();
        break;
      default:
        // anything in the source of the remaining types (e.g. host IPs of a tap) stays unread: unsupported
    }
  }
  const target = r.child('target');
  if (target) { net.targetDev = target.attr('dev'); net.targetManaged = target.boolAttr('managed'); }
  net.script = r.child('script')?.requireAttr('path');
  net.downscript = r.child('downscript')?.requireAttr('path');
  const backend = r.child('backend');
  if (backend) { net.backendTap = backend.attr('tap'); net.backendVhost = backend.attr('vhost'); net.backendType = backend.attr('type'); }
  const tune = r.child('tune');
  if (tune) {
    const sb = tune.child('sndbuf');
    if (sb) { const t = sb.text(); if (!/^[0-9]+$/.test(t)) sb.fatal('invalid-number', `<sndbuf> must be a non-negative integer (got '${t}')`); net.sndbuf = Number(t); }
  }
  const link = r.child('link');
  if (link) net.linkDown = link.enumAttr('state', ['up', 'down'] as const) === 'down';
  const mtu = r.child('mtu');
  if (mtu) net.mtu = unsignedAttr(mtu, 'size');
  const teaming = r.child('teaming');
  if (teaming) net.teaming = { type: teaming.enumAttr('type', ['persistent', 'transient'] as const)!, persistent: teaming.attr('persistent') };
  if (type === 'user') {
    for (const ip of r.children('ip')) {
      const address = ip.requireAttr('address');
      const family = ip.enumAttr('family', ['ipv4', 'ipv6'] as const) ?? (address.includes(':') ? 'ipv6' : 'ipv4');
      net.ips.push({ address, family, prefix: unsignedAttr(ip, 'prefix') });
    }
  }
  // Traffic shaping is set up by the host on tap devices; it gives QEMU no option (lowering
  // rejects it where it would matter, libvirt ignores it for the other types).
  const bw = r.child('bandwidth');
  if (bw) { bw.acceptSubtree(); net.bandwidthRange = bw.range; }
  return net;
}
