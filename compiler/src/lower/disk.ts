// <disk> → one `-blockdev` storage node and one format node per image of the chain
// (backing images first), an optional copy-on-read filter, then the guest-visible
// `-device` for the disk's bus — the way libvirt 9.0 does it with a blockdev-capable QEMU.
import type { Controller } from '../model/devices/controller.js';
import { secretUsageType, type CacheMode, type Disk, type DiskBus, type SecretRef, type StorageSource } from '../model/devices/disk.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import { findController } from './controller.js';
import type { Family } from './family.js';
import { isQ35 } from './machine.js';
import { pciDeviceProps } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';
import { keyval } from './qemu-opts.js';
import { virtioDriverName, virtioProps } from './virtio.js';

/** libvirt's drive-name index: `a`→0 … `z`→25, `aa`→26 …; -1 when the name has no such suffix. */
export function diskNameIndex(dev: string): number {
  const m = /^(?:fd|hd|vd|sd|xvd|ubd)([a-z]+)$/.exec(dev);
  if (!m) return -1;
  let idx = 0;
  const letters = m[1]!;
  for (let i = 0; i < letters.length; i++) {
    idx = (idx + (i < 1 ? 0 : 1)) * 26;
    idx += letters.charCodeAt(i) - 97;
  }
  return idx;
}

/** Bus implied by the target name when `<target bus>` is missing. */
function busFromTarget(dev: string, device: Disk['device']): DiskBus | undefined {
  if (device === 'floppy') return 'fdc';
  if (dev.startsWith('hd')) return 'ide';
  if (dev.startsWith('sd')) return 'scsi';
  if (dev.startsWith('vd')) return 'virtio';
  if (dev.startsWith('fd')) return 'fdc';
  if (dev.startsWith('xvd')) return 'xen';
  if (dev.startsWith('ubd')) return 'uml';
  return undefined;
}

const DRIVE_BUSES: ReadonlySet<DiskBus> = new Set(['ide', 'fdc', 'scsi', 'sata']);

/**
 * Settle what libvirt settles when it parses and prepares disks: default bus, the disk
 * order (grouped by bus, by target name within a bus), drive addresses derived from
 * target names and the disk controllers those addresses need. Runs before controllers
 * get their defaults and before PCI addresses are assigned.
 */
export function prepareDisks(ctx: LowerContext): void {
  const d = ctx.domain;
  const disks = devicesOf(d.devices, 'disk');
  if (!disks.length) return;
  const seen = new Map<string, Disk>();
  for (const disk of disks) {
    if (!disk.target.bus) {
      const bus = busFromTarget(disk.target.dev, disk.device);
      if (!bus) ctx.fail('invalid-disk-target', `cannot tell the bus of disk target '${disk.target.dev}' (give <target bus=…>)`, disk.target.range);
      disk.target.bus = bus;
    }
    if (seen.has(disk.target.dev)) ctx.fail('duplicate-disk-target', `target '${disk.target.dev}' is used by more than one disk`, disk.target.range);
    seen.set(disk.target.dev, disk);
    if (/^(?:fd|hd|vd|sd|xvd|ubd)[a-z]+[0-9]+$/.test(disk.target.dev)) {
      ctx.fail('invalid-disk-target', `disk target '${disk.target.dev}' names a partition; only whole disks can be attached`, disk.target.range);
    }
    if (disk.device === 'lun' && disk.target.bus !== 'scsi' && disk.target.bus !== 'virtio') {
      ctx.fail('invalid-disk', "<disk device='lun'> needs bus 'scsi' or 'virtio'", disk.target.range);
    }
    if (disk.device === 'lun' && disk.type !== 'block' && !(disk.type === 'network' && disk.source?.protocol === 'iscsi')) {
      ctx.fail('invalid-disk', "<disk device='lun'> needs type 'block' or an iSCSI network source", disk.info.range);
    }
    if (disk.device === 'floppy' && disk.target.bus !== 'fdc') ctx.fail('invalid-disk', 'a floppy drive must be on the fdc bus', disk.target.range);
    if (disk.target.bus === 'fdc' && disk.device !== 'floppy') ctx.fail('invalid-disk', "only floppy drives can be on the fdc bus", disk.target.range);
    if (disk.type === 'dir' && disk.source && disk.source.format !== 'fat') {
      ctx.fail('invalid-disk', "a directory disk must use <driver type='fat'>", disk.info.range);
    }
    if (disk.source?.format === 'iso') ctx.fail('invalid-disk', "'iso' is not a disk image format QEMU can open (use raw)", disk.info.range);
    if (disk.source?.format === 'fat' && disk.type !== 'dir') ctx.fail('invalid-disk', "format 'fat' needs a directory source (<disk type='dir'>)", disk.info.range);
  }
  const sorted = sortDisks(disks);
  let k = 0;
  d.devices.forEach((dev, i) => { if (dev.kind === 'disk') d.devices[i] = sorted[k++]!; });

  for (const disk of sorted) assignDriveAddress(ctx, disk);
  addDiskControllers(ctx, sorted);
  for (const disk of sorted) checkDriveAddress(ctx, disk);
}

/** The disk order libvirt keeps: each disk goes after the last disk on its bus whose
 * target sorts before it, or to the end when its bus has no disk yet. */
function sortDisks(disks: Disk[]): Disk[] {
  const out: Disk[] = [];
  for (const disk of disks) {
    let insertAt = -1;
    const idx = diskNameIndex(disk.target.dev);
    for (let i = out.length - 1; i >= 0; i--) {
      const o = out[i]!;
      if (o.target.bus !== disk.target.bus) continue;
      if (diskNameIndex(o.target.dev) > idx) insertAt = i;
      else if (insertAt === -1) insertAt = i + 1;
    }
    if (insertAt === -1) out.push(disk);
    else out.splice(insertAt, 0, disk);
  }
  return out;
}

function assignDriveAddress(ctx: LowerContext, disk: Disk): void {
  const bus = disk.target.bus!;
  const a = disk.info.address;
  if (!DRIVE_BUSES.has(bus)) {
    if (a?.type === 'drive') ctx.fail('invalid-address', `a disk on the ${bus} bus cannot have a drive address`, disk.info.range);
    return;
  }
  if (a) {
    if (a.type !== 'drive') ctx.fail('invalid-address', `a disk on the ${bus} bus needs a drive address, not '${a.type}'`, disk.info.range);
    return;
  }
  const idx = diskNameIndex(disk.target.dev);
  if (idx < 0) ctx.fail('invalid-disk-target', `cannot derive a drive address from target '${disk.target.dev}'`, disk.target.range);
  switch (bus) {
    case 'ide': disk.info.address = { type: 'drive', controller: Math.floor(idx / 4), bus: Math.floor((idx % 4) / 2), target: 0, unit: idx % 2 }; break;
    case 'fdc': disk.info.address = { type: 'drive', controller: Math.floor(idx / 2), bus: 0, target: 0, unit: idx % 2 }; break;
    case 'sata': disk.info.address = { type: 'drive', controller: Math.floor(idx / 6), bus: 0, target: 0, unit: idx % 6 }; break;
    case 'scsi': disk.info.address = { type: 'drive', controller: Math.floor(idx / 7), bus: 0, target: 0, unit: idx % 7 }; break;
    default: break;
  }
}

/** A bound on a drive address's controller index (QEMU itself could not start that many). */
const MAX_DISK_CONTROLLERS = 255;

/** Every drive address names a controller; libvirt adds the missing ones (indexes 0…max). */
function addDiskControllers(ctx: LowerContext, disks: Disk[]): void {
  const d = ctx.domain;
  for (const type of ['scsi', 'fdc', 'ide', 'sata'] as const) {
    let max = -1;
    for (const disk of disks) {
      const a = disk.info.address;
      if (disk.target.bus !== type || a?.type !== 'drive') continue;
      // every index up to it gets a controller: an absurd index would mean millions of them
      if (a.controller > MAX_DISK_CONTROLLERS) ctx.fail('invalid-address', `drive address controller ${a.controller} is out of range (at most ${MAX_DISK_CONTROLLERS} ${type} controllers)`, disk.info.range);
      max = Math.max(max, a.controller);
    }
    for (let i = 0; i <= max; i++) {
      if (devicesOf(d.devices, 'controller').some((c) => c.type === type && c.index === i)) continue;
      const ctrl: Controller = { kind: 'controller', type, index: i, info: { range: d.range, userAlias: false }, driver: {}, target: {} };
      // libvirt keeps controllers of a type ordered by index; PCI slots follow that order.
      const next = d.devices.findIndex((x) => x.kind === 'controller' && x.type === type && x.index > i);
      if (next >= 0) d.devices.splice(next, 0, ctrl);
      else d.devices.push(ctrl);
    }
  }
}

function checkDriveAddress(ctx: LowerContext, disk: Disk): void {
  const a = disk.info.address;
  if (a?.type !== 'drive') return;
  const bus = disk.target.bus!;
  if (bus === 'sata' && (a.bus !== 0 || a.target !== 0)) ctx.fail('invalid-address', 'a SATA disk address must have bus 0 and target 0', disk.info.range);
  if (bus === 'ide' && a.target !== 0) ctx.fail('invalid-address', 'an IDE disk address must have target 0', disk.info.range);
  if (bus === 'fdc' && (a.bus !== 0 || a.target !== 0 || a.unit > 1)) ctx.fail('invalid-address', 'a floppy address must have bus 0, target 0 and unit 0 or 1', disk.info.range);
  for (const o of devicesOf(ctx.domain.devices, 'disk')) {
    if (o === disk || o.target.bus !== bus) continue;
    const b = o.info.address;
    if (b?.type === 'drive' && b.controller === a.controller && b.bus === a.bus && b.target === a.target && b.unit === a.unit) {
      ctx.fail('address-conflict', `disks '${o.target.dev}' and '${disk.target.dev}' have the same drive address`, disk.info.range);
    }
  }
}

function scsiControllerModel(ctx: LowerContext, index: number): string | undefined {
  return findController(ctx, 'scsi', index)?.model;
}

function diskAlias(ctx: LowerContext, disk: Disk): string {
  const a = disk.info.address;
  const bus = disk.target.bus!;
  const idx = diskNameIndex(disk.target.dev);
  switch (bus) {
    case 'virtio': return `virtio-disk${idx}`;
    case 'usb': return `usb-disk${idx}`;
    case 'ide': case 'fdc': case 'sata': case 'scsi': {
      if (a?.type !== 'drive') return `${bus}-disk${idx}`;
      if (bus === 'scsi' && scsiControllerModel(ctx, a.controller) !== 'lsilogic') return `scsi${a.controller}-${a.bus}-${a.target}-${a.unit}`;
      return `${bus}${a.controller}-${a.bus}-${a.unit}`;
    }
    default: return `${bus}-disk${idx}`;
  }
}

/** Number every image libvirt-N: disks are walked last to first, each chain top to bottom;
 * an empty drive still takes a number. */
function assignNodeNames(disks: Disk[]): void {
  let n = 1;
  for (let i = disks.length - 1; i >= 0; i--) {
    const disk = disks[i]!;
    if (!disk.source) { n++; continue; }
    for (let s: StorageSource | null | undefined = disk.source; s; s = s.backing) s.nodeIndex = n++;
  }
}

const tlsCredsId = (s: StorageSource): string => `obj${storageNode(s)}_tls0`;
const storageNode = (s: StorageSource): string => `libvirt-${s.nodeIndex}-storage`;
const formatNode = (s: StorageSource): string => `libvirt-${s.nodeIndex}-format`;

/** cache.direct / cache.no-flush of the nodes and write-cache of the device per cache mode. */
function cacheFlags(mode: CacheMode | undefined): { direct: boolean; noFlush: boolean; writeCache: boolean } | undefined {
  switch (mode) {
    case 'none': return { direct: true, noFlush: false, writeCache: true };
    case 'writethrough': return { direct: false, noFlush: false, writeCache: false };
    case 'writeback': return { direct: false, noFlush: false, writeCache: true };
    case 'directsync': return { direct: true, noFlush: false, writeCache: false };
    case 'unsafe': return { direct: false, noFlush: true, writeCache: true };
    default: return undefined;
  }
}

/** qemu.conf's gluster_debug_level default. */
const GLUSTER_DEBUG_LEVEL = 4;

const DEFAULT_PORTS: Record<string, string> = {
  nbd: '10809', gluster: '24007', iscsi: '3260', http: '80', https: '443', ftp: '21', ftps: '990', tftp: '69', ssh: '22',
};

function hostPort(s: StorageSource, i: number): string | undefined {
  return s.hosts[i]?.port ?? DEFAULT_PORTS[s.protocol!];
}

function inetServer(ctx: LowerContext, s: StorageSource, disk: Disk): Record<string, unknown>[] {
  return s.hosts.map((h, i) => {
    if (h.transport === 'unix') return { type: 'unix', path: h.socket };
    if (h.transport === 'rdma') ctx.unsupported("<host transport='rdma'>", disk.info.range);
    return { type: 'inet', host: h.name, port: hostPort(s, i) };
  });
}

/** <readahead>, <timeout> and <ssl> belong to the curl-based protocols. */
function curlOnly(ctx: LowerContext, s: StorageSource): void {
  if (s.readahead !== undefined || s.timeout !== undefined || s.sslVerify !== undefined) {
    ctx.fail('invalid-disk-source', `<readahead>, <timeout> and <ssl> only apply to http(s)/ftp(s)/tftp sources (not ${s.protocol})`, s.range);
  }
}

function oneHost(ctx: LowerContext, s: StorageSource): void {
  if (s.hosts.length !== 1) ctx.fail('invalid-disk-source', `a ${s.protocol} disk source needs exactly one <host>`, s.range);
}

/** The protocol/file-specific part of a storage node. */
function storageDriverProps(ctx: LowerContext, disk: Disk, s: StorageSource, authSecret: string | undefined): Record<string, unknown> {
  const aio = disk.driver.io ? { aio: disk.driver.io } : {};
  switch (s.type) {
    case 'file': return { driver: 'file', filename: s.path, ...aio };
    case 'block': {
      // The host's CD-ROM drive (/dev/cdrom, the name udev gives the first one) is opened
      // with host_cdrom so media changes reach the guest.
      const hostCdrom = disk.device === 'cdrom' && s.path === '/dev/cdrom';
      return { driver: hostCdrom ? 'host_cdrom' : 'host_device', filename: s.path, ...aio };
    }
    case 'dir':
      return { driver: 'vvfat', dir: s.path, floppy: disk.device === 'floppy', rw: !isReadonly(disk) };
    case 'network': return networkProps(ctx, disk, s, authSecret);
    case 'nvme': return { driver: 'nvme', device: s.nvme!.device, namespace: s.nvme!.namespace };
    default: return ctx.unsupported(`<disk type='${s.type}'>`, s.range);
  }
}

function networkProps(ctx: LowerContext, disk: Disk, s: StorageSource, authSecret: string | undefined): Record<string, unknown> {
  const name = s.name ?? '';
  // <auth>: the credentials follow the protocol's own options
  const auth = (): Record<string, unknown> => (authSecret ? authProps(s, authSecret) : {});
  if (!['http', 'https', 'ftp', 'ftps', 'tftp'].includes(s.protocol!)) curlOnly(ctx, s);
  switch (s.protocol) {
    case 'nbd': {
      oneHost(ctx, s);
      const p: Record<string, unknown> = { driver: 'nbd', server: inetServer(ctx, s, disk)[0] };
      if (s.name !== undefined) p.export = s.name;
      if (s.tls) p['tls-creds'] = tlsCredsId(s);
      if (s.tlsHostname !== undefined) {
        if (!s.tls) ctx.fail('invalid-disk-source', "tlsHostname needs <source tls='yes'>", s.range);
        p['tls-hostname'] = s.tlsHostname;
      }
      return p;
    }
    case 'rbd': {
      const parts = name.split('/');
      if (parts.length < 2 || parts.length > 3 || parts.some((x) => !x)) ctx.fail('invalid-disk-source', `an rbd source name must be 'pool/image' or 'pool/namespace/image' (got '${name}')`, s.range);
      const p: Record<string, unknown> = { driver: 'rbd', pool: parts[0] };
      if (parts.length === 3) p.namespace = parts[1];
      p.image = parts[parts.length - 1];
      if (s.snapshot !== undefined) p.snapshot = s.snapshot;
      if (s.config !== undefined) p.conf = s.config;
      if (s.hosts.length) {
        p.server = s.hosts.map((h) => {
          if (h.transport !== 'tcp') ctx.fail('invalid-disk-source', 'rbd monitors are reached over tcp', s.range);
          // libvirt has no default monitor port for rbd and its output for a missing one is not pinned down.
          if (h.port === undefined) ctx.unsupported(`rbd <host name='${h.name}'> without a port`, s.range);
          return { host: h.name, port: h.port };
        });
      }
      return { ...p, ...auth() };
    }
    case 'gluster': {
      const slash = name.indexOf('/');
      if (slash <= 0) ctx.fail('invalid-disk-source', `a gluster source name must be 'volume/path' (got '${name}')`, s.range);
      if (!s.hosts.length) ctx.fail('invalid-disk-source', 'a gluster disk needs at least one <host>', s.range);
      return { driver: 'gluster', volume: name.slice(0, slash), path: name.slice(slash + 1), server: inetServer(ctx, s, disk), debug: GLUSTER_DEBUG_LEVEL };
    }
    case 'iscsi': {
      oneHost(ctx, s);
      const h = s.hosts[0]!;
      if (h.transport !== 'tcp') ctx.fail('invalid-disk-source', 'iSCSI targets are reached over tcp', s.range);
      const slash = name.lastIndexOf('/');
      const target = slash >= 0 ? name.slice(0, slash) : name;
      const lun = slash >= 0 ? Number(name.slice(slash + 1)) : 0;
      if (!Number.isInteger(lun)) ctx.fail('invalid-disk-source', `the iSCSI LUN in '${name}' is not a number`, s.range);
      const host = h.name!.includes(':') ? `[${h.name}]` : h.name;
      return { driver: 'iscsi', portal: `${host}:${hostPort(s, 0)}`, target, lun, transport: 'tcp', ...auth() };
    }
    case 'nfs': {
      oneHost(ctx, s);
      const p: Record<string, unknown> = { driver: 'nfs', server: { host: s.hosts[0]!.name, type: 'inet' }, path: name };
      const id = (v: string | undefined, what: string): number | undefined => {
        if (v === undefined) return undefined;
        if (!/^\+[0-9]+$/.test(v)) ctx.unsupported(`<identity ${what}='${v}'> (only numeric '+N' ids; names need the host's user database)`, s.range);
        return Number(v.slice(1));
      };
      const user = id(s.identity?.user, 'user');
      const group = id(s.identity?.group, 'group');
      if (user !== undefined) p.user = user;
      if (group !== undefined) p.group = group;
      return p;
    }
    case 'http': case 'https': case 'ftp': case 'ftps': case 'tftp': {
      oneHost(ctx, s);
      const h = s.hosts[0]!;
      const host = h.name!.includes(':') ? `[${h.name}]` : h.name;
      const path = name.startsWith('/') ? name : `/${name}`;
      const url = `${s.protocol}://${host}:${hostPort(s, 0)}${path}${s.query ? `?${s.query}` : ''}`;
      const p: Record<string, unknown> = { driver: s.protocol, url, ...auth() };
      if (s.sslVerify !== undefined) {
        if (s.protocol !== 'https' && s.protocol !== 'ftps') ctx.fail('invalid-disk-source', `<ssl> only applies to https and ftps (not ${s.protocol})`, s.range);
        p.sslverify = s.sslVerify;
      }
      if (s.readahead !== undefined) p.readahead = s.readahead;
      if (s.timeout !== undefined) p.timeout = s.timeout;
      return p;
    }
    case 'ssh': {
      oneHost(ctx, s);
      return { driver: 'ssh', path: name, server: { host: s.hosts[0]!.name, port: hostPort(s, 0) } };
    }
    default:
      return ctx.unsupported(`network disk protocol '${s.protocol}'`, s.range);
  }
}

/** CD-ROMs are read-only whether or not the XML says <readonly/>. */
function isReadonly(disk: Disk): boolean {
  return disk.readonly || disk.device === 'cdrom';
}

function cacheProps(disk: Disk): Record<string, unknown> {
  const c = cacheFlags(disk.driver.cache);
  return c ? { cache: { direct: c.direct, 'no-flush': c.noFlush } } : {};
}

const MANAGED_PR_ID = 'pr-helper0';

/** One qemu-pr-helper per domain serves every LUN with <reservations managed='yes'>: the
 * runtime starts it with its socket in the domain's private directory. */
export function lowerManagedPrHelper(ctx: LowerContext): void {
  const managed = devicesOf(ctx.domain.devices, 'disk').some((d) => d.source?.reservations?.managed);
  if (!managed) return;
  const socket = `${ctx.domainDir}/${MANAGED_PR_ID}.sock`;
  ctx.helpers.push({ kind: 'pr-helper', socket, purpose: "persistent reservations of <reservations managed='yes'> disks" });
  ctx.object({ 'qom-type': 'pr-manager-helper', id: MANAGED_PR_ID, path: socket });
}

/** The pr-manager-helper object a LUN's persistent reservations go through. */
function prManagerId(ctx: LowerContext, disk: Disk, s: StorageSource): string {
  if (disk.device !== 'lun') ctx.fail('invalid-disk', "<reservations> need <disk device='lun'>", s.range);
  if (s.reservations!.managed) return MANAGED_PR_ID;
  const id = `pr-helper-${storageNode(s)}`;
  ctx.object({ 'qom-type': 'pr-manager-helper', id, path: s.reservations!.path });
  return id;
}

/** vhost-user-blk: the disk is served by an external process over a UNIX socket. */
function lowerVhostUserDisk(ctx: LowerContext, disk: Disk): void {
  if (!disk.source) ctx.fail('missing-element', `vhost-user disk '${disk.target.dev}' needs a <source type='unix' path='…'/>`, disk.info.range);
  const s = disk.source;
  if (disk.target.bus !== 'virtio' || disk.device !== 'disk') ctx.fail('invalid-disk', "a vhost-user disk must be device='disk' on the virtio bus", disk.info.range);
  const chardev = `chr-vu-${disk.info.alias}`;
  ctx.arg('-chardev', keyval([['id', chardev], ['path', s.path], ['reconnect', s.reconnect]], 'socket'));
  const props: Record<string, unknown> = { driver: virtioDriverName('vhost-user-blk-pci', disk.model) };
  if (disk.driver.queues !== undefined) props['num-queues'] = disk.driver.queues;
  if (disk.driver.queueSize !== undefined) props['queue-size'] = disk.driver.queueSize;
  Object.assign(props, virtioProps(disk.driver.virtio));
  if (disk.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, disk.info.address));
  props.chardev = chardev;
  props.id = disk.info.alias;
  if (disk.info.bootIndex !== undefined) props.bootindex = disk.info.bootIndex;
  ctx.device(props);
}

/** A `secret` object holding a libvirt secret, encrypted with the domain's master key. */
function secretObject(ctx: LowerContext, ref: SecretRef, id: string, what: string): string {
  const secrets = ctx.opts.secrets;
  if (!secrets) ctx.unsupported(what, ref.range, 'no secrets were given to the compiler');
  const usageType = secretUsageType(ref.type);
  const value = secrets!.value(ref.uuid !== undefined ? { uuid: ref.uuid, usageType } : { usageType, usageId: ref.usage });
  if (!value) {
    const name = ref.uuid !== undefined ? `uuid ${ref.uuid}` : `usage ${usageType} '${ref.usage}'`;
    ctx.fail('missing-secret', `no secret with ${name} (or it has no value): define it with \`qdc secret define\` and \`qdc secret set-value\``, ref.range);
  }
  const { data, iv } = secrets!.encrypt(value!);
  ctx.object({ 'qom-type': 'secret', id, data, keyid: 'masterKey0', iv, format: 'base64' });
  return id;
}

/** The storage node's credentials for <auth>, in the options of its protocol. */
function authProps(s: StorageSource, secret: string): Record<string, unknown> {
  const user = s.auth!.username;
  switch (s.protocol) {
    case 'rbd': return { user, 'auth-client-required': ['cephx', 'none'], 'key-secret': secret };
    case 'iscsi': return { user, 'password-secret': secret };
    default: return { username: user, 'password-secret': secret };
  }
}
const AUTH_PROTOCOLS = new Set(['rbd', 'iscsi', 'http', 'https', 'ftp', 'ftps']);

/** Storage and format nodes of one image, backing images first. */
function lowerImage(ctx: LowerContext, disk: Disk, s: StorageSource, top: boolean): void {
  if (s.backing) lowerImage(ctx, disk, s.backing, false);
  if (s.tls) {
    if (s.protocol !== 'nbd') ctx.unsupported(`<source tls='yes'> for protocol '${s.protocol}'`, s.range);
    if (ctx.config.nbdTLSx509secretUUID !== undefined) {
      ctx.unsupported("<source tls='yes'> with qemu.conf nbd_tls_x509_secret_uuid", s.range, 'the key passphrase is a libvirt secret, which qdc does not manage');
    }
    // Client credentials from qemu.conf's nbd_tls_x509_cert_dir; the server's certificate is always verified.
    ctx.object({ 'qom-type': 'tls-creds-x509', id: tlsCredsId(s), dir: ctx.config.nbdTLSx509certdir, endpoint: 'client', 'verify-peer': true });
  }
  const pr = top && s.reservations ? prManagerId(ctx, disk, s) : undefined;
  // secrets first: QEMU resolves an object named in -blockdev when it opens the node
  if (s.auth && !AUTH_PROTOCOLS.has(s.protocol!)) ctx.unsupported(`<auth> for protocol '${s.protocol}'`, s.auth.range);
  const authSecret = s.auth && secretObject(ctx, s.auth.secret, `${storageNode(s)}-auth-secret0`, '<auth>');
  const encSecret = s.encryption && secretObject(ctx, s.encryption.secret, `${formatNode(s)}-encryption-secret0`, "<encryption format='luks'>");
  const storage: Record<string, unknown> = {
    ...storageDriverProps(ctx, disk, s, authSecret), ...(pr ? { 'pr-manager': pr } : {}), 'node-name': storageNode(s), ...cacheProps(disk), 'auto-read-only': true, discard: 'unmap',
  };
  ctx.blockdev(storage);
  const imageFormat = s.format ?? (s.type === 'dir' ? 'fat' : 'raw');
  if (encSecret && imageFormat !== 'raw' && imageFormat !== 'qcow2') ctx.fail('invalid-disk-format', `luks encryption applies to raw and qcow2 images (not ${imageFormat})`, s.encryption!.range);
  // a raw image with luks encryption is a luks image
  const format = encSecret && imageFormat === 'raw' ? 'luks' : imageFormat;
  let file = storageNode(s);
  // A raw image takes its slice itself; any other format reads through a raw slice node.
  if (s.slice && format !== 'raw') {
    file = `libvirt-${s.nodeIndex}-slice-sto`;
    ctx.blockdev({
      driver: 'raw', 'node-name': file, offset: s.slice.offset, size: s.slice.size, file: storageNode(s),
      'auto-read-only': true, discard: 'unmap', ...cacheProps(disk),
    });
  }
  const fmt: Record<string, unknown> = { 'node-name': formatNode(s), 'read-only': top ? isReadonly(disk) : true };
  if (disk.driver.discard) fmt.discard = disk.driver.discard;
  if (top && disk.driver.detectZeroes && disk.driver.detectZeroes !== 'off') {
    fmt['detect-zeroes'] = disk.driver.detectZeroes === 'unmap' && disk.driver.discard !== 'unmap' ? 'on' : disk.driver.detectZeroes;
  }
  Object.assign(fmt, cacheProps(disk));
  const FORMATS = ['raw', 'qcow2', 'qcow', 'qed', 'vmdk', 'vdi', 'vpc', 'vhdx', 'parallels', 'cloop', 'dmg', 'bochs', 'luks'];
  if (format === 'fat') fmt.driver = 'raw';
  else if (FORMATS.includes(format)) fmt.driver = format;
  else ctx.fail('invalid-disk-format', `QEMU cannot open disk image format '${format}'`, s.range);
  if (encSecret) {
    if (format === 'luks') fmt['key-secret'] = encSecret;
    else fmt.encrypt = { format: 'luks', 'key-secret': encSecret };
  }
  if (s.slice && format === 'raw') { fmt.offset = s.slice.offset; fmt.size = s.slice.size; }
  fmt.file = file;
  if (format !== 'raw' && format !== 'luks' && format !== 'fat' && s.backing !== undefined) fmt.backing = s.backing ? formatNode(s.backing) : null;
  ctx.blockdev(fmt);
}

function wwnNumber(wwn: string): bigint {
  return BigInt(wwn.toLowerCase().startsWith('0x') ? wwn : `0x${wwn}`);
}

function requireController(ctx: LowerContext, disk: Disk, type: Controller['type'], index: number): Controller {
  const c = findController(ctx, type, index);
  if (!c) ctx.fail('missing-controller', `disk '${disk.target.dev}' needs ${type} controller ${index}, which does not exist`, disk.info.range);
  return c!;
}

function lowerDiskDevice(ctx: LowerContext, disk: Disk, drive: string | undefined): void {
  const bus = disk.target.bus!;
  const a = disk.info.address;
  const props: Record<string, unknown> = {};
  const cd = disk.device === 'cdrom';
  let supportsWriteCache = true;
  switch (bus) {
    case 'ide': case 'sata': {
      if (a?.type !== 'drive') return ctx.fail('invalid-address', `a ${bus} disk needs a drive address`, disk.info.range);
      const ctrl = requireController(ctx, disk, bus, a.controller);
      if (disk.device === 'lun') ctx.fail('invalid-disk', `<disk device='lun'> cannot be on the ${bus} bus`, disk.info.range);
      props.driver = cd ? 'ide-cd' : 'ide-hd';
      if (bus === 'ide') { props.bus = `${ctrl.info.alias}.${a.bus}`; props.unit = a.unit; } else props.bus = `${ctrl.info.alias}.${a.unit}`;
      break;
    }
    case 'fdc':
      if (a?.type !== 'drive') return ctx.fail('invalid-address', `a ${bus} disk needs a drive address`, disk.info.range);
      props.driver = 'floppy';
      props.unit = a.unit;
      break;
    case 'scsi': {
      if (a?.type !== 'drive') return ctx.fail('invalid-address', `a ${bus} disk needs a drive address`, disk.info.range);
      const ctrl = requireController(ctx, disk, 'scsi', a.controller);
      props.driver = disk.device === 'lun' ? 'scsi-block' : cd ? 'scsi-cd' : 'scsi-hd';
      if (disk.device === 'lun') supportsWriteCache = false;
      if (ctrl.model === 'lsilogic') {
        if (a.target !== 0) ctx.fail('invalid-address', "target must be 0 on an 'lsilogic' SCSI controller", disk.info.range);
        props.bus = `${ctrl.info.alias}.${a.bus}`;
        props['scsi-id'] = a.unit;
      } else {
        props.bus = `${ctrl.info.alias}.0`;
        props.channel = a.bus;
        props['scsi-id'] = a.target;
        props.lun = a.unit;
      }
      break;
    }
    case 'virtio': {
      props.driver = virtioDriverName('virtio-blk-pci', disk.model);
      if (disk.device === 'lun') props.scsi = true;
      if (disk.device === 'cdrom') ctx.fail('invalid-disk', 'a virtio disk cannot be a CD-ROM', disk.info.range);
      if (disk.driver.queues !== undefined) props['num-queues'] = disk.driver.queues;
      if (disk.driver.queueSize !== undefined) props['queue-size'] = disk.driver.queueSize;
      if (disk.driver.iothread !== undefined) {
        if (!ctx.domain.iothreads?.count || disk.driver.iothread < 1 || disk.driver.iothread > ctx.domain.iothreads.count && !ctx.domain.iothreads.ids.some((t) => t.id === disk.driver.iothread)) {
          ctx.fail('invalid-iothread', `iothread ${disk.driver.iothread} is not defined in <iothreads>`, disk.info.range);
        }
        props.iothread = `iothread${disk.driver.iothread}`;
      }
      if (disk.driver.ioeventfd !== undefined) props.ioeventfd = disk.driver.ioeventfd;
      if (disk.driver.eventIdx !== undefined) props.event_idx = disk.driver.eventIdx;
      Object.assign(props, virtioProps(disk.driver.virtio));
      if (a?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, a));
      else if (a) ctx.unsupported(`a virtio disk with a '${a.type}' address`, disk.info.range);
      break;
    }
    case 'usb':
      props.driver = 'usb-storage';
      if (disk.device !== 'disk') ctx.unsupported(`<disk device='${disk.device}' bus='usb'>`, disk.info.range);
      Object.assign(props, usbDeviceProps(ctx, disk.info));
      break;
    default:
      ctx.unsupported(`<target bus='${bus}'> on x86_64`, disk.target.range);
  }
  if (bus !== 'virtio') {
    const drv = disk.driver;
    const virtioOnly: [string, unknown][] = [
      ['queues', drv.queues], ['queue_size', drv.queueSize], ['iothread', drv.iothread], ['ioeventfd', drv.ioeventfd],
      ['event_idx', drv.eventIdx], ['iommu', drv.virtio.iommu], ['ats', drv.virtio.ats], ['packed', drv.virtio.packed],
      ['page_per_vq', drv.virtio.pagePerVq], ['model', disk.model],
    ];
    for (const [name, v] of virtioOnly) {
      if (v !== undefined) ctx.fail('invalid-disk', `disk ${name} is only available on the virtio bus`, disk.info.range);
    }
  }
  if (disk.readonly && disk.device === 'disk' && (bus === 'ide' || bus === 'sata')) {
    ctx.fail('invalid-disk', `${bus === 'ide' ? 'IDE' : 'SATA'} hard disks cannot be read-only (use a CD-ROM or another bus)`, disk.info.range);
  }
  if (bus !== 'virtio' && bus !== 'usb' && a?.type === 'pci') ctx.fail('invalid-address', `a ${bus} disk cannot have a PCI address`, disk.info.range);
  if (disk.info.acpiIndex !== undefined) {
    if (bus !== 'virtio') ctx.fail('invalid-disk', 'acpi index is only available for PCI devices', disk.info.range);
    props['acpi-index'] = disk.info.acpiIndex;
  }
  if (disk.shareable) props['share-rw'] = true;
  if (bus === 'scsi' && disk.device !== 'lun') props.device_id = disk.serial ?? `drive-${disk.info.alias}`;
  if (drive) props.drive = drive;
  props.id = disk.info.alias;
  if (disk.info.bootIndex !== undefined && bus !== 'fdc') props.bootindex = disk.info.bootIndex;
  if (disk.blockio) {
    if (disk.blockio.logical !== undefined) props.logical_block_size = disk.blockio.logical;
    if (disk.blockio.physical !== undefined) props.physical_block_size = disk.blockio.physical;
    if (disk.blockio.discardGranularity !== undefined) props.discard_granularity = disk.blockio.discardGranularity;
  }
  if (disk.wwn !== undefined) {
    if (bus !== 'ide' && bus !== 'sata' && bus !== 'scsi') ctx.fail('invalid-disk', 'only IDE, SATA and SCSI disks have a WWN', disk.info.range);
    props.wwn = wwnNumber(disk.wwn);
  }
  if (disk.target.rotationRate !== undefined) {
    if (bus !== 'ide' && bus !== 'sata' && bus !== 'scsi') ctx.fail('invalid-disk', 'rotation_rate is only available for IDE, SATA and SCSI disks', disk.target.range);
    props.rotation_rate = disk.target.rotationRate;
  }
  if (disk.geometry) {
    props.cyls = disk.geometry.cyls;
    props.heads = disk.geometry.heads;
    props.secs = disk.geometry.secs;
    if (disk.geometry.trans) props['bios-chs-trans'] = disk.geometry.trans;
  }
  if (bus === 'usb') props.removable = disk.target.removable ?? false;
  else if (disk.target.removable !== undefined) ctx.fail('invalid-disk', "'removable' is only available for USB disks", disk.target.range);
  const cache = cacheFlags(disk.driver.cache);
  if (cache && supportsWriteCache) props['write-cache'] = cache.writeCache ? 'on' : 'off';
  const { errorPolicy: werr, rerrorPolicy } = disk.driver;
  const rerr = rerrorPolicy ?? (werr !== 'enospace' ? werr : undefined);
  if (werr) props.werror = werr === 'enospace' ? 'enospc' : werr;
  if (rerr) props.rerror = rerr;
  if (disk.serial !== undefined) {
    if (!/^[A-Za-z0-9_ .+-]*$/.test(disk.serial)) ctx.fail('invalid-disk', `disk serial '${disk.serial}' has characters QEMU does not accept`, disk.info.range);
    props.serial = disk.serial;
  }
  if (disk.vendor !== undefined || disk.product !== undefined) {
    if (bus !== 'scsi') ctx.fail('invalid-disk', 'vendor and product are only available for SCSI disks', disk.info.range);
    if (disk.vendor !== undefined) props.vendor = disk.vendor;
    if (disk.product !== undefined) props.product = disk.product;
  }
  ctx.device(props);
}

/** isa-fdc carries the floppies' boot indexes: a -device on q35 (no built-in FDC),
 * -global options on the PC machine whose FDC is built in. */
function lowerFloppyController(ctx: LowerContext, disks: Disk[]): void {
  const floppies = disks.filter((d) => d.target.bus === 'fdc');
  if (!floppies.length) return;
  const props: [string, number][] = [];
  for (const f of floppies) {
    const a = f.info.address;
    if (a?.type === 'drive' && f.info.bootIndex !== undefined) props.push([`bootindex${a.unit === 0 ? 'A' : 'B'}`, f.info.bootIndex]);
  }
  if (isQ35(ctx.machine)) {
    ctx.device({ driver: 'isa-fdc', ...Object.fromEntries(props) });
  } else {
    for (const [k, v] of props) ctx.arg('-global', `isa-fdc.${k}=${v}`);
  }
}

const IOTUNE_QMP: [string, string][] = [
  ['total_bytes_sec', 'bps'], ['read_bytes_sec', 'bps_rd'], ['write_bytes_sec', 'bps_wr'],
  ['total_iops_sec', 'iops'], ['read_iops_sec', 'iops_rd'], ['write_iops_sec', 'iops_wr'],
  ['total_bytes_sec_max', 'bps_max'], ['read_bytes_sec_max', 'bps_rd_max'], ['write_bytes_sec_max', 'bps_wr_max'],
  ['total_iops_sec_max', 'iops_max'], ['read_iops_sec_max', 'iops_rd_max'], ['write_iops_sec_max', 'iops_wr_max'],
  ['size_iops_sec', 'iops_size'],
  ['total_bytes_sec_max_length', 'bps_max_length'], ['read_bytes_sec_max_length', 'bps_rd_max_length'], ['write_bytes_sec_max_length', 'bps_wr_max_length'],
  ['total_iops_sec_max_length', 'iops_max_length'], ['read_iops_sec_max_length', 'iops_rd_max_length'], ['write_iops_sec_max_length', 'iops_wr_max_length'],
];

/** With -blockdev, libvirt applies <iotune> through QMP once QEMU runs. */
function planIoTune(ctx: LowerContext, disk: Disk): void {
  const t = disk.iotune;
  if (!t || !disk.source) return;
  const v = t.values;
  const pair = (total: string, rd: string, wr: string): void => {
    if (v[total] && (v[rd] || v[wr])) ctx.fail('invalid-iotune', `<${total}> cannot be combined with <${rd}>/<${wr}>`, t.range);
  };
  pair('total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec');
  pair('total_iops_sec', 'read_iops_sec', 'write_iops_sec');
  pair('total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max');
  pair('total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max');
  if (!Object.values(v).some((x) => x > 0)) return;
  const id = disk.target.bus === 'virtio' ? `/machine/peripheral/${disk.info.alias}/virtio-backend` : disk.info.alias!;
  const args: Record<string, unknown> = { id };
  for (const [xml, qmp] of IOTUNE_QMP) {
    const required = ['bps', 'bps_rd', 'bps_wr', 'iops', 'iops_rd', 'iops_wr'].includes(qmp);
    if (required) args[qmp] = v[xml] ?? 0;
    else if (v[xml]) args[qmp] = v[xml];
  }
  if (t.groupName !== undefined) args.group = t.groupName;
  ctx.qmp.push({ execute: 'block_set_io_throttle', arguments: args, purpose: `apply <iotune> limits of disk '${disk.target.dev}'` });
}

export const diskFamily: Family<'disk'> = {
  kind: 'disk',
  assignAliases(devs, ctx) {
    for (const d of devs) if (!d.info.alias) d.info.alias = diskAlias(ctx, d);
  },
  pciConnect(d) {
    if (d.target.bus !== 'virtio') return null;
    return d.model === 'virtio-transitional' ? 'pci' : 'pcie';
  },
  lower(devs, ctx) {
    assignNodeNames(devs);
    lowerFloppyController(ctx, devs);
    for (const disk of devs) {
      if (disk.type === 'vhostuser') { lowerVhostUserDisk(ctx, disk); continue; }
      let drive: string | undefined;
      if (disk.source) {
        lowerImage(ctx, disk, disk.source, true);
        drive = formatNode(disk.source);
        if (disk.driver.copyOnRead) {
          const cor = `libvirt-CoR-${disk.target.dev}`;
          ctx.blockdev({ driver: 'copy-on-read', 'node-name': cor, file: drive, discard: 'unmap' });
          drive = cor;
        }
      }
      lowerDiskDevice(ctx, disk, drive);
      planIoTune(ctx, disk);
    }
  },
};
