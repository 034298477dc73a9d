// <rng> → a backend -object (rng-random / rng-egd with its chardev / rng-builtin) + virtio-rng-pci.
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { lowerChardev, validateChrSource } from './chardev.js';
import { pciDeviceProps } from './pci-address.js';
import { virtioDriverName, virtioProps } from './virtio.js';

/** libvirt's QEMU driver reads /dev/random when the random backend names no file. */
const DEFAULT_RNG_FILE = '/dev/random';

export const rngFamily: Family<'rng'> = {
  kind: 'rng',
  assignAliases(devs) {
    let n = 0;
    for (const d of devs) if (!d.info.alias) d.info.alias = `rng${n++}`;
  },
  pciConnect(d) { return d.model === 'virtio-transitional' ? 'pci' : 'pcie'; },
  lower(devs, ctx: LowerContext) {
    for (const rng of devs) {
      const alias = rng.info.alias!;
      const r = rng.info.range;
      if (rng.info.address && rng.info.address.type !== 'pci') ctx.fail('invalid-address', `an RNG device needs a PCI address (got '${rng.info.address.type}')`, r);
      ctx.requireFlag('virtio-rng', 'the virtio RNG device', r);
      const b = rng.backend;
      if (b.model === 'random') {
        ctx.requireFlag('rng-random', "the 'random' RNG backend", r);
        ctx.object({ 'qom-type': 'rng-random', id: `obj${alias}`, filename: b.file ?? DEFAULT_RNG_FILE });
      } else if (b.model === 'egd') {
        ctx.requireFlag('rng-egd', "the 'egd' RNG backend", r);
        validateChrSource(ctx, b.chardev);
        lowerChardev(ctx, b.chardev, alias);
        ctx.object({ 'qom-type': 'rng-egd', id: `obj${alias}`, chardev: `char${alias}` });
      } else {
        ctx.requireFlag('rng-builtin', "the 'builtin' RNG backend", r);
        ctx.object({ 'qom-type': 'rng-builtin', id: `obj${alias}` });
      }
      const props: Record<string, unknown> = { driver: virtioDriverName('virtio-rng-pci', rng.model), ...virtioProps(rng.driver), rng: `obj${alias}`, id: alias };
      if (rng.rate) {
        props['max-bytes'] = rng.rate.bytes;
        // QEMU needs a period with max-bytes; libvirt defaults it to one second
        props.period = rng.rate.period ?? 1000;
      }
      if (rng.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, rng.info.address));
      Object.assign(props, acpiIndexProps(rng.info));
      ctx.device(props);
    }
  },
};
