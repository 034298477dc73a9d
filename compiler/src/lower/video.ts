// <video> → -device per adapter. The primary adapter uses the VGA-compatible model (qxl-vga,
// virtio-vga, …); secondary ones the plain model (qxl, virtio-gpu-pci). libvirt adds a
// cirrus adapter when the domain has graphics but no <video>.
import type { Video } from '../model/devices/video.js';
import { defaultVideoRam } from '../model/devices/video.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { virtioProps } from './virtio.js';

/** libvirt's default vgamem for qxl, in KiB. */
const QXL_VGAMEM_DEFAULT = 16 * 1024;

/** The implicit adapter for a domain with graphics, and the primary adapter moved to the front. */
export function addImplicitVideo(ctx: LowerContext): void {
  const d = ctx.domain;
  const videos = devicesOf(d.devices, 'video');
  if (!videos.length) {
    if (devicesOf(d.devices, 'graphics').length) {
      d.devices.push({
        kind: 'video', type: 'cirrus', vram: defaultVideoRam('cirrus'), ram: 0, vram64: 0, vgamem: 0, heads: 1, primary: true,
        backend: 'qemu', driver: {}, info: { range: d.range, userAlias: false },
      });
    }
    return;
  }
  const primaries = videos.filter((v) => v.primary);
  if (primaries.length > 1) ctx.fail('invalid-video', 'Only one primary video device is supported', primaries[1]!.info.range);
  if (videos.some((v) => v.type === 'none') && videos.length > 1) {
    ctx.fail('invalid-video', "a 'none' video type must be the only video device defined for the domain", videos.find((v) => v.type === 'none')!.info.range);
  }
  const primary = primaries[0];
  if (primary && primary !== videos[0]) {
    // the primary adapter takes the place of the first one; the others keep their order
    const list = d.devices;
    list.splice(list.indexOf(primary), 1);
    list.splice(list.indexOf(videos[0]!), 0, primary);
  }
  const first = devicesOf(d.devices, 'video')[0]!;
  if (first.type !== 'none') first.primary = true;
}

/** Can the primary adapter use the model with VGA compatibility? */
function supportsVga(ctx: LowerContext, v: Video): boolean {
  if (v.type === 'virtio') return v.backend === 'vhostuser' ? ctx.has('vhost-user-vga') : ctx.has('virtio-vga');
  return true;
}

function deviceModel(ctx: LowerContext, v: Video): { model: string; pciSuffix: boolean } | undefined {
  const gl = v.accel3d === true;
  if (v.primary && supportsVga(ctx, v)) {
    switch (v.type) {
      case 'vga': return { model: 'VGA', pciSuffix: false };
      case 'cirrus': return { model: 'cirrus-vga', pciSuffix: false };
      case 'vmvga': return { model: 'vmware-svga', pciSuffix: false };
      case 'qxl': return { model: 'qxl-vga', pciSuffix: false };
      case 'virtio': return { model: gl && ctx.has('virtio-vga-gl') ? 'virtio-vga-gl' : 'virtio-vga', pciSuffix: false };
      case 'bochs': return { model: 'bochs-display', pciSuffix: false };
      case 'ramfb': return { model: 'ramfb', pciSuffix: false };
      default: return undefined;
    }
  }
  if (v.type === 'qxl') return { model: 'qxl', pciSuffix: false };
  if (v.type === 'virtio') return { model: gl && ctx.has('virtio-gpu-gl-pci') ? 'virtio-gpu-gl-pci' : 'virtio-gpu-pci', pciSuffix: true };
  return undefined;
}

function validate(ctx: LowerContext, v: Video): void {
  const r = v.info.range;
  if (v.backend === 'vhostuser') {
    ctx.unsupported("<video> with <driver name='vhostuser'>", r, 'needs a vhost-user-gpu backend process and its descriptor from the host');
  }
  if (v.type === 'xen' || v.type === 'vbox' || v.type === 'parallels' || v.type === 'gop') {
    ctx.fail('invalid-video', `video type '${v.type}' is not supported with QEMU`, r);
  }
  if (!v.primary && v.type !== 'qxl' && v.type !== 'virtio') {
    ctx.fail('invalid-video', `video type '${v.type}' is only valid as primary video device`, r);
  }
  if (v.accel2d === true) ctx.fail('invalid-video', 'qemu does not support the accel2d setting', r);
  if (v.accel3d === true && (v.type !== 'virtio' || !(ctx.has('virtio-gpu-gl-pci') || ctx.has('virtio-vga-gl')))) {
    ctx.fail('invalid-video', `${v.type} 3d acceleration is not supported`, r);
  }
  const max = Math.floor(0xffffffff / 1024);
  if (v.type === 'qxl') {
    if (v.vram > max) ctx.fail('invalid-video', `value for 'vram' must be less than '${max}'`, r);
    if (v.ram > max) ctx.fail('invalid-video', `value for 'ram' must be less than '${max}'`, r);
    if (v.vram64 > max) ctx.fail('invalid-video', `value for 'vram64' must be less than '${max}'`, r);
    if (v.vgamem) {
      if (v.vgamem < 1024) ctx.fail('invalid-video', "value for 'vgamem' must be at least 1 MiB (1024 KiB)", r);
      if ((v.vgamem & (v.vgamem - 1)) !== 0) ctx.fail('invalid-video', "value for 'vgamem' must be power of two", r);
    }
  }
  if ((v.type === 'vga' || v.type === 'vmvga') && v.vram && v.vram < 1024) {
    ctx.fail('invalid-video', "value for 'vram' must be at least 1 MiB (1024 KiB)", r);
  }
}

export const videoFamily: Family<'video'> = {
  kind: 'video',
  assignAliases(devs) {
    let n = 0;
    for (const v of devs) {
      if (!v.info.alias) v.info.alias = `video${n}`;
      n++;
    }
  },
  pciConnect(v) {
    switch (v.type) {
      case 'virtio': return 'pcie';
      case 'ramfb': case 'none': return null;
      default: return 'pci';
    }
  },
  lower(devs, ctx: LowerContext) {
    for (const v of devs) {
      if (v.type === 'none') continue;
      validate(ctx, v);
      const m = deviceModel(ctx, v);
      if (!m) ctx.fail('invalid-video', `invalid model for video type '${v.type}'`, v.info.range);
      const props: Record<string, unknown> = { driver: m!.model, id: v.info.alias };
      if (v.type === 'virtio') Object.assign(props, virtioProps(v.driver));
      if (v.type === 'qxl' || v.type === 'virtio') props.max_outputs = v.heads || undefined;
      if (v.type === 'qxl') {
        const vgamem = v.vgamem || QXL_VGAMEM_DEFAULT;
        // QEMU takes bytes for ram/vram but MiB for vram64 and vgamem
        Object.assign(props, {
          ram_size: v.ram ? v.ram * 1024 : undefined, vram_size: v.vram ? v.vram * 1024 : undefined,
          vram64_size_mb: Math.floor(v.vram64 / 1024), vgamem_mb: Math.floor(vgamem / 1024) || undefined,
        });
      } else if (v.type === 'vga' && ctx.has('VGA.vgamem_mb') || v.type === 'vmvga' && ctx.has('vmware-svga.vgamem_mb')) {
        if (v.vram) props.vgamem_mb = Math.floor(v.vram / 1024) || undefined;
      } else if (v.type === 'bochs') {
        if (v.vram) props.vgamem = v.vram * 1024;
      }
      if (v.resolution) Object.assign(props, { xres: v.resolution.x, yres: v.resolution.y });
      if (v.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, v.info.address));
      Object.assign(props, acpiIndexProps(v.info));
      ctx.device(props);
    }
  },
};
