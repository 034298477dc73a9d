// <filesystem>: host directories shared with the guest (virtio-9p or virtiofs).
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export interface Filesystem {
  kind: 'filesystem';
  type: string;
  accessmode: 'passthrough' | 'mapped' | 'squash';
  model?: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional';
  /** <driver type>: path/handle/loop/nbd/ploop (9p and friends) or virtiofs */
  driverType?: string;
  driverFormat?: string;
  wrpolicy?: 'immediate';
  queueSize?: number;
  multidevs?: 'default' | 'remap' | 'forbid' | 'warn';
  fmode?: number;
  dmode?: number;
  sourceDir?: string;
  /** <source socket>: a virtiofsd started by someone else */
  sourceSocket?: string;
  target: string;
  readonly: boolean;
  /** <binary>: how libvirt would start virtiofsd */
  binaryRange?: Range;
  binary?: { path?: string; xattr?: boolean; cache?: 'none' | 'always'; sandbox?: 'namespace' | 'chroot'; posixLock?: boolean; flock?: boolean; threadPoolSize?: number };
  driver: VirtioDriver;
  info: DeviceInfo;
}

function octalAttr(r: ElementReader, name: string): number | undefined {
  const v = r.attr(name);
  if (v === undefined) return undefined;
  if (!/^[0-7]{1,4}$/.test(v)) r.fatal('invalid-value', `${name} must be an octal file mode (got '${v}')`, name);
  const n = parseInt(v, 8);
  if (n > 0o777) r.fatal('invalid-value', `${name} must not exceed 0777 (got '${v}')`, name);
  return n;
}

export function readFilesystem(r: ElementReader): Filesystem {
  const type = r.attr('type') ?? 'mount';
  if (type !== 'mount') r.fatal('unsupported', `unsupported: <filesystem type='${type}'> at ${r.range.start.line}:${r.range.start.column} (the QEMU driver only shares host directories, type='mount')`, 'type');
  const drv = r.child('driver');
  const fs: Filesystem = {
    kind: 'filesystem', type,
    accessmode: r.enumAttr('accessmode', ['passthrough', 'mapped', 'squash'] as const) ?? 'passthrough',
    model: r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const),
    multidevs: r.enumAttr('multidevs', ['default', 'remap', 'forbid', 'warn'] as const),
    fmode: octalAttr(r, 'fmode'), dmode: octalAttr(r, 'dmode'),
    target: '', readonly: false, driver: {}, info: readDeviceInfo(r),
  };
  if (drv) {
    fs.driverType = drv.attr('type');
    fs.driverFormat = drv.attr('format');
    fs.wrpolicy = drv.enumAttr('wrpolicy', ['immediate'] as const);
    fs.queueSize = drv.intAttr('queue');
    fs.driver = readVirtioDriver(r, drv);
  }
  const src = r.child('source');
  if (src) {
    fs.sourceDir = src.attr('dir');
    fs.sourceSocket = src.attr('socket');
  }
  const tgt = r.child('target');
  if (!tgt) r.fatal('missing-element', '<filesystem> needs <target dir>');
  fs.target = tgt!.requireAttr('dir');
  fs.readonly = r.child('readonly') !== undefined;
  const bin = r.child('binary');
  if (bin) {
    fs.binaryRange = bin.range;
    const lock = bin.child('lock');
    fs.binary = {
      path: bin.attr('path'), xattr: bin.boolAttr('xattr'),
      cache: bin.child('cache')?.enumAttr('mode', ['none', 'always'] as const),
      sandbox: bin.child('sandbox')?.enumAttr('mode', ['namespace', 'chroot'] as const),
      posixLock: lock?.boolAttr('posix'), flock: lock?.boolAttr('flock'),
      threadPoolSize: bin.child('thread_pool')?.intAttr('size'),
    };
  }
  return fs;
}
