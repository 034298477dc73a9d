// <shmem> → ivshmem-plain over a /dev/shm memory-backend-file, or ivshmem-doorbell connected
// to an ivshmem server socket.
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { keyval } from './qemu-opts.js';

/** libvirt's size when none is given: the historical ivshmem default of 4 MiB. */
const DEFAULT_SHMEM_BYTES = 4 * 1024 * 1024;

export const shmemFamily: Family<'shmem'> = {
  kind: 'shmem',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `shmem${i}`; }); },
  pciConnect() { return 'pci'; },
  lower(devs, ctx: LowerContext) {
    for (const s of devs) {
      const r = s.info.range;
      const alias = s.info.alias!;
      if (s.model === 'ivshmem') ctx.fail('missing-capability', "the legacy 'ivshmem' device is not supported by this QEMU binary; use ivshmem-plain or ivshmem-doorbell", r);
      ctx.requireFlag(s.model, `the ${s.model} device`, r);
      if (s.info.address && s.info.address.type !== 'pci') ctx.fail('invalid-address', "only 'pci' addresses are supported for the shared memory device", r);
      if (s.sizeBytes !== undefined) {
        if (s.sizeBytes < 1024 * 1024) ctx.fail('invalid-config', 'shmem size must be at least 1 MiB (1024 KiB)', r);
        if (!Number.isInteger(Math.log2(s.sizeBytes))) ctx.fail('invalid-config', 'shmem size must be a power of two', r);
      }
      if (s.model === 'ivshmem-plain') {
        if (s.server) ctx.fail('invalid-config', "shmem model 'ivshmem-plain' does not support a server; use ivshmem-doorbell", r);
        if (s.msi) ctx.fail('invalid-config', "shmem model 'ivshmem-plain' does not support msi", r);
        const bytes = s.sizeBytes ?? DEFAULT_SHMEM_BYTES;
        ctx.object({ 'qom-type': 'memory-backend-file', id: `shmmem-${alias}`, 'mem-path': `/dev/shm/${s.name}`, size: bytes, share: true });
      } else if (!s.server) {
        ctx.fail('invalid-config', "shmem model 'ivshmem-doorbell' needs a <server>", r);
      }
      // a doorbell device's size comes from the server; libvirt accepts <size> there and ignores it
      const props: Record<string, unknown> = { driver: s.model, id: alias };
      if (s.model === 'ivshmem-plain') props.memdev = `shmmem-${alias}`;
      else props.chardev = `char${alias}`;
      if (s.role) props.master = s.role === 'master' ? 'on' : 'off';
      if (s.msi?.vectors !== undefined) props.vectors = s.msi.vectors;
      if (s.msi?.ioeventfd !== undefined) props.ioeventfd = s.msi.ioeventfd;
      if (s.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, s.info.address));
      Object.assign(props, acpiIndexProps(s.info));
      ctx.device(props);
      if (s.server) ctx.arg('-chardev', keyval([['id', `char${alias}`], ['path', s.server.path ?? `/var/lib/libvirt/shmem-${s.name}-sock`]], 'socket'));
    }
  },
};
