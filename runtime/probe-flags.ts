// Which libvirt capability flag each probe finding stands for. A rule names the evidence:
//   type:T          QOM type T exists (qom-list-types)
//   prop:T.P        device or object type T has property P
//   cmd:C / event:E QMP command / event exists
//   opt:O[.P]       command-line option O (with parameter P) exists
//   schema:PATH     QMP schema query (see schemaHas)
//   mprop:P         the PC machine types have property P
//   cpu:NAME        CPU model NAME is defined
//   accel:A         accelerator A is usable
//   arch:A|B        the target architecture is one of these
//   version:N       QEMU version ≥ N (only where nothing observable marks the feature)
//   default:T.P=V   property P of device T defaults to V
// Several rules separated by ` & ` must all hold.
import { capabilityNames } from '../compiler/src/caps/capability-names.js';

export const FLAG_RULES: readonly [flag: string, rule: string][] = [
  ['kvm', 'accel:kvm'],
  ['sdl', 'schema:query-display-options/ret-type/type/^sdl'],
  ['spice', 'cmd:query-spice'],
  ['hda-duplex', 'type:hda-duplex'],
  ['ccid-emulated', 'type:ccid-card-emulated'],
  ['ccid-passthru', 'type:ccid-card-passthru'],
  ['piix3-usb-uhci', 'type:piix3-usb-uhci'],
  ['piix4-usb-uhci', 'type:piix4-usb-uhci'],
  ['usb-ehci', 'type:usb-ehci'],
  ['ich9-usb-ehci1', 'type:ich9-usb-ehci1'],
  ['pci-ohci', 'type:pci-ohci'],
  ['usb-redir', 'type:usb-redir'],
  ['usb-hub', 'type:usb-hub'],
  ['ich9-ahci', 'type:ich9-ahci'],
  ['no-acpi', 'arch:x86_64|i686|aarch64'],
  ['virtio-blk-pci.scsi', 'prop:virtio-blk-pci.scsi'],
  ['scsi-disk.channel', 'prop:scsi-hd.channel'],
  ['scsi-block', 'type:scsi-block'],
  ['hda-micro', 'type:hda-micro'],
  ['nec-usb-xhci', 'type:nec-usb-xhci'],
  ['lsi', 'type:lsi53c895a'],
  ['virtio-scsi-pci', 'type:virtio-scsi-pci'],
  ['disable-s3', 'prop:PIIX4_PM.disable_s3'],
  ['disable-s4', 'prop:PIIX4_PM.disable_s4'],
  ['usb-redir.filter', 'prop:usb-redir.filter'],
  ['ide-drive.wwn', 'prop:ide-hd.wwn'],
  ['scsi-disk.wwn', 'prop:scsi-hd.wwn'],
  ['seccomp-sandbox', 'opt:sandbox'],
  ['vnc', 'cmd:query-vnc'],
  ['qxl', 'type:qxl'],
  ['VGA', 'type:VGA'],
  ['cirrus-vga', 'type:cirrus-vga'],
  ['vmware-svga', 'type:vmware-svga'],
  ['usb-serial', 'type:usb-serial'],
  ['virtio-rng', 'type:virtio-rng-pci'],
  ['rng-random', 'type:rng-random'],
  ['rng-egd', 'type:rng-egd'],
  ['megasas', 'type:megasas'],
  ['tpm-passthrough', 'type:tpm-passthrough'],
  ['tpm-tis', 'type:tpm-tis'],
  ['pci-bridge', 'type:pci-bridge'],
  ['vfio-pci', 'type:vfio-pci'],
  ['dmi-to-pci-bridge', 'type:i82801b11-bridge'],
  ['usb-storage', 'type:usb-storage'],
  ['usb-storage.removable', 'prop:usb-storage.removable'],
  ['virtio-mmio', 'type:virtio-mmio'],
  ['ich9-intel-hda', 'type:ich9-intel-hda'],
  ['kvm-pit-lost-tick-policy', 'prop:kvm-pit.lost_tick_policy'],
  ['pvpanic', 'type:pvpanic'],
  ['usb-kbd', 'type:usb-kbd'],
  ['usb-audio', 'type:usb-audio'],
  ['rtc-reset-reinjection', 'cmd:rtc-reset-reinjection'],
  ['iothread', 'type:iothread'],
  ['migrate-rdma', 'schema:migrate-set-capabilities/arg-type/capabilities/capability/^rdma-pin-all'],
  ['VGA.vgamem_mb', 'prop:VGA.vgamem_mb'],
  ['vmware-svga.vgamem_mb', 'prop:vmware-svga.vgamem_mb'],
  ['qxl.vgamem_mb', 'prop:qxl.vgamem_mb'],
  ['pc-dimm', 'type:pc-dimm'],
  ['machine-vmport-opt', 'mprop:vmport'],
  ['pci-serial', 'type:pci-serial'],
  ['gpex-pcihost', 'type:gpex-pcihost'],
  ['ioh3420', 'type:ioh3420'],
  ['x3130-upstream', 'type:x3130-upstream'],
  ['xio3130-downstream', 'type:xio3130-downstream'],
  ['rtl8139', 'type:rtl8139'],
  ['e1000', 'type:e1000'],
  ['virtio-net', 'type:virtio-net-pci'],
  ['virtio-gpu', 'type:virtio-gpu-pci'],
  ['virtio-keyboard', 'type:virtio-keyboard-pci'],
  ['virtio-mouse', 'type:virtio-mouse-pci'],
  ['virtio-tablet', 'type:virtio-tablet-pci'],
  ['virtio-input-host', 'type:virtio-input-host-pci'],
  ['ich9-disable-s3', 'prop:ICH9-LPC.disable_s3'],
  ['ich9-disable-s4', 'prop:ICH9-LPC.disable_s4'],
  ['virtio-balloon-pci.deflate-on-oom', 'prop:virtio-balloon-pci.deflate-on-oom'],
  ['mptsas1068', 'type:mptsas1068'],
  ['spice-gl', 'opt:spice.gl'],
  ['qxl.vram64_size_mb', 'prop:qxl.vram64_size_mb'],
  ['pxb', 'type:pxb'],
  ['pxb-pcie', 'type:pxb-pcie'],
  ['intel-iommu', 'type:intel-iommu'],
  ['query-hotpluggable-cpus', 'cmd:query-hotpluggable-cpus'],
  ['virtio-vga', 'type:virtio-vga'],
  ['ivshmem-plain', 'type:ivshmem-plain'],
  ['ivshmem-doorbell', 'type:ivshmem-doorbell'],
  ['vhost-scsi', 'type:vhost-scsi'],
  ['query-cpu-model-expansion', 'cmd:query-cpu-model-expansion'],
  ['spice-rendernode', 'opt:spice.rendernode'],
  ['nvdimm', 'type:nvdimm'],
  ['pcie-root-port', 'type:pcie-root-port'],
  ['query-cpu-definitions', 'cmd:query-cpu-definitions'],
  ['cpu-cache', 'prop:max-x86_64-cpu.host-cache-info'],
  ['qemu-xhci', 'type:qemu-xhci'],
  ['intel-iommu.intremap', 'prop:intel-iommu.intremap'],
  ['intel-iommu.caching-mode', 'prop:intel-iommu.caching-mode'],
  ['intel-iommu.eim', 'prop:intel-iommu.eim'],
  ['intel-iommu.device-iotlb', 'prop:intel-iommu.device-iotlb'],
  ['chardev-reconnect', 'opt:chardev.reconnect'],
  ['vmcoreinfo', 'type:vmcoreinfo'],
  ['isa-serial', 'type:isa-serial'],
  ['pcie-pci-bridge', 'type:pcie-pci-bridge'],
  ['nbd-tls', 'schema:blockdev-add/arg-type/+nbd/tls-creds'],
  ['tpm-crb', 'type:tpm-crb'],
  ['pr-manager-helper', 'type:pr-manager-helper'],
  ['screendump_device', 'schema:screendump/arg-type/device'],
  ['hda-output', 'type:hda-output'],
  ['vmgenid', 'type:vmgenid'],
  ['vhost-vsock', 'type:vhost-vsock-device'],
  ['tpm-emulator', 'type:tpm-emulator'],
  ['mch', 'type:mch'],
  ['mch.extended-tseg-mbytes', 'prop:mch.extended-tseg-mbytes'],
  ['egl-headless', 'schema:query-display-options/ret-type/type/^egl-headless'],
  ['vfio-pci.display', 'prop:vfio-pci.display'],
  ['memory-backend-memfd', 'type:memory-backend-memfd'],
  ['memory-backend-memfd.hugetlb', 'prop:memory-backend-memfd.hugetlb'],
  ['iothread.poll-max-ns', 'prop:iothread.poll-max-ns'],
  ['egl-headless.rendernode', 'schema:query-display-options/ret-type/+egl-headless/rendernode'],
  ['memory-backend-file.pmem', 'prop:memory-backend-file.pmem'],
  ['nvdimm.unarmed', 'prop:nvdimm.unarmed'],
  ['virtio-pci-non-transitional', 'type:virtio-blk-pci-non-transitional'],
  ['nbd-bitmap', 'schema:block-export-add/arg-type/+nbd/bitmaps'],
  ['x86-max-cpu', 'type:max-x86_64-cpu'],
  ['cpu-unavailable-features', 'prop:max-x86_64-cpu.unavailable-features'],
  ['canonical-cpu-features', 'prop:max-x86_64-cpu.lahf-lm'],
  ['bochs-display', 'type:bochs-display'],
  ['migration-file-drop-cache', 'version:4000000'],
  ['dbus-vmstate', 'type:dbus-vmstate'],
  ['vhost-user-gpu', 'type:vhost-user-gpu'],
  ['vhost-user-vga', 'type:vhost-user-vga'],
  ['incremental-backup', 'cmd:block-dirty-bitmap-merge & schema:blockdev-backup/arg-type/sync/^incremental'],
  ['ramfb', 'type:ramfb'],
  ['drive-nvme', 'schema:blockdev-add/arg-type/+nvme'],
  ['smp-dies', 'opt:smp-opts.dies'],
  ['i8042', 'type:i8042'],
  ['rng-builtin', 'type:rng-builtin'],
  ['vhost-user-fs', 'type:vhost-user-fs-device'],
  ['query-named-block-nodes.flat', 'schema:query-named-block-nodes/arg-type/flat'],
  ['blockdev-snapshot.allow-write-only-overlay', 'schema:blockdev-snapshot/$allow-write-only-overlay'],
  ['blockdev-reopen', 'cmd:blockdev-reopen'],
  ['fsdev.multidevs', 'opt:fsdev.multidevs'],
  ['pcie-root-port.hotplug', 'prop:pcie-root-port.hotplug'],
  ['aio.io_uring', 'schema:blockdev-add/arg-type/+file/aio/^io_uring'],
  ['tcg', 'accel:tcg'],
  ['virtio-blk-pci.scsi.default.disabled', 'default:virtio-blk-pci.scsi=false'],
  ['pvscsi', 'type:pvscsi'],
  ['cpu.migratable', 'prop:max-x86_64-cpu.migratable'],
  ['intel-iommu.aw-bits', 'prop:intel-iommu.aw-bits'],
  ['numa.hmat', 'schema:set-numa-node/arg-type/type/^hmat-lb'],
  ['usb-host.hostdevice', 'prop:usb-host.hostdevice'],
  ['virtio-balloon.free-page-reporting', 'prop:virtio-balloon-pci.free-page-reporting'],
  ['block-export-add', 'cmd:block-export-add'],
  ['netdev.vhost-vdpa', 'schema:netdev_add/arg-type/type/^vhost-vdpa'],
  ['dc390', 'type:dc390'],
  ['am53c974', 'type:am53c974'],
  ['virtio-pmem-pci', 'type:virtio-pmem-pci'],
  ['vhost-user-fs.bootindex', 'prop:vhost-user-fs-pci.bootindex'],
  ['vhost-user-blk', 'type:vhost-user-blk'],
  ['cpu-max', 'cpu:max'],
  ['memory-backend-file.x-use-canonical-path-for-ramblock-id', 'prop:memory-backend-file.x-use-canonical-path-for-ramblock-id'],
  ['migration-param.block-bitmap-mapping', 'schema:migrate-set-parameters/arg-type/block-bitmap-mapping'],
  ['vnc-power-control', 'opt:vnc.power-control'],
  ['object.qapified', 'schema:object-add/arg-type/+secret/file'],
  ['rotation-rate', 'prop:scsi-hd.rotation_rate'],
  ['compat-deprecated', 'version:6000000'],
  ['acpi-index', 'prop:virtio-net-pci.acpi-index'],
  ['input-linux', 'type:input-linux'],
  ['virtio-gpu-gl-pci', 'type:virtio-gpu-gl-pci'],
  ['virtio-vga-gl', 'type:virtio-vga-gl'],
  ['confidential-guest-support', 'mprop:confidential-guest-support'],
  ['set-action', 'cmd:set-action'],
  ['virtio-blk.queue-size', 'prop:virtio-blk-pci.queue-size'],
  ['virtio-mem-pci', 'type:virtio-mem-pci'],
  ['memory-backend-file.reserve', 'prop:memory-backend-file.reserve'],
  ['piix4.acpi-root-pci-hotplug', 'prop:PIIX4_PM.acpi-root-pci-hotplug'],
  ['netdev.json', 'schema:netdev_add/arg-type/+user/hostfwd'],
  ['query-dirty-rate', 'cmd:query-dirty-rate'],
  ['rbd-encryption', 'schema:blockdev-add/arg-type/+rbd/encrypt'],
  ['sev-guest-kernel-hashes', 'prop:sev-guest.kernel-hashes'],
  ['sev-inject-launch-secret', 'cmd:sev-inject-launch-secret'],
  ['device.json+hotplug', 'schema:device_add/$json-cli-hotplug'],
  ['virtio-mem-pci.prealloc', 'prop:virtio-mem-pci.prealloc'],
  ['calc-dirty-rate', 'cmd:calc-dirty-rate'],
  ['dirtyrate-param.mode', 'schema:calc-dirty-rate/arg-type/mode'],
  ['blockdev.nbd.tls-hostname', 'schema:blockdev-add/arg-type/+nbd/tls-hostname'],
  ['memory-backend-file.prealloc-threads', 'prop:memory-backend-file.prealloc-threads'],
  ['virtio-iommu-pci', 'type:virtio-iommu-pci'],
  ['virtio-iommu.boot-bypass', 'prop:virtio-iommu-pci.boot-bypass'],
  ['virtio-net.rss', 'prop:virtio-net-pci.rss'],
  ['chardev.qemu-vdagent', 'schema:chardev-add/arg-type/backend/+qemu-vdagent'],
  ['display-dbus', 'schema:query-display-options/ret-type/type/^dbus'],
  ['iothread.thread-pool-max', 'prop:iothread.thread-pool-max'],
  ['usb-host.guest-resets-all', 'prop:usb-host.guest-resets-all'],
  ['migration.blocked-reasons', 'schema:query-migrate/ret-type/blocked-reasons'],
  ['query-stats', 'cmd:query-stats'],
  ['query-stats-schemas', 'cmd:query-stats-schemas'],
  ['thread-context', 'type:thread-context'],
  ['screenshot-format-png', 'schema:screendump/arg-type/format/^png'],
  ['machine-hpet', 'mprop:hpet'],
  ['netdev.stream', 'schema:netdev_add/arg-type/type/^stream'],
];

/** What a probe found, in the shape the rules read. */
export interface ProbeFindings {
  version: number;
  arch: string;
  accels: Set<string>;
  types: Set<string>;
  commands: Set<string>;
  events: Set<string>;
  /** Properties by type name, with their default values when QEMU reports one. */
  props: Map<string, Map<string, unknown>>;
  options: Map<string, Set<string>>;
  machineProps: Set<string>;
  cpus: Set<string>;
  schema: QmpSchema;
}

export interface SchemaEntry {
  name: string; 'meta-type': string; 'arg-type'?: string; 'ret-type'?: string; 'element-type'?: string;
  members?: { name?: string; type?: string; case?: string }[]; variants?: { case: string; type: string }[];
  values?: string[]; features?: string[]; tag?: string;
}
export type QmpSchema = Map<string, SchemaEntry>;

/** Every type the probe needs properties of, as [type, via QOM (objects) or device-list-properties]. */
export function propertyTargets(): { devices: string[]; objects: string[] } {
  const devices = new Set<string>();
  const objects = new Set<string>();
  for (const [, rule] of FLAG_RULES) {
    for (const part of rule.split(' & ')) {
      const m = /^(?:prop|default):([^.]+)\./.exec(part);
      if (!m) continue;
      // Backends and helper objects are not devices: device-list-properties refuses them.
      if (/^(memory-backend|iothread|sev-guest)/.test(m[1]!)) objects.add(m[1]!); else devices.add(m[1]!);
    }
  }
  return { devices: [...devices], objects: [...objects] };
}

/** Libvirt's flags the findings imply, in libvirt's order. */
export function deriveFlags(f: ProbeFindings): string[] {
  const out = new Set<string>();
  for (const [flag, rule] of FLAG_RULES) if (rule.split(' & ').every((r) => holds(f, r))) out.add(flag);
  return capabilityNames().filter((c) => out.has(c.name)).map((c) => c.name);
}

function holds(f: ProbeFindings, rule: string): boolean {
  const colon = rule.indexOf(':');
  const kind = rule.slice(0, colon);
  const arg = rule.slice(colon + 1);
  switch (kind) {
    case 'type': return f.types.has(arg);
    case 'cmd': return f.commands.has(arg);
    case 'event': return f.events.has(arg);
    case 'accel': return f.accels.has(arg);
    case 'arch': return arg.split('|').includes(f.arch);
    case 'cpu': return f.cpus.has(arg);
    case 'mprop': return f.machineProps.has(arg);
    case 'version': return f.version >= Number(arg);
    case 'prop': {
      const dot = arg.indexOf('.');
      return f.props.get(arg.slice(0, dot))?.has(arg.slice(dot + 1)) ?? false;
    }
    case 'default': {
      const [path, want] = arg.split('=') as [string, string];
      const dot = path.indexOf('.');
      const props = f.props.get(path.slice(0, dot));
      const prop = path.slice(dot + 1);
      return props !== undefined && props.has(prop) && String(props.get(prop)) === want;
    }
    case 'opt': {
      const [opt, param] = arg.split('.') as [string, string | undefined];
      const params = f.options.get(opt);
      return params !== undefined && (param === undefined || params.has(param));
    }
    case 'schema': return schemaHas(f.schema, arg);
    default: throw new Error(`bad probe rule '${rule}'`);
  }
}

/**
 * A query over query-qmp-schema: the first segment names a command or event; then
 * `arg-type`/`ret-type` follow those types, a plain name follows an object member,
 * `+CASE` a union variant, `^VALUE` asks for an enum value and `$FEATURE` for a feature.
 * Arrays and alternates are looked through.
 */
export function schemaHas(schema: QmpSchema, query: string): boolean {
  const [head, ...rest] = query.split('/');
  const start = [...schema.values()].find((e) => (e['meta-type'] === 'command' || e['meta-type'] === 'event') && e.name === head);
  return start !== undefined && walk(schema, start, rest, 0);
}

function walk(schema: QmpSchema, e: SchemaEntry, path: string[], depth: number): boolean {
  if (depth > 32) return false;
  if (path.length === 0) return true;
  const [seg, ...rest] = path as [string, ...string[]];
  const follow = (type: string | undefined): boolean => {
    const t = type !== undefined ? schema.get(type) : undefined;
    return t !== undefined && walk(schema, t, rest, depth + 1);
  };
  if (e['meta-type'] === 'array') { const t = schema.get(e['element-type'] ?? ''); return t !== undefined && walk(schema, t, path, depth + 1); }
  if (e['meta-type'] === 'alternate') return (e.members ?? []).some((m) => { const t = schema.get(m.type ?? ''); return t !== undefined && walk(schema, t, path, depth + 1); });
  if (seg.startsWith('$')) return (e.features ?? []).includes(seg.slice(1)) && rest.length === 0;
  if (seg.startsWith('^')) return e['meta-type'] === 'enum' && (e.values ?? []).includes(seg.slice(1)) && rest.length === 0;
  if (seg === 'arg-type' || seg === 'ret-type') return follow(e[seg]);
  if (seg.startsWith('+')) return follow(e.variants?.find((v) => v.case === seg.slice(1))?.type);
  return follow(e.members?.find((m) => m.name === seg)?.type);
}
