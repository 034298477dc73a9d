// The QEMU capability flag names libvirt 9.0 knows, in libvirt's order (its status files
// and <qemu:capabilities> use these names). `retired` names are kept by libvirt for old
// status files but no longer probed or used.
export interface CapabilityName { name: string; retired: boolean }

// One line per group of five, as in libvirt's numbering; a leading ~ marks a retired name.
const RAW = `
~vnc-colon ~no-reboot ~drive ~drive-boot ~name
~uuid ~domid ~vnet-hdr ~migrate-kvm-stdio ~migrate-qemu-tcp
~migrate-qemu-exec ~drive-cache-v2 kvm ~drive-format ~vga
~0.10 ~pci-device ~mem-path ~drive-serial ~xen-domid
~migrate-qemu-unix ~chardev ~enable-kvm ~monitor-json ~balloon
~device sdl ~smp-topology ~netdev ~rtc
~vhost-net ~rtc-td-hack ~no-hpet ~no-kvm-pit ~tdf
~pci-configfd ~nodefconfig ~boot-menu ~fsdev ~nesting
~name-process ~drive-readonly ~smbios-type ~vga-qxl spice
~vga-none ~migrate-qemu-fd ~boot-index hda-duplex ~drive-aio
~pci-multibus ~pci-bootindex ccid-emulated ccid-passthru ~chardev-spicevmc
~device-spicevmc ~virtio-tx-alg ~device-qxl-vga ~pci-multifunction ~virtio-blk-pci.ioeventfd
~sga ~virtio-blk-pci.event_idx ~virtio-net-pci.event_idx ~cache-directsync piix3-usb-uhci
piix4-usb-uhci usb-ehci ich9-usb-ehci1 vt82c686b-usb-uhci pci-ohci
usb-redir usb-hub ~no-shutdown ~cache-unsafe ~rombar
ich9-ahci no-acpi ~fsdev-readonly virtio-blk-pci.scsi ~blk-sg-io
~drive-copy-on-read ~cpu-host ~fsdev-writeout ~drive-iotune ~system_wakeup
scsi-disk.channel scsi-block ~transaction ~block-job-sync ~block-job-async
~scsi-cd ~ide-cd ~no-user-config hda-micro ~dump-guest-memory
nec-usb-xhci ~virtio-s390 ~balloon-event ~bridge lsi
virtio-scsi-pci ~blockio disable-s3 disable-s4 usb-redir.filter
ide-drive.wwn scsi-disk.wwn seccomp-sandbox ~reboot-timeout ~dump-guest-core
~seamless-migration ~block-commit vnc ~drive-mirror ~usb-redir.bootindex
~usb-host.bootindex ~blockdev-snapshot-sync qxl VGA cirrus-vga
vmware-svga ~device-video-primary s390-sclp usb-serial ~usb-net
~add-fd ~nbd-server virtio-rng rng-random rng-egd
virtio-ccw ~dtb megasas ~ipv6-migration ~machine-opt
~machine-usb-opt tpm-passthrough tpm-tis nvram pci-bridge
vfio-pci ~vfio-pci.bootindex ~scsi-generic ~scsi-generic.bootindex ~mem-merge
~vnc-websocket ~drive-discard ~mlock ~vnc-share-policy ~device-del-event
dmi-to-pci-bridge ~i440fx-pci-hole64-size ~q35-pci-hole64-size usb-storage usb-storage.removable
virtio-mmio ich9-intel-hda kvm-pit-lost-tick-policy ~boot-strict pvpanic
enable-fips ~spice-file-xfer-disable ~spiceport usb-kbd ~host-pci-multidomain
~msg-timestamp ~active-commit ~change-backing-file ~memory-backend-ram ~numa
~memory-backend-file usb-audio rtc-reset-reinjection ~splash-timeout iothread
migrate-rdma ~ivshmem ~drive-iotune-max VGA.vgamem_mb vmware-svga.vgamem_mb
qxl.vgamem_mb ~qxl-vga.vgamem_mb pc-dimm machine-vmport-opt ~aes-key-wrap
~dea-key-wrap pci-serial ~aarch64-off ~vhost-user-multiqueue ~migration-event
gpex-pcihost ioh3420 x3130-upstream xio3130-downstream rtl8139
e1000 virtio-net ~gic-version ~incoming-defer virtio-gpu
virtio-gpu.virgl virtio-keyboard virtio-mouse virtio-tablet virtio-input-host
~chardev-file-append ich9-disable-s3 ich9-disable-s4 ~vserport-change-event virtio-balloon-pci.deflate-on-oom
mptsas1068 spice-gl qxl.vram64_size_mb ~qxl-vga.vram64_size_mb ~chardev-logfile
~debug-threads ~secret pxb pxb-pcie ~device-tray-moved-event
~nec-usb-xhci-ports ~virtio-scsi-pci.iothread ~name-guest ~qxl.max_outputs ~qxl-vga.max_outputs
~spice-unix ~drive-detect-zeroes ~tls-creds-x509 ~display intel-iommu
~smm ~virtio-pci-disable-legacy query-hotpluggable-cpus ~virtio-net.rx_queue_size ~machine-iommu
virtio-vga ~drive-iotune-max-length ivshmem-plain ivshmem-doorbell ~query-qmp-schema
~gluster.debug_level vhost-scsi ~drive-iotune-group query-cpu-model-expansion ~virtio-net.host_mtu
spice-rendernode nvdimm pcie-root-port query-cpu-definitions ~block-write-threshold
~query-named-block-nodes cpu-cache qemu-xhci ~kernel-irqchip ~kernel-irqchip.split
intel-iommu.intremap intel-iommu.caching-mode intel-iommu.eim intel-iommu.device-iotlb ~virtio.iommu_platform
~virtio.ats ~loadparm spapr-pci-host-bridge spapr-pci-host-bridge.numa_node ~vnc-multi-servers
~virtio-net.tx_queue_size chardev-reconnect ~virtio-gpu.max_outputs vxhs ~virtio-blk.num-queues
~machine.pseries.resize-hpt vmcoreinfo spapr-vty sclplmconsole ~numa.dist
~disk-share-rw ~iscsi.password-secret isa-serial pl011 ~machine.pseries.max-cpu-compat
~dump-completed virtio-gpu-ccw virtio-keyboard-ccw virtio-mouse-ccw virtio-tablet-ccw
~qcow2-luks pcie-pci-bridge ~seccomp-blacklist ~query-cpus-fast ~disk-write-cache
nbd-tls tpm-crb pr-manager-helper ~qom-list-properties ~memory-backend-file.discard-data
~virtual-css-bridge ~virtual-css-bridge.cssid-unrestricted vfio-ccw ~sdl-gl screendump_device
hda-output ~blockdev-del vmgenid vhost-vsock ~chardev-fd-pass
tpm-emulator mch mch.extended-tseg-mbytes sev-guest ~machine.pseries.cap-hpt-max-page-size
~machine.pseries.cap-htm ~usb-storage.werror egl-headless vfio-pci.display ~blockdev
vfio-ap zpci memory-backend-memfd memory-backend-memfd.hugetlb iothread.poll-max-ns
~machine.pseries.cap-nested-hv egl-headless.rendernode ~memory-backend-file.align memory-backend-file.pmem nvdimm.unarmed
~scsi-disk.device_id virtio-pci-non-transitional ~overcommit ~query-current-machine machine.virt.iommu
~bitmap-merge nbd-bitmap x86-max-cpu cpu-unavailable-features canonical-cpu-features
bochs-display migration-file-drop-cache dbus-vmstate vhost-user-gpu vhost-user-vga
incremental-backup query-cpu-model-baseline query-cpu-model-comparison ramfb ~machine.pseries.cap-ccf-assist
arm-max-cpu ~blockdev-file-dynamic-auto-read-only ~savevm-monitor-nodes drive-nvme smp-dies
i8042 rng-builtin ~virtio-net.failover tpm-spapr cpu.kvm-no-adjvtime
vhost-user-fs query-named-block-nodes.flat blockdev-snapshot.allow-write-only-overlay blockdev-reopen ~storage.werror
fsdev.multidevs ~virtio.packed pcie-root-port.hotplug aio.io_uring ~machine.pseries.cap-cfpc
~machine.pseries.cap-sbbc ~machine.pseries.cap-ibs tcg virtio-blk-pci.scsi.default.disabled pvscsi
cpu.migratable ~query-cpu-model-expansion.migratable ~fw_cfg ~migration-param.bandwidth ~migration-param.downtime
~migration-param.xbzrle-cache-size intel-iommu.aw-bits spapr-tpm-proxy numa.hmat ~blockdev-hostdev-scsi
usb-host.hostdevice virtio-balloon.free-page-reporting block-export-add netdev.vhost-vdpa ~fsdev.createmode
ncr53c90 dc390 am53c974 virtio-pmem-pci vhost-user-fs.bootindex
vhost-user-blk cpu-max memory-backend-file.x-use-canonical-path-for-ramblock-id ~vnc-opts migration-param.block-bitmap-mapping
vnc-power-control ~audiodev ~blockdev-backup object.qapified rotation-rate
compat-deprecated acpi-index input-linux virtio-gpu-gl-pci virtio-vga-gl
confidential-guest-support ~query-display-options s390-pv-guest set-action virtio-blk.queue-size
virtio-mem-pci memory-backend-file.reserve piix4.acpi-root-pci-hotplug netdev.json chardev.json
~device.json query-dirty-rate rbd-encryption sev-guest-kernel-hashes sev-inject-launch-secret
device.json+hotplug hvf virtio-mem-pci.prealloc calc-dirty-rate dirtyrate-param.mode
blockdev.nbd.tls-hostname memory-backend-file.prealloc-threads virtio-iommu-pci virtio-iommu.boot-bypass virtio-net.rss
chardev.qemu-vdagent display-dbus iothread.thread-pool-max usb-host.guest-resets-all migration.blocked-reasons
query-stats query-stats-schemas sgx-epc thread-context screenshot-format-png
machine-hpet netdev.stream
`;

// Made on first use, not when the module loads: splitting the list cost `qdc run` over a
// millisecond of its start-up (the standalone executable interprets start-up code), and a
// domain without <qemu:capabilities> never needs it.
let names: readonly CapabilityName[] | undefined;
let known: ReadonlySet<string> | undefined;

/** Every name, in libvirt's order. */
export function capabilityNames(): readonly CapabilityName[] {
  return names ??= RAW.split(/\s+/).filter(Boolean).map((w) => ({ name: w.replace(/^~/, ''), retired: w.startsWith('~') }));
}

/** Whether libvirt 9.0 knows the name (retired names included). */
export function isKnownCapability(name: string): boolean {
  return (known ??= new Set(capabilityNames().map((c) => c.name))).has(name);
}
