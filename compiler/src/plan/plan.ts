// The compiler's output: everything the runtime needs to start the guest, as data.

export interface QmpStep {
  execute: string;
  arguments?: Record<string, unknown>;
  /** Why the step runs (shown by `--format plan` and in the runtime's progress). */
  purpose: string;
}

/** A file descriptor the runtime must open and pass to QEMU at `fd`. */
export interface PassedFd {
  fd: number;
  /** monitor-socket / listen-socket: a listening UNIX socket created at `path`;
   * tap: a tap device named `path` ('vnet%d': the first free such name), set up as `tap` says; a
   *   multiqueue NIC lists one entry per queue with the same name (open it with IFF_MULTI_QUEUE);
   * vhost-net / vhost-vsock / vhost-scsi: the host kernel's vhost char device at `path`;
   * file: `path` opened read-write, or write-only with `writeOnly` (passed through -add-fd,
   *   `fdset` says which set). */
  kind: 'monitor-socket' | 'listen-socket' | 'tap' | 'vhost-net' | 'vhost-vsock' | 'vhost-scsi' | 'file';
  /** Where the runtime creates or opens what it passes. */
  path: string;
  /** tap: how the runtime sets the tap device up before passing it. */
  tap?: TapSetup;
  /** file: the -add-fd set the fd belongs to. */
  fdset?: number;
  /** file: QEMU opens it O_WRONLY, and an fd set only hands out fds of the same access mode. */
  writeOnly?: boolean;
  /** file: an output file (chardev files and logs), created 0600 when missing; without it the
   *  path must exist (a device, a sysfs file) and is never truncated. */
  create?: boolean;
  /** file with `create`: open with O_APPEND; otherwise the file is truncated. */
  append?: boolean;
  /** vhost-net: the interface asked for vhost (<driver name='vhost'>); without it a device
   *  that cannot be opened means the userspace backend, as libvirt falls back. */
  required?: boolean;
}

/** A tap device libvirt would create for an <interface type='ethernet'|'bridge'>. */
export interface TapSetup {
  /** bridge to enslave the tap device to (type='bridge') */
  bridge?: string;
  /** the device exists already (<target managed='no'>): open it, do not create or configure it */
  existing?: boolean;
  /** run after creation with the device name as argument / before removal */
  script?: string;
  downscript?: string;
  /** tap clone device to open instead of /dev/net/tun (<backend tap>) */
  cloneDevice?: string;
  /** host side MAC: the guest MAC with the first octet set to 0xfe (0xfa if it was 0xfe), as libvirt does */
  mac: string;
  mtu?: number;
}

/** Where a character device's guest side ends up, for the runtime's console handling. */
export interface ConsoleEndpoint {
  alias: string;
  kind: 'serial' | 'console' | 'parallel' | 'channel';
  source: 'pty' | 'file' | 'unix' | 'tcp' | 'stdio' | 'null' | 'other';
  path?: string;
}

export interface TaintReason {
  code: 'custom-argv' | 'custom-env' | 'custom-caps' | 'custom-override' | 'deprecation';
  message: string;
}

/** A small file the runtime writes (mode 0600) before starting QEMU, e.g. SEV blobs QEMU reads by path. */
export interface PlanFile { path: string; content: string; purpose: string }

export interface Plan {
  domain: { name: string; uuid: string };
  env: [string, string][];
  binary: string;
  argv: string[];
  qmp: QmpStep[];
  passFds: PassedFd[];
  consoles: ConsoleEndpoint[];
  /** The domain's private directory (HOME of the QEMU process). */
  domainDir: string;
  tainted: TaintReason[];
  startPaused: boolean;
  /** Files to write first (absent when there are none). */
  files?: PlanFile[];
  /** Helper daemons to start before QEMU (absent when there are none). */
  helpers?: PlanHelper[];
  /** The UEFI variable store QEMU opens read-write (pflash1): created from `template` when
   *  it does not exist yet, as libvirt does; an existing store is the guest's and is kept. */
  nvram?: { path: string; template?: string };
}

/** A daemon libvirt runs next to QEMU for the domain's lifetime. `pr-helper`: qemu-pr-helper
 * serving SCSI persistent reservations on the UNIX socket `socket` (QEMU connects to it). */
export type PlanHelper =
  | { kind: 'pr-helper'; socket: string; purpose: string }
  | VirtiofsdHelper
  | SwtpmHelper;

/** `swtpm`: the emulated TPM of <backend type='emulator'>, serving its control channel on
 *  `socket`. Its state lives in `stateDir`, created by swtpm_setup on the first start (the
 *  guest's TPM identity: kept across starts, as libvirt keeps it). */
export interface SwtpmHelper {
  kind: 'swtpm';
  socket: string;
  stateDir: string;
  version: '1.2' | '2.0';
  /** swtpm_setup's --vmid: NAME:UUID */
  vmid: string;
  purpose: string;
}

/** `virtiofsd`: libvirt's virtiofs daemon sharing `sharedDir` on the vhost-user socket `socket`,
 * with the options of the filesystem's <binary> element (absent ones: the daemon's defaults). */
export interface VirtiofsdHelper {
  kind: 'virtiofsd';
  socket: string;
  sharedDir: string;
  /** <binary path>; otherwise the runtime finds virtiofsd itself */
  binary?: string;
  xattr?: boolean;
  cache?: 'none' | 'always';
  sandbox?: 'namespace' | 'chroot';
  posixLock?: boolean;
  flock?: boolean;
  threadPoolSize?: number;
  purpose: string;
}
