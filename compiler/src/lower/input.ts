// <input> → ps2 devices are built in; usb/virtio inputs become -device.
import type { Input } from '../model/devices/input.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';
import { virtioProps } from './virtio.js';

function virtioDriver(i: Input): string {
  const base = { mouse: 'virtio-mouse', keyboard: 'virtio-keyboard', tablet: 'virtio-tablet', passthrough: 'virtio-input-host', evdev: '' }[i.type];
  return `${base}-pci`;
}

export const inputFamily: Family<'input'> = {
  kind: 'input',
  assignAliases(devs) {
    let n = 0;
    for (const d of devs) if (!d.info.alias) d.info.alias = `input${n++}`;
  },
  pciConnect(d) {
    return d.bus === 'virtio' ? 'pcie' : null;
  },
  lower(devs, ctx: LowerContext) {
    for (const i of devs) {
      // virtio-input devices exist only as modern virtio 1.0 devices
      if (i.model === 'virtio-transitional' || i.model === 'virtio-non-transitional') {
        ctx.fail('unsupported-model', `virtio (non-)transitional models are not supported for input type=${i.type}`, i.info.range);
      }
      if (i.bus === 'ps2') {
        if (i.type === 'tablet') ctx.fail('invalid-input', 'a tablet cannot be on the ps2 bus', i.info.range);
        continue; // the i8042 controller provides both
      }
      if (i.bus === 'usb') {
        const driver = { mouse: 'usb-mouse', keyboard: 'usb-kbd', tablet: 'usb-tablet' }[i.type as 'mouse'];
        if (!driver) ctx.unsupported(`<input type='${i.type}' bus='usb'>`, i.info.range);
        ctx.device({ driver, id: i.info.alias, ...usbDeviceProps(ctx, i.info) });
        continue;
      }
      if (i.bus === 'virtio') {
        const props: Record<string, unknown> = { driver: virtioDriver(i), id: i.info.alias };
        if (i.type === 'passthrough') props.evdev = i.evdev;
        if (i.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, i.info.address));
        Object.assign(props, virtioProps(i.driver));
        ctx.device(props);
        continue;
      }
      if (i.type === 'evdev') {
        const props: Record<string, unknown> = { 'qom-type': 'input-linux', id: i.info.alias, evdev: i.evdev };
        if (i.grab === 'all') props['grab_all'] = true;
        if (i.grabToggle) props['grab-toggle'] = i.grabToggle;
        if (i.repeat !== undefined) props.repeat = i.repeat;
        ctx.object(props);
        continue;
      }
      ctx.unsupported(`<input type='${i.type}' bus='${i.bus}'>`, i.info.range);
    }
  },
};
