// <disk>: guest block devices (hard disks, CD-ROMs, floppies, SCSI LUNs) and the image
// chain behind each one (<source> plus nested <backingStore>).
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export const DISK_TYPES = ['file', 'block', 'dir', 'network', 'volume', 'nvme', 'vhostuser'] as const;
export type DiskType = (typeof DISK_TYPES)[number];
export const DISK_DEVICES = ['disk', 'cdrom', 'floppy', 'lun'] as const;
export type DiskDevice = (typeof DISK_DEVICES)[number];
export const DISK_BUSES = ['ide', 'fdc', 'scsi', 'virtio', 'xen', 'usb', 'uml', 'sata', 'sd'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];
export const CACHE_MODES = ['default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];
const ERROR_POLICIES = ['stop', 'report', 'ignore', 'enospace'] as const;
export type ErrorPolicy = (typeof ERROR_POLICIES)[number];
const NETWORK_PROTOCOLS = ['nbd', 'rbd', 'sheepdog', 'gluster', 'iscsi', 'http', 'https', 'ftp', 'ftps', 'tftp', 'ssh', 'vxhs', 'nfs'] as const;
export type NetworkProtocol = (typeof NETWORK_PROTOCOLS)[number];

export interface DiskHost {
  transport: 'tcp' | 'unix' | 'rdma';
  name?: string;
  port?: string;
  socket?: string;
}

/** A libvirt secret named by uuid or by usage (`<secret type='ceph|iscsi|passphrase|…'>`). */
export interface SecretRef { type: string; uuid?: string; usage?: string; range: Range }

/** libvirt's secret usage type for the <secret type> a disk names a secret with. */
export function secretUsageType(type: string): string {
  return type === 'passphrase' ? 'volume' : type;
}

/** One image of a disk's chain: the disk's own <source> or a <backingStore>. */
export interface StorageSource {
  type: DiskType;
  /** file path, block device path or directory */
  path?: string;
  protocol?: NetworkProtocol;
  /** network image name (`pool/image`, `volume/path`, export name, iSCSI `iqn/lun`) */
  name?: string;
  hosts: DiskHost[];
  /** <slices><slice type='storage'>: the image is this byte range of the storage */
  slice?: { offset: number; size: number };
  /** nvme: host PCI address (dddd:bb:ss.f) and namespace */
  nvme?: { device: string; namespace: number };
  /** vhostuser: reconnect timeout (seconds) of the client socket at `path` */
  reconnect?: number;
  /** <reservations>: persistent reservations through a qemu-pr-helper socket */
  reservations?: { managed: boolean; path?: string };
  /** rbd snapshot / config file */
  snapshot?: string;
  config?: string;
  /** nfs <identity user group> as given (`+N` numeric ids) */
  identity?: { user?: string; group?: string };
  /** http(s) query string */
  query?: string;
  /** curl-based protocols: <readahead size>, <timeout seconds>, <ssl verify> */
  readahead?: number;
  timeout?: number;
  sslVerify?: boolean;
  /** <source tls tlsHostname> for nbd */
  tls?: boolean;
  tlsHostname?: string;
  /** image format (`<driver type>` on the disk, `<format type>` on backing stores) */
  format?: string;
  /** <auth username>: the network storage's credentials, a libvirt secret */
  auth?: { username: string; secret: SecretRef; range: Range };
  /** <encryption format='luks'>: the image's passphrase, a libvirt secret */
  encryption?: { secret: SecretRef; range: Range };
  /** undefined: chain not described; null: explicit end of chain (`<backingStore/>`) */
  backing?: StorageSource | null;
  /** N of the `libvirt-N-storage`/`libvirt-N-format` node names, set by lowering */
  nodeIndex?: number;
  range: Range;
}

export interface DiskDriver {
  name?: string;
  /** image format of the disk's own source */
  format?: string;
  cache?: CacheMode;
  errorPolicy?: ErrorPolicy;
  rerrorPolicy?: ErrorPolicy;
  io?: 'threads' | 'native' | 'io_uring';
  ioeventfd?: boolean;
  eventIdx?: boolean;
  copyOnRead?: boolean;
  discard?: 'unmap' | 'ignore';
  detectZeroes?: 'off' | 'on' | 'unmap';
  queues?: number;
  queueSize?: number;
  iothread?: number;
  virtio: VirtioDriver;
}

/** <iotune>: throttling limits, applied after start (QMP block_set_io_throttle). */
export interface IoTune {
  values: Record<string, number>;
  groupName?: string;
  range: Range;
}

export interface Disk {
  kind: 'disk';
  type: DiskType;
  device: DiskDevice;
  /** virtio-blk flavour: virtio, virtio-transitional, virtio-non-transitional */
  model?: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional';
  /** undefined for an empty removable drive */
  source?: StorageSource;
  driver: DiskDriver;
  target: { dev: string; bus?: DiskBus; tray?: 'open' | 'closed'; removable?: boolean; rotationRate?: number; range: Range };
  readonly: boolean;
  shareable: boolean;
  serial?: string;
  wwn?: string;
  vendor?: string;
  product?: string;
  geometry?: { cyls: number; heads: number; secs: number; trans?: 'none' | 'lba' | 'auto' };
  blockio?: { logical?: number; physical?: number; discardGranularity?: number };
  iotune?: IoTune;
  info: DeviceInfo;
}

const IOTUNE_FIELDS = [
  'total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec', 'total_iops_sec', 'read_iops_sec', 'write_iops_sec',
  'total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max', 'total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max',
  'total_bytes_sec_max_length', 'read_bytes_sec_max_length', 'write_bytes_sec_max_length',
  'total_iops_sec_max_length', 'read_iops_sec_max_length', 'write_iops_sec_max_length', 'size_iops_sec',
] as const;

function where(r: ElementReader): string { return `${r.range.start.line}:${r.range.start.column}`; }

function readSecretRef(sec: ElementReader): SecretRef {
  const ref: SecretRef = { type: sec.requireAttr('type'), range: sec.range };
  const uuid = sec.attr('uuid');
  const usage = sec.attr('usage');
  if ((uuid === undefined) === (usage === undefined)) sec.fatal('invalid-secret', '<secret> names a secret by uuid or by usage (one of them)');
  if (uuid !== undefined) ref.uuid = uuid; else ref.usage = usage;
  return ref;
}

/** <auth> and <encryption> of one image (inside its <source>, or in the older places: the
 *  disk or the <backingStore> itself, which libvirt moves into the source). */
function readCredentials(el: ElementReader, s: StorageSource): void {
  const auth = el.child('auth');
  if (auth) {
    if (s.auth) auth.fatal('invalid-element', '<auth> is given both in the <disk> and in its <source>');
    const username = auth.requireAttr('username');
    const sec = auth.child('secret');
    if (!sec) auth.fatal('missing-element', '<auth> needs a <secret>');
    s.auth = { username, secret: readSecretRef(sec!), range: auth.range };
  }
  const enc = el.child('encryption');
  if (enc) {
    if (s.encryption) enc.fatal('invalid-element', '<encryption> is given both in the <disk> and in its <source>');
    const format = enc.requireAttr('format');
    if (format !== 'luks') enc.fatal('unsupported', `unsupported: <encryption format='${format}'> at ${where(enc)} (QEMU refuses qcow's own AES encryption; use luks)`, 'format');
    const engine = enc.attr('engine');
    if (engine !== undefined && engine !== 'qemu') enc.fatal('unsupported', `unsupported: <encryption engine='${engine}'> at ${where(enc)}`, 'engine');
    // <cipher>/<ivgen> describe how a volume was created; opening it needs the passphrase only
    for (const c of ['cipher', 'ivgen']) enc.child(c)?.acceptSubtree();
    const secrets = enc.children('secret');
    if (secrets.length !== 1) enc.fatal('invalid-element', "a luks <encryption> takes exactly one <secret type='passphrase'>");
    const ref = readSecretRef(secrets[0]!);
    if (ref.type !== 'passphrase') secrets[0]!.fatal('invalid-value', `a luks passphrase is a <secret type='passphrase'> (got '${ref.type}')`, 'type');
    s.encryption = { secret: ref, range: enc.range };
  }
  if (auth && s.type !== 'network') auth.fatal('invalid-element', '<auth> applies to network disks');
}

function readHosts(src: ElementReader): DiskHost[] {
  return src.children('host').map((h) => {
    const transport = h.enumAttr('transport', ['tcp', 'unix', 'rdma'] as const) ?? 'tcp';
    const host: DiskHost = { transport };
    const name = h.attr('name');
    const port = h.attr('port');
    const socket = h.attr('socket');
    if (name !== undefined) host.name = name;
    if (port !== undefined) host.port = port;
    if (socket !== undefined) host.socket = socket;
    if (transport === 'unix' && socket === undefined) h.fatal('missing-attribute', "a <host transport='unix'> needs a socket");
    if (transport !== 'unix' && name === undefined) h.fatal('missing-attribute', '<host> needs a name');
    return host;
  });
}

/** Read a <source> of the given disk type (the disk's or a backing store's). */
function readSource(type: DiskType, src: ElementReader | undefined, at: ElementReader): StorageSource | undefined {
  const s: StorageSource = { type, hosts: [], range: (src ?? at).range };
  if (type === 'volume') (src ?? at).fatal('unsupported', `unsupported: <disk type='volume'> at ${where(src ?? at)} (storage pools are host state qdc does not manage)`);
  if (!src) return type === 'network' ? at.fatal('missing-element', "a network disk needs a <source protocol=…>") : undefined;
  // startupPolicy only matters when the file is missing at start, which the runtime checks.
  src.accept('startupPolicy', 'index');
  for (const sl of src.children('seclabel')) sl.acceptSubtree();
  readCredentials(src, s);
  if (type === 'network' && src.attr('protocol') === 'rbd') {
    const snap = src.child('snapshot');
    if (snap) s.snapshot = snap.requireAttr('name');
    const conf = src.child('config');
    if (conf) s.config = conf.requireAttr('file');
  }
  const resv = src.child('reservations');
  if (resv) {
    const managed = resv.boolAttr('managed') ?? false;
    s.reservations = { managed };
    const rs = resv.child('source');
    if (rs) {
      if (rs.attr('type') !== 'unix') rs.fatal('invalid-value', "a reservations <source> must be type='unix'", 'type');
      if ((rs.attr('mode') ?? 'client') !== 'client') rs.fatal('invalid-value', "QEMU connects to the pr-helper socket: mode must be 'client'", 'mode');
      s.reservations.path = rs.requireAttr('path');
    } else if (!managed) resv.fatal('missing-element', "unmanaged <reservations> need a <source type='unix' path=…>");
  }
  const slices = src.child('slices');
  if (slices) {
    const list = slices.children('slice');
    if (list.length !== 1) slices.fatal('invalid-element', '<slices> takes exactly one <slice>');
    const sl = list[0]!;
    if (sl.requireAttr('type') !== 'storage') sl.fatal('invalid-value', "only <slice type='storage'> exists", 'type');
    const offset = sl.intAttr('offset');
    const size = sl.intAttr('size');
    if (offset === undefined || size === undefined) sl.fatal('missing-attribute', '<slice> needs offset and size');
    s.slice = { offset: offset!, size: size! };
  }
  switch (type) {
    case 'file': s.path = src.attr('file'); break;
    case 'nvme': {
      if (src.requireAttr('type') !== 'pci') src.fatal('invalid-value', "an NVMe disk's <source> must be type='pci'", 'type');
      // managed NVMe devices are detached from their host driver first: host state qdc leaves alone.
      if (src.boolAttr('managed') !== false) src.fatal('unsupported', `unsupported: managed NVMe disk at ${where(src)} (give managed='no' and bind the device to vfio-pci beforehand)`);
      const ns = src.intAttr('namespace');
      if (ns === undefined || ns < 1) src.fatal('invalid-value', 'an NVMe disk needs namespace ≥ 1', 'namespace');
      const a = src.child('address');
      if (!a) src.fatal('missing-element', "an NVMe disk's <source> needs an <address>");
      const h = (name: string, w: number): string => (a!.intAttr(name) ?? 0).toString(16).padStart(w, '0');
      s.nvme = { device: `${h('domain', 4)}:${h('bus', 2)}:${h('slot', 2)}.${(a!.intAttr('function') ?? 0).toString(16)}`, namespace: ns! };
      break;
    }
    case 'block': s.path = src.attr('dev'); break;
    case 'dir': s.path = src.attr('dir'); break;
    case 'vhostuser': {
      if (src.attr('type') !== 'unix') src.fatal('invalid-value', "a vhost-user disk's <source> must be type='unix'", 'type');
      s.path = src.requireAttr('path');
      const rc = src.child('reconnect');
      if (rc && rc.boolAttr('enabled')) s.reconnect = rc.intAttr('timeout');
      else if (rc) rc.accept('timeout');
      break;
    }
    case 'network': {
      s.protocol = src.enumAttr('protocol', NETWORK_PROTOCOLS);
      if (!s.protocol) src.fatal('missing-attribute', "a network disk's <source> needs a protocol");
      s.name = src.attr('name');
      s.hosts = readHosts(src);
      const tls = src.boolAttr('tls');
      if (tls !== undefined) s.tls = tls;
      const tlsHostname = src.attr('tlsHostname');
      if (tlsHostname !== undefined) s.tlsHostname = tlsHostname;
      const q = src.attr('query');
      if (q !== undefined) s.query = q;
      const ra = src.child('readahead');
      if (ra) s.readahead = ra.intAttr('size');
      const to = src.child('timeout');
      if (to) s.timeout = to.intAttr('seconds');
      const ssl = src.child('ssl');
      if (ssl) s.sslVerify = ssl.boolAttr('verify');
      const id = src.child('identity');
      if (id) s.identity = { user: id.attr('user'), group: id.attr('group') };
      break;
    }
    default: break;
  }
  if (type !== 'network' && type !== 'nvme' && s.path === undefined) return undefined;
  return s;
}

/** <backingStore>: the image below `top` (recursively). */
function readBacking(r: ElementReader): StorageSource | null | undefined {
  const bs = r.child('backingStore');
  if (!bs) return undefined;
  const typeAttr = bs.attr('type');
  if (typeAttr === undefined) return null; // <backingStore/>: the chain ends here
  const type = bs.enumAttr('type', DISK_TYPES)!;
  bs.accept('index');
  const fmt = bs.child('format');
  const src = readSource(type, bs.child('source'), bs);
  if (!src) bs.fatal('missing-element', '<backingStore> needs a <source>');
  readCredentials(bs, src!);
  src!.format = fmt?.requireAttr('type');
  src!.backing = readBacking(bs);
  return src!;
}

function readIoTune(r: ElementReader): IoTune | undefined {
  const io = r.child('iotune');
  if (!io) return undefined;
  const t: IoTune = { values: {}, range: io.range };
  for (const f of IOTUNE_FIELDS) {
    const c = io.child(f);
    if (!c) continue;
    const v = c.text();
    if (!/^[0-9]+$/.test(v)) c.fatal('invalid-number', `<${f}> must be a non-negative integer (got '${v}')`);
    t.values[f] = Number(v);
  }
  const g = io.childText('group_name');
  if (g !== undefined) t.groupName = g;
  return t;
}

export function readDisk(r: ElementReader): Disk {
  const type = r.enumAttr('type', DISK_TYPES) ?? 'file';
  const device = r.enumAttr('device', DISK_DEVICES) ?? 'disk';
  for (const a of ['snapshot', 'sgio']) if (r.has(a)) r.fatal('unsupported', `unsupported: <disk ${a}> at ${where(r)}`, a);
  // rawio only changes the capabilities libvirt grants the QEMU process, not its command line.
  r.accept('rawio');
  for (const name of ['transient', 'mirror', 'blockjob', 'throttlefilters']) {
    const c = r.child(name);
    if (c) c.fatal('unsupported', `unsupported: <${name}> at ${where(c)}`);
  }

  const drv = r.child('driver');
  const driver: DiskDriver = { virtio: {} };
  if (drv) {
    driver.name = drv.attr('name');
    if (driver.name !== undefined && driver.name !== 'qemu') drv.fatal('invalid-value', `the QEMU driver only handles <driver name='qemu'> (got '${driver.name}')`, 'name');
    driver.format = drv.attr('type');
    driver.cache = drv.enumAttr('cache', CACHE_MODES);
    driver.errorPolicy = drv.enumAttr('error_policy', ERROR_POLICIES);
    driver.rerrorPolicy = drv.enumAttr('rerror_policy', ERROR_POLICIES);
    if (driver.rerrorPolicy === 'enospace') drv.fatal('invalid-value', "rerror_policy cannot be 'enospace'", 'rerror_policy');
    driver.io = drv.enumAttr('io', ['threads', 'native', 'io_uring'] as const);
    driver.ioeventfd = drv.boolAttr('ioeventfd');
    driver.eventIdx = drv.boolAttr('event_idx');
    driver.copyOnRead = drv.boolAttr('copy_on_read');
    driver.discard = drv.enumAttr('discard', ['unmap', 'ignore'] as const);
    driver.detectZeroes = drv.enumAttr('detect_zeroes', ['off', 'on', 'unmap'] as const);
    driver.queues = drv.intAttr('queues');
    driver.queueSize = drv.intAttr('queue_size');
    driver.iothread = drv.intAttr('iothread');
    driver.virtio = readVirtioDriver(r, drv);
    for (const c of ['metadata_cache', 'iothreads']) {
      const e = drv.child(c);
      if (e) e.fatal('unsupported', `unsupported: <${c}> at ${where(e)}`);
    }
  }

  const tgt = r.child('target');
  if (!tgt) r.fatal('missing-element', '<disk> needs a <target dev=…>');
  const dev = tgt!.attr('dev');
  if (!dev) tgt!.fatal('missing-attribute', "<target> needs attribute 'dev'");
  const target: Disk['target'] = { dev: dev!, range: tgt!.range };
  target.bus = tgt!.enumAttr('bus', DISK_BUSES);
  target.tray = tgt!.enumAttr('tray', ['open', 'closed'] as const);
  target.removable = tgt!.boolAttr('removable');
  target.rotationRate = tgt!.intAttr('rotation_rate');

  const source = readSource(type, r.child('source'), r);
  if (source) {
    readCredentials(r, source);
    source.format = driver.format;
    source.backing = readBacking(r);
  } else {
    const bs = r.child('backingStore');
    if (bs && bs.attr('type') !== undefined) bs.fatal('invalid-element', 'an empty drive cannot have a backing store');
  }

  const disk: Disk = {
    kind: 'disk', type, device, driver, target,
    model: r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const),
    readonly: !!r.child('readonly'), shareable: !!r.child('shareable'),
    info: readDeviceInfo(r),
  };
  if (source) disk.source = source;
  const serial = r.childText('serial');
  if (serial !== undefined) disk.serial = serial;
  const wwn = r.childText('wwn');
  if (wwn !== undefined) {
    if (!/^(0x)?[0-9a-f]{16}$/i.test(wwn)) r.child('wwn')!.fatal('invalid-value', `<wwn> must be 16 hex digits (got '${wwn}')`);
    disk.wwn = wwn;
  }
  const vendor = r.childText('vendor');
  if (vendor !== undefined) disk.vendor = vendor;
  const product = r.childText('product');
  if (product !== undefined) disk.product = product;
  const geo = r.child('geometry');
  if (geo) {
    disk.geometry = { cyls: geo.intAttr('cyls') ?? 0, heads: geo.intAttr('heads') ?? 0, secs: geo.intAttr('secs') ?? 0 };
    const trans = geo.enumAttr('trans', ['none', 'lba', 'auto'] as const);
    if (trans) disk.geometry.trans = trans;
  }
  const bio = r.child('blockio');
  if (bio) disk.blockio = { logical: bio.intAttr('logical_block_size'), physical: bio.intAttr('physical_block_size'), discardGranularity: bio.intAttr('discard_granularity') };
  const iotune = readIoTune(r);
  if (iotune) disk.iotune = iotune;
  return disk;
}
