// <filesystem> → virtio-9p (-fsdev local + virtio-9p-pci) or virtiofs (vhost-user socket
// chardev + vhost-user-fs-pci).
import type { Filesystem } from '../model/devices/filesystem.js';
import type { VirtiofsdHelper } from '../plan/plan.js';
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { keyval } from './qemu-opts.js';
import { virtioDriverName, virtioProps } from './virtio.js';

function isVirtiofs(fs: Filesystem): boolean { return fs.driverType === 'virtiofs'; }

/** Guest memory must be shareable for a vhost-user backend to map it. */
function hasSharedMemory(ctx: LowerContext): boolean {
  const d = ctx.domain;
  const mb = d.memoryBacking;
  if (d.cpu?.numa.length) return d.cpu.numa.every((c) => (c.memAccess ?? mb?.access) === 'shared');
  return mb?.access === 'shared';
}

function validate(fs: Filesystem, ctx: LowerContext): void {
  const r = fs.info.range;
  if (fs.info.address && fs.info.address.type !== 'pci') ctx.fail('invalid-address', `a filesystem needs a PCI address (got '${fs.info.address.type}')`, r);
  if (isVirtiofs(fs)) {
    ctx.requireFlag('vhost-user-fs', 'virtiofs', r);
    if (fs.readonly) ctx.fail('invalid-config', 'virtiofs does not yet support read-only mode', r);
    if (fs.accessmode !== 'passthrough') ctx.fail('invalid-config', 'virtiofs only supports passthrough accessmode', r);
    if (fs.wrpolicy) ctx.fail('invalid-config', 'virtiofs does not support wrpolicy', r);
    if (fs.model && fs.model !== 'virtio') ctx.fail('invalid-config', 'virtiofs does not support model', r);
    if (fs.multidevs) ctx.fail('invalid-config', 'virtiofs does not support multidevs', r);
    if (fs.fmode !== undefined || fs.dmode !== undefined) ctx.fail('invalid-config', 'virtiofs does not support fmode and dmode', r);
    if (fs.driverFormat) ctx.fail('invalid-config', 'virtiofs does not support a driver format', r);
    if (!fs.sourceSocket && !fs.sourceDir) ctx.fail('missing-attribute', 'virtiofs needs <source dir> or <source socket>', r);
    if (fs.sourceSocket && fs.binaryRange) ctx.fail('invalid-config', '<binary> configures the virtiofsd libvirt starts; it cannot be combined with <source socket>', fs.binaryRange);
    if (fs.info.bootIndex !== undefined) ctx.requireFlag('vhost-user-fs.bootindex', 'booting from virtiofs', r);
    if (!hasSharedMemory(ctx)) ctx.fail('invalid-config', 'virtiofs requires shared memory (<memoryBacking><access mode=\'shared\'/>)', r);
    return;
  }
  if (fs.driverType && fs.driverType !== 'path') {
    ctx.unsupported(`<filesystem><driver type='${fs.driverType}'>`, r, "QEMU's 9p server only has the 'path' (local) driver");
  }
  if (fs.driverFormat) ctx.unsupported('<filesystem><driver format>', r);
  if (fs.queueSize !== undefined) ctx.fail('invalid-config', 'queue size is only supported for virtiofs', r);
  if (fs.binaryRange) ctx.fail('invalid-config', '<binary> is only used for virtiofs', fs.binaryRange);
  if (!fs.sourceDir) ctx.fail('missing-attribute', '<filesystem> needs <source dir>', r);
  if (fs.sourceSocket) ctx.fail('invalid-config', '<source socket> is only used for virtiofs', r);
  if (fs.info.bootIndex !== undefined) ctx.fail('invalid-config', 'booting from a 9p filesystem is not supported', r);
  if (fs.multidevs && fs.multidevs !== 'default') ctx.requireFlag('fsdev.multidevs', "the filesystem 'multidevs' option", r);
  if ((fs.fmode !== undefined || fs.dmode !== undefined) && fs.accessmode !== 'mapped') {
    ctx.fail('invalid-config', "fmode and dmode are only used with accessmode='mapped'", r);
  }
}

function octal(n: number): string { return n.toString(8).padStart(4, '0'); }

function lower9p(fs: Filesystem, ctx: LowerContext): void {
  const alias = fs.info.alias!;
  const model = { passthrough: 'passthrough', mapped: 'mapped', squash: 'none' }[fs.accessmode];
  ctx.arg('-fsdev', keyval([
    ['security_model', model], ['writeout', fs.wrpolicy],
    ['multidevs', fs.multidevs && fs.multidevs !== 'default' ? fs.multidevs : undefined],
    ['fmode', fs.fmode !== undefined ? octal(fs.fmode) : undefined], ['dmode', fs.dmode !== undefined ? octal(fs.dmode) : undefined],
    ['id', `fsdev-${alias}`], ['path', fs.sourceDir], ['readonly', fs.readonly ? true : undefined],
  ], 'local'));
  const props: Record<string, unknown> = {
    driver: virtioDriverName('virtio-9p-pci', fs.model), ...virtioProps(fs.driver), id: alias, fsdev: `fsdev-${alias}`, mount_tag: fs.target,
  };
  if (fs.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, fs.info.address));
  Object.assign(props, acpiIndexProps(fs.info));
  ctx.device(props);
}

function lowerVirtiofs(fs: Filesystem, ctx: LowerContext): void {
  const alias = fs.info.alias!;
  const chardev = `chr-vu-${alias}`;
  // Without <source socket>, libvirt starts virtiofsd itself on a socket in the domain's private dir.
  const socket = fs.sourceSocket ?? `${ctx.domainDir}/${alias}-fs.sock`;
  if (!fs.sourceSocket) {
    const b = fs.binary ?? {};
    const h: VirtiofsdHelper = { kind: 'virtiofsd', socket, sharedDir: fs.sourceDir!, purpose: `virtiofs share '${fs.target}' (${alias})` };
    if (b.path) h.binary = b.path;
    if (b.xattr !== undefined) h.xattr = b.xattr;
    if (b.cache) h.cache = b.cache;
    if (b.sandbox) h.sandbox = b.sandbox;
    if (b.posixLock !== undefined) h.posixLock = b.posixLock;
    if (b.flock !== undefined) h.flock = b.flock;
    if (b.threadPoolSize !== undefined) h.threadPoolSize = b.threadPoolSize;
    ctx.helpers.push(h);
  }
  ctx.arg('-chardev', keyval([['id', chardev], ['path', socket]], 'socket'));
  const props: Record<string, unknown> = { driver: 'vhost-user-fs-pci', ...virtioProps(fs.driver), id: alias, chardev };
  if (fs.queueSize !== undefined) props['queue-size'] = fs.queueSize;
  props.tag = fs.target;
  if (fs.info.bootIndex !== undefined) props.bootindex = fs.info.bootIndex;
  if (fs.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, fs.info.address));
  Object.assign(props, acpiIndexProps(fs.info));
  ctx.device(props);
}

export const filesystemFamily: Family<'filesystem'> = {
  kind: 'filesystem',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `fs${i}`; }); },
  pciConnect(d) {
    return d.model === 'virtio-transitional' ? 'pci' : 'pcie';
  },
  lower(devs, ctx) {
    for (const fs of devs) {
      validate(fs, ctx);
      if (isVirtiofs(fs)) lowerVirtiofs(fs, ctx); else lower9p(fs, ctx);
    }
  },
};
