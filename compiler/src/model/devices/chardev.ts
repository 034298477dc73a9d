// Character devices: <serial>, <parallel>, <channel>, <console>, and the chardev source
// (<source>, <protocol>, <log>) that <smartcard> and <redirdev> share with them.
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export const CHR_SOURCE_TYPES = [
  'null', 'vc', 'pty', 'dev', 'file', 'pipe', 'stdio', 'udp', 'tcp', 'unix', 'spicevmc', 'spiceport', 'nmdm', 'qemu-vdagent', 'dbus',
] as const;
export type ChrSourceType = (typeof CHR_SOURCE_TYPES)[number];

export interface ChrReconnect { enabled: boolean; timeout?: number }

/** The host side of a character device. */
export interface ChrSource {
  type: ChrSourceType;
  range: Range;
  /** dev, file, pipe, unix */
  path?: string;
  /** file: <source append> */
  append?: boolean;
  /** tcp, unix: mode='bind' (QEMU is the server) */
  listen?: boolean;
  /** tcp */
  host?: string;
  service?: string;
  protocol?: 'raw' | 'telnet';
  /** tcp: <source tls>; undefined follows qemu.conf's chardev_tls */
  tls?: boolean;
  reconnect?: ChrReconnect;
  /** udp: the two <source> elements */
  bindHost?: string;
  bindService?: string;
  connectHost?: string;
  connectService?: string;
  /** spiceport, dbus */
  channel?: string;
  /** spicevmc: which SPICE channel, fixed by the owning device */
  spicevmc?: 'vdagent' | 'smartcard' | 'usbredir';
  /** qemu-vdagent */
  clipboard?: boolean;
  mouseMode?: 'client' | 'server';
  /** <log file append> */
  log?: { file: string; append?: boolean; range: Range };
}

interface ChrBase {
  source: ChrSource;
  /** <target type>: serial isa-serial/usb-serial/pci-serial/…, console serial/virtio/…, channel virtio/guestfwd */
  targetType?: string;
  /** serial <target><model name> */
  targetModel?: string;
  /** <target port>; undefined until lowering numbers it */
  port?: number;
  /** channel virtio: <target name> */
  name?: string;
  /** channel guestfwd: <target address port> */
  fwdAddress?: string;
  info: DeviceInfo;
}

export interface Serial extends ChrBase { kind: 'serial' }
export interface Parallel extends ChrBase { kind: 'parallel' }
export interface Channel extends ChrBase { kind: 'channel' }
export interface Console extends ChrBase {
  kind: 'console';
  /** libvirt's console compatibility: console 0 only mirrors serial 0 and emits nothing */
  mirrorsSerial?: boolean;
}
export type ChrDevice = Serial | Parallel | Channel | Console;

function readReconnect(src: ElementReader): ChrReconnect | undefined {
  const rc = src.child('reconnect');
  if (!rc) return undefined;
  const enabled = rc.boolAttr('enabled');
  if (enabled === undefined) rc.fatal('missing-attribute', "<reconnect> needs attribute 'enabled'");
  return { enabled: enabled!, timeout: rc.intAttr('timeout') };
}

function readMode(src: ElementReader): boolean {
  const mode = src.enumAttr('mode', ['bind', 'connect'] as const);
  return mode === 'bind';
}

/** Read the chardev source of `r`, whose `type` attribute names the backend. */
export function readChrSource(r: ElementReader, typeAttr = 'type', dflt?: ChrSourceType): ChrSource {
  const type = r.enumAttr(typeAttr, CHR_SOURCE_TYPES) ?? dflt;
  if (!type) r.fatal('missing-attribute', `<${r.name}> needs attribute '${typeAttr}'`);
  const s: ChrSource = { type: type!, range: r.range };
  const sources = r.children('source');
  // security labels on the source only change host file labels
  for (const src of sources) for (const sl of src.children('seclabel')) sl.acceptSubtree();
  const first = sources[0];
  switch (type) {
    case 'pty':
      // the pty path is runtime state written back by libvirt, never an input
      if (first) first.accept('path', 'tty');
      break;
    case 'dev': case 'pipe':
      s.path = first?.attr('path');
      break;
    case 'file':
      s.path = first?.attr('path');
      s.append = first?.boolAttr('append');
      break;
    case 'unix':
      if (first) {
        s.listen = readMode(first);
        s.path = first.attr('path');
        s.reconnect = readReconnect(first);
      }
      break;
    case 'tcp':
      if (first) {
        s.listen = readMode(first);
        s.host = first.attr('host');
        s.service = first.attr('service');
        s.tls = first.boolAttr('tls');
        s.reconnect = readReconnect(first);
      }
      break;
    case 'udp':
      for (const src of sources) {
        if (readMode(src)) { s.bindHost = src.attr('host'); s.bindService = src.attr('service'); }
        else { s.connectHost = src.attr('host'); s.connectService = src.attr('service'); }
      }
      break;
    case 'spiceport': case 'dbus':
      s.channel = first?.attr('channel');
      break;
    case 'qemu-vdagent':
      if (first) {
        const cb = first.child('clipboard');
        if (cb) s.clipboard = cb.boolAttr('copypaste');
        const mouse = first.child('mouse');
        if (mouse) s.mouseMode = mouse.enumAttr('mode', ['client', 'server'] as const);
      }
      break;
    case 'nmdm':
      r.fatal('unsupported', `unsupported: chardev type 'nmdm' (FreeBSD only) at ${r.range.start.line}:${r.range.start.column}`, typeAttr);
      break;
    default:
      break;
  }
  const proto = r.child('protocol');
  if (proto) {
    const p = proto.enumAttr('type', ['raw', 'telnet', 'telnets', 'tls'] as const);
    if (p === 'telnets' || p === 'tls') proto.fatal('unsupported', `unsupported: <protocol type='${p}'> (QEMU speaks raw and telnet only)`, 'type');
    if (type === 'tcp') s.protocol = p as 'raw' | 'telnet' | undefined;
  }
  const log = r.child('log');
  if (log) s.log = { file: log.requireAttr('file'), append: log.boolAttr('append'), range: log.range };
  return s;
}

function readChr<K extends ChrDevice['kind']>(r: ElementReader, kind: K): Extract<ChrDevice, { kind: K }> {
  const source = readChrSource(r);
  const d = { kind, source, info: readDeviceInfo(r, { boot: false }) } as ChrBase & { kind: K };
  // the pty a running domain got, written back by libvirt: state, not configuration
  r.accept('tty');
  const t = r.child('target');
  if (t) {
    d.targetType = t.attr('type');
    d.port = t.intAttr('port');
    if (kind === 'serial') {
      const m = t.child('model');
      if (m) d.targetModel = m.requireAttr('name');
    }
    if (kind === 'channel') {
      d.name = t.attr('name');
      // the connection state is reported by libvirt, QEMU has no such option
      t.accept('state');
      d.fwdAddress = t.attr('address');
    }
  }
  return d as Extract<ChrDevice, { kind: K }>;
}

export function readSerial(r: ElementReader): Serial { return readChr(r, 'serial'); }
export function readParallel(r: ElementReader): Parallel { return readChr(r, 'parallel'); }
export function readChannel(r: ElementReader): Channel {
  const c = readChr(r, 'channel');
  if (!c.targetType) r.fatal('missing-attribute', "<channel> needs <target type='virtio'|'guestfwd'>");
  return c;
}
export function readConsole(r: ElementReader): Console { return readChr(r, 'console'); }
