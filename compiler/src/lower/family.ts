// The contract every device-family lowering module fulfils. The orchestrator calls
// `assignAliases` for all families, then assigns PCI addresses using `pciConnect`,
// then `lower` in libvirt's command-line order.
import type { Device, DeviceOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import type { PciConnect } from './pci-address.js';

export interface Family<K extends Device['kind'] = Device['kind']> {
  kind: K;
  /** Give every device of this kind without a user alias libvirt's alias. */
  assignAliases?(devs: DeviceOf<K>[], ctx: LowerContext): void;
  /** How the device attaches to PCI; null when it does not use a PCI slot. */
  pciConnect?(dev: DeviceOf<K>, ctx: LowerContext): PciConnect | null;
  /** Emit the command-line options for all devices of this kind. */
  lower(devs: DeviceOf<K>[], ctx: LowerContext): void;
}

/** Number devices `prefix0`, `prefix1`, … skipping user aliases. */
export function numberAliases(devs: { info: { alias?: string } }[], prefix: string): void {
  let n = 0;
  for (const d of devs) if (!d.info.alias) d.info.alias = `${prefix}${n++}`;
}
