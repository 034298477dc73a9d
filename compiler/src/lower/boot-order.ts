// <os><boot dev=…> → per-device boot indexes, as libvirt 9.0 does with a QEMU that has
// bootindex: each listed class gets its position in the list (a class listed twice keeps
// its last position) and the index goes to the first device of that class only — the
// first hard disk (device disk or lun), CD-ROM, floppy, and the first <interface>.
import { devicesByKind, devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';

export function prepareBootOrder(ctx: LowerContext): void {
  const d = ctx.domain;
  const menu = d.os.bootMenu;
  if (menu?.timeout !== undefined && (menu.timeout < 0 || menu.timeout > 65535)) {
    ctx.fail('invalid-value', 'the boot menu timeout must be in the range 0-65535 (milliseconds)', d.os.range);
  }
  if (d.os.rebootTimeout !== undefined && (d.os.rebootTimeout < -1 || d.os.rebootTimeout > 65535)) {
    ctx.fail('invalid-value', 'the BIOS rebootTimeout must be in the range -1-65535 (milliseconds)', d.os.range);
  }
  const perDevice = d.devices.find((dev) => dev.info.bootIndex !== undefined);
  if (d.os.boot.length && perDevice) {
    ctx.fail('boot-order-conflict', 'per-device <boot order> cannot be combined with <os><boot dev>', perDevice.info.range);
  }
  if (perDevice) {
    const seen = new Map<number, typeof perDevice>();
    for (const dev of d.devices) {
      const n = dev.info.bootIndex;
      if (n === undefined) continue;
      if (n < 1) ctx.fail('invalid-boot-order', 'boot order must be a positive number', dev.info.range);
      if (seen.has(n)) ctx.fail('boot-order-conflict', `boot order ${n} is used by more than one device`, dev.info.range);
      seen.set(n, dev);
    }
    return;
  }
  // A domain without any boot information boots from its first hard disk.
  const boot = d.os.boot.length ? d.os.boot.map((b) => b.dev) : ['hd'];
  const pos: Record<string, number> = {};
  boot.forEach((dev, i) => { pos[dev] = i + 1; });
  const take = (cls: string): number | undefined => {
    const n = pos[cls];
    delete pos[cls];
    return n;
  };
  for (const disk of devicesOf(d.devices, 'disk')) {
    const cls = disk.device === 'cdrom' ? 'cdrom' : disk.device === 'floppy' ? 'fd' : 'hd';
    const n = take(cls);
    if (n !== undefined) disk.info.bootIndex = n;
  }
  const net = devicesByKind(d.devices, 'interface')[0];
  const n = take('network');
  if (net && n !== undefined) net.info.bootIndex = n;
}
