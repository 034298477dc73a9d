// <memory> devices → a memory-backend object plus pc-dimm / nvdimm / virtio-mem-pci /
// virtio-pmem-pci. DIMMs take slots of `-m …,slots=N`; the virtio ones are PCI devices.
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { memoryBackend, memoryDeviceSizeKiB } from './memory.js';
import { pciDeviceProps } from './pci-address.js';
import type { MemoryDevice } from '../model/devices/memory.js';
import type { JsonProps } from './qemu-opts.js';

const ALIAS_PREFIX: Record<MemoryDevice['model'], string> = {
  dimm: 'dimm', nvdimm: 'nvdimm', 'virtio-pmem': 'virtiopmem', 'virtio-mem': 'virtiomem', 'sgx-epc': 'epc',
};

function isDimm(d: MemoryDevice): boolean {
  return d.model === 'dimm' || d.model === 'nvdimm';
}

/** DIMMs without a slot get the lowest free one, as libvirt does when it starts the domain. */
function assignSlots(devs: MemoryDevice[], ctx: LowerContext): void {
  const used = new Set<number>();
  for (const d of devs) {
    if (isDimm(d) && !ctx.domain.maxMemory) ctx.fail('memory-hotplug', `a ${d.model} memory device needs <maxMemory> with slots`, d.info.range);
  }
  const slots = ctx.domain.maxMemory?.slots ?? 0;
  for (const d of devs) {
    const a = d.info.address;
    if (!isDimm(d) || a?.type !== 'dimm' || a.slot === undefined) continue;
    if (a.slot >= slots) ctx.fail('invalid-memory-slot', `memory device slot ${a.slot} is beyond the ${slots} slots <maxMemory> provides`, d.info.range);
    if (used.has(a.slot)) ctx.fail('invalid-memory-slot', `memory device slot ${a.slot} is used twice`, d.info.range);
    used.add(a.slot);
  }
  for (const d of devs) {
    if (!isDimm(d)) continue;
    const a = d.info.address;
    if (a && a.type !== 'dimm') ctx.fail('invalid-address', `a ${d.model} memory device takes a dimm address, not '${a.type}'`, d.info.range);
    if (a?.type === 'dimm' && a.slot !== undefined) continue;
    let slot = 0;
    while (used.has(slot)) slot++;
    if (slot >= slots) ctx.fail('invalid-memory-slot', `no free memory slot left for this ${d.model} (<maxMemory slots='${slots}'>)`, d.info.range);
    used.add(slot);
    d.info.address = { type: 'dimm', slot, ...(a?.type === 'dimm' && a.base !== undefined ? { base: a.base } : {}) };
  }
}

function validate(dev: MemoryDevice, ctx: LowerContext): void {
  const d = ctx.domain;
  const cells = d.cpu?.numa ?? [];
  if (dev.model === 'sgx-epc') ctx.unsupported("<memory model='sgx-epc'>", dev.info.range, 'needs the host SGX capabilities');
  if (dev.node !== undefined && dev.node >= cells.length) ctx.fail('invalid-memory-node', `memory device targets NUMA node ${dev.node}, but the domain has ${cells.length} node(s)`, dev.info.range);
  if ((dev.model === 'nvdimm' || dev.model === 'virtio-pmem') && !dev.path) ctx.fail('missing-element', `a ${dev.model} memory device needs <source><path>`, dev.info.range);
  if (dev.model === 'virtio-mem') {
    if (dev.blockKiB === undefined) ctx.fail('missing-element', 'a virtio-mem device needs <target><block>', dev.info.range);
    if (dev.requestedKiB === undefined) ctx.fail('missing-element', 'a virtio-mem device needs <target><requested>', dev.info.range);
  }
  const flag = { nvdimm: 'nvdimm', 'virtio-pmem': 'virtio-pmem-pci', 'virtio-mem': 'virtio-mem-pci' }[dev.model as string];
  if (flag) ctx.requireFlag(flag, `<memory model='${dev.model}'>`, dev.info.range);
  if (dev.readonly) ctx.requireFlag('nvdimm.unarmed', 'a read-only nvdimm', dev.info.range);
}

export const memoryDeviceFamily: Family<'memory'> = {
  kind: 'memory',
  assignAliases(devs, ctx) {
    assignSlots(devs, ctx);
    const counts = new Map<string, number>();
    for (const d of devs) {
      const prefix = ALIAS_PREFIX[d.model];
      const n = counts.get(prefix) ?? 0;
      counts.set(prefix, n + 1);
      if (d.info.alias) continue;
      // DIMMs are named after their slot; the others are numbered in document order
      const a = d.info.address;
      d.info.alias = `${prefix}${isDimm(d) && a?.type === 'dimm' && a.slot !== undefined ? a.slot : n}`;
    }
  },
  pciConnect(d) {
    return d.model === 'virtio-mem' || d.model === 'virtio-pmem' ? 'pcie' : null;
  },
  lower(devs, ctx) {
    for (const dev of devs) {
      validate(dev, ctx);
      const alias = dev.info.alias!;
      const backend = memoryBackend(ctx, { id: `mem${alias}`, sizeKiB: memoryDeviceSizeKiB(dev), node: dev.node, device: dev, range: dev.info.range });
      if (backend.threadContext) ctx.object(backend.threadContext);
      ctx.object(backend.props);
      const props: JsonProps = { driver: '' };
      switch (dev.model) {
        case 'dimm':
        case 'nvdimm':
          props.driver = dev.model === 'dimm' ? 'pc-dimm' : 'nvdimm';
          if (dev.node !== undefined) props.node = dev.node;
          if (dev.labelKiB !== undefined) props['label-size'] = dev.labelKiB * 1024;
          if (dev.readonly) props.unarmed = true;
          props.memdev = backend.props.id;
          props.id = alias;
          if (dev.info.address?.type === 'dimm') {
            if (dev.info.address.slot !== undefined) props.slot = dev.info.address.slot;
            if (dev.info.address.base !== undefined) props.addr = dev.info.address.base;
          }
          break;
        case 'virtio-pmem':
          props.driver = 'virtio-pmem-pci';
          props.memdev = backend.props.id;
          props.id = alias;
          break;
        case 'virtio-mem':
          props.driver = 'virtio-mem-pci';
          if (dev.node !== undefined) props.node = dev.node;
          props['block-size'] = dev.blockKiB! * 1024;
          props['requested-size'] = dev.requestedKiB! * 1024;
          if (dev.baseAddress !== undefined) props.memaddr = dev.baseAddress;
          props.memdev = backend.props.id;
          if (backend.devicePrealloc) props.prealloc = true;
          props.id = alias;
          break;
        default:
          ctx.unsupported(`<memory model='${dev.model}'>`, dev.info.range);
      }
      if (dev.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, dev.info.address));
      ctx.device(props);
    }
  },
};
