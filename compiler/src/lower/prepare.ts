// Before any option is written: implicit devices, aliases and PCI addresses, as libvirt
// settles them when it prepares a domain for start.
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import { prepareBootOrder } from './boot-order.js';
import { prepareChardevs } from './chardev.js';
import { prepareControllers } from './controller.js';
import { prepareDisks } from './disk.js';
import type { Family } from './family.js';
import { assignPciAddresses } from './pci-address.js';
import { assignUsbAddresses } from './usb-address.js';
import { addImplicitAudio } from './audio.js';
import { addImplicitVideo } from './video.js';
import { selectFirmware } from './firmware.js';

export function prepareDomain(ctx: LowerContext, families: Map<string, Family>): void {
  selectFirmware(ctx);
  prepareDisks(ctx);
  prepareBootOrder(ctx);
  prepareControllers(ctx);
  addDefaultBalloon(ctx);
  prepareChardevs(ctx);
  addImplicitVideo(ctx);
  addImplicitAudio(ctx);
  for (const fam of families.values()) {
    fam.assignAliases?.(devicesOf(ctx.domain.devices, fam.kind) as never, ctx);
  }
  assignPciAddresses(ctx, families);
  assignUsbAddresses(ctx);
}

function addDefaultBalloon(ctx: LowerContext): void {
  const d = ctx.domain;
  if (!devicesOf(d.devices, 'memballoon').length) {
    d.devices.push({ kind: 'memballoon', model: 'virtio', driver: {}, info: { range: d.range, userAlias: false } });
  }
}

