// <hostdev> → usb-host, vfio-pci (host PCI function or mediated device) or vhost-scsi-pci.
// Host-side preparation (detaching managed PCI devices, permissions) is the runtime's job; what
// needs host state to even name the device (USB vendor/product lookup, SCSI generic nodes) is
// rejected with a reason.
import type { Hostdev } from '../model/devices/hostdev.js';
import { devicesByKind } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import { acpiIndexProps, deviceRomProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps, type PciConnect } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';
import { virtioDriverName, virtioProps } from './virtio.js';

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
const dec = (n: number): string => String(n).padStart(3, '0');

function pciProps(h: Hostdev, ctx: LowerContext): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (h.info.address?.type === 'pci') Object.assign(p, pciDeviceProps(ctx, h.info.address));
  return Object.assign(p, acpiIndexProps(h.info));
}

function lowerOne(h: Hostdev, ctx: LowerContext): void {
  const r = h.info.range;
  const s = h.source;
  const id = h.info.alias;
  switch (s.type) {
    case 'usb': {
      if (s.bus === undefined || s.device === undefined) {
        ctx.unsupported('a USB host device named by vendor/product', r, "finding it needs the host's USB device list; give <address bus device/>");
      }
      if (h.info.address && h.info.address.type !== 'usb') ctx.fail('invalid-address', `a USB host device needs a USB address (got '${h.info.address.type}')`, r);
      ctx.requireFlag('usb-host.hostdevice', 'USB host devices', r);
      const p: Record<string, unknown> = { driver: 'usb-host', hostdevice: `/dev/bus/usb/${dec(s.bus!)}/${dec(s.device!)}`, id };
      if (s.guestReset === 'off') p['guest-reset'] = false;
      else if (s.guestReset === 'uninitialized') { p['guest-reset'] = true; p['guest-resets-all'] = false; }
      else if (s.guestReset === 'on') { p['guest-reset'] = true; p['guest-resets-all'] = true; }
      if (s.guestReset === 'uninitialized' || s.guestReset === 'on') ctx.requireFlag('usb-host.guest-resets-all', "guestReset='" + s.guestReset + "'", r);
      if (h.info.bootIndex !== undefined) p.bootindex = h.info.bootIndex;
      Object.assign(p, usbDeviceProps(ctx, h.info));
      ctx.device(p);
      return;
    }
    case 'pci': {
      if (s.driverName && s.driverName !== 'vfio') ctx.unsupported(`<hostdev><driver name='${s.driverName}'>`, r, 'only VFIO assignment is supported');
      ctx.requireFlag('vfio-pci', 'VFIO PCI device assignment', r);
      const p: Record<string, unknown> = { driver: 'vfio-pci', host: `${hex(s.domain, 4)}:${hex(s.bus, 2)}:${hex(s.slot, 2)}.${s.function}`, id };
      if (h.info.bootIndex !== undefined) p.bootindex = h.info.bootIndex;
      ctx.device(Object.assign(p, pciProps(h, ctx), deviceRomProps(h.info)));
      return;
    }
    case 'mdev': {
      if (s.model !== 'vfio-pci') ctx.unsupported(`<hostdev type='mdev' model='${s.model}'>`, r, 's390 only');
      if (s.display) {
        ctx.requireFlag('vfio-pci.display', "mediated device display='on'", r);
        if (!devicesByKind(ctx.domain.devices, 'graphics').length) ctx.fail('invalid-config', "a graphics device is needed for attribute value 'display=on' in <hostdev>", r);
      }
      if (s.ramfb && !s.display) ctx.fail('invalid-config', "ramfb needs display='on'", r);
      const p: Record<string, unknown> = { driver: 'vfio-pci', id, sysfsdev: `/sys/bus/mdev/devices/${s.uuid}` };
      if (s.display !== undefined) p.display = s.display ? 'on' : 'off';
      if (s.ramfb !== undefined) p.ramfb = s.ramfb;
      if (h.info.bootIndex !== undefined) p.bootindex = h.info.bootIndex;
      ctx.device(Object.assign(p, pciProps(h, ctx)));
      return;
    }
    case 'scsi_host': {
      if (s.protocol !== 'vhost') ctx.fail('invalid-value', `SCSI host devices are reached over vhost (got protocol '${s.protocol}')`, r);
      ctx.requireFlag('vhost-scsi', 'vhost-scsi host devices', r);
      if (h.info.bootIndex !== undefined) ctx.fail('invalid-config', 'booting from assigned devices is not supported by vhost SCSI devices', r);
      const fd = ctx.passFd({ kind: 'vhost-scsi', path: '/dev/vhost-scsi' });
      const p: Record<string, unknown> = { driver: virtioDriverName('vhost-scsi-pci', s.model), ...virtioProps(h.driver), wwpn: s.wwpn, vhostfd: String(fd), id };
      ctx.device(Object.assign(p, pciProps(h, ctx)));
      return;
    }
    case 'scsi':
      ctx.unsupported(`<hostdev type='scsi'>`, r, s.protocol === 'iscsi' ? 'iSCSI host devices are not supported by qdc' : "host SCSI passthrough needs the host's /dev/sg device lookup");
  }
}

export const hostdevFamily: Family<'hostdev'> = {
  kind: 'hostdev',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `hostdev${i}`; }); },
  pciConnect(d): PciConnect | null {
    const s = d.source;
    if (s.type === 'pci' || s.type === 'mdev' && s.model === 'vfio-pci') return 'pcie';
    if (s.type === 'scsi_host') return s.model === 'virtio-transitional' ? 'pci' : 'pcie';
    return null;
  },
  lower(devs, ctx: LowerContext) {
    for (const h of devs) {
      const a = h.info.address;
      if (!a) continue;
      const pciBacked = hostdevFamily.pciConnect!(h, ctx) !== null;
      if (a.type === 'unassigned' && h.source.type !== 'pci') ctx.fail('invalid-address', "only PCI host devices can have an 'unassigned' address", h.info.range);
      else if (pciBacked && a.type !== 'pci' && a.type !== 'unassigned') ctx.fail('invalid-address', `this host device needs a PCI address (got '${a.type}')`, h.info.range);
    }
    const ramfbs = devs.filter((d) => d.source.type === 'mdev' && d.source.ramfb);
    if (ramfbs.length > 1) ctx.fail('invalid-config', "only one vgpu device can have 'ramfb' enabled", ramfbs[1]!.info.range);
    const seen = new Set<string>();
    for (const h of devs) {
      const s = h.source;
      const key = s.type === 'pci' ? `pci ${s.domain}:${s.bus}:${s.slot}.${s.function}` : s.type === 'usb' ? `usb ${s.bus}/${s.device}/${s.vendor}/${s.product}` : s.type === 'mdev' ? `mdev ${s.uuid}` : undefined;
      if (key && seen.has(key)) ctx.fail('invalid-config', 'the same host device is assigned twice', h.info.range);
      if (key) seen.add(key);
    }
    // an 'unassigned' PCI host device is prepared on the host but not given to the guest
    for (const h of devs) if (h.info.address?.type !== 'unassigned') lowerOne(h, ctx);
  },
};
