// <video>: the guest's display adapters. The primary adapter is the first one (or the one
// marked primary='yes', which libvirt moves to the front).
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export const VIDEO_TYPES = ['vga', 'cirrus', 'vmvga', 'xen', 'vbox', 'qxl', 'parallels', 'virtio', 'gop', 'none', 'bochs', 'ramfb'] as const;
export type VideoType = (typeof VIDEO_TYPES)[number];

export interface Video {
  kind: 'video';
  type: VideoType;
  /** sizes in KiB, after libvirt's defaults */
  vram: number;
  ram: number;
  vram64: number;
  vgamem: number;
  heads: number;
  primary: boolean;
  accel3d?: boolean;
  accel2d?: boolean;
  rendernode?: string;
  resolution?: { x: number; y: number };
  backend: 'qemu' | 'vhostuser';
  driver: VirtioDriver;
  info: DeviceInfo;
}

/** libvirt's default video RAM (KiB) for a QEMU guest, by adapter type. */
export function defaultVideoRam(type: VideoType): number {
  switch (type) {
    case 'vga': case 'cirrus': case 'vmvga': case 'bochs': return 16 * 1024;
    case 'xen': return 4 * 1024;
    case 'qxl': return 64 * 1024;
    default: return 0;
  }
}

export function readVideo(r: ElementReader): Video {
  const m = r.child('model');
  // no model means the hypervisor default, which is cirrus for x86 QEMU guests
  const type = m?.enumAttr('type', VIDEO_TYPES) ?? 'cirrus';
  const v: Video = {
    kind: 'video', type, vram: m?.intAttr('vram') ?? defaultVideoRam(type), ram: m?.intAttr('ram') ?? 0,
    vram64: m?.intAttr('vram64') ?? 0, vgamem: m?.intAttr('vgamem') ?? 0, heads: m?.intAttr('heads') ?? 1,
    primary: m?.boolAttr('primary') ?? false, backend: 'qemu', driver: {}, info: { range: r.range, userAlias: false },
  };
  if (m?.has('ram') && type !== 'qxl') m.fatal('invalid-value', 'ram attribute only supported for video type qxl', 'ram');
  if (m?.has('vram64') && type !== 'qxl') m.fatal('invalid-value', 'vram64 attribute only supported for video type qxl', 'vram64');
  if (m?.has('vgamem') && type !== 'qxl') m.fatal('invalid-value', 'vgamem attribute only supported for video type qxl', 'vgamem');
  if (type === 'qxl' && !v.ram) v.ram = 64 * 1024;
  const acc = m?.child('acceleration');
  if (acc) {
    v.accel3d = acc.boolAttr('accel3d');
    v.accel2d = acc.boolAttr('accel2d');
    v.rendernode = acc.attr('rendernode');
  }
  const res = m?.child('resolution');
  if (res) {
    const x = res.intAttr('x') ?? 0;
    const y = res.intAttr('y') ?? 0;
    if (x <= 0 || y <= 0) res.fatal('invalid-value', 'video resolution values must be greater than 0');
    v.resolution = { x, y };
  }
  const drv = r.child('driver');
  if (drv) {
    const name = drv.enumAttr('name', ['qemu', 'vhostuser'] as const);
    if (name) v.backend = name;
    v.driver = readVirtioDriver(r, drv);
  }
  v.info = readDeviceInfo(r, { boot: false });
  if (type === 'ramfb' && v.info.address) r.fatal('invalid-address', 'address not supported for video type ramfb');
  if (v.backend === 'vhostuser' && type !== 'virtio') r.fatal('invalid-value', `'vhostuser' driver is not supported with '${type}' video type`);
  if (v.rendernode && v.backend !== 'vhostuser') r.fatal('invalid-value', "unsupported rendernode accel attribute without 'vhostuser'");
  return v;
}
