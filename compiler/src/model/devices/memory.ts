// <memory model='dimm|nvdimm|virtio-pmem|virtio-mem|sgx-epc'>: memory devices plugged
// next to the guest's initial RAM.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readScaled } from '../build.js';

export type MemoryModel = 'dimm' | 'nvdimm' | 'virtio-pmem' | 'virtio-mem' | 'sgx-epc';

export interface MemoryDevice {
  kind: 'memory';
  model: MemoryModel;
  access?: 'shared' | 'private';
  discard?: boolean;
  /** <source>: host side. */
  sourceNodes?: string;
  pagesizeKiB?: number;
  path?: string;
  alignKiB?: number;
  pmem?: boolean;
  /** <target>: guest side. */
  sizeKiB: number;
  node?: number;
  labelKiB?: number;
  readonly?: boolean;
  blockKiB?: number;
  requestedKiB?: number;
  /** virtio-mem: guest physical address of the device's memory region. */
  baseAddress?: number;
  info: DeviceInfo;
}

export function readMemoryDevice(r: ElementReader): MemoryDevice {
  const model = r.enumAttr('model', ['dimm', 'nvdimm', 'virtio-pmem', 'virtio-mem', 'sgx-epc'] as const);
  if (!model) r.fatal('missing-attribute', "<memory> needs a model (dimm, nvdimm, virtio-pmem, virtio-mem or sgx-epc)");
  const dev: MemoryDevice = {
    kind: 'memory', model: model!, access: r.enumAttr('access', ['shared', 'private'] as const), discard: r.boolAttr('discard'),
    sizeKiB: 0, info: readDeviceInfo(r, { boot: false }),
  };
  const src = r.child('source');
  if (src) {
    const nm = src.child('nodemask');
    if (nm) dev.sourceNodes = nm.text();
    const ps = src.child('pagesize');
    if (ps) dev.pagesizeKiB = readScaled(ps);
    const path = src.child('path');
    if (path) dev.path = path.text();
    const align = src.child('alignsize');
    if (align) dev.alignKiB = readScaled(align);
    if (src.child('pmem')) dev.pmem = true;
  }
  const tgt = r.child('target');
  if (!tgt) r.fatal('missing-element', '<memory> needs a <target> with its <size>');
  const size = tgt!.child('size');
  if (!size) tgt!.fatal('missing-element', '<memory><target> needs a <size>');
  dev.sizeKiB = readScaled(size!);
  const node = tgt!.child('node');
  if (node) {
    const t = node.text();
    if (!/^[0-9]+$/.test(t)) node.fatal('invalid-number', `<node> must be a NUMA node number (got '${t}')`);
    dev.node = Number(t);
  }
  const label = tgt!.child('label');
  if (label) {
    const ls = label.child('size');
    if (!ls) label.fatal('missing-element', '<label> needs a <size>');
    dev.labelKiB = readScaled(ls!);
  }
  if (tgt!.child('readonly')) dev.readonly = true;
  const block = tgt!.child('block');
  if (block) dev.blockKiB = readScaled(block);
  const req = tgt!.child('requested');
  if (req) dev.requestedKiB = readScaled(req);
  tgt!.child('current')?.acceptSubtree(); // live-only status written back by libvirt
  const addr = tgt!.child('address');
  if (addr) dev.baseAddress = addr.intAttr('base');
  return dev;
}
