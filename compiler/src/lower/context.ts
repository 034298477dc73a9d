// State of one lowering: the domain being compiled, the capabilities it sees, the driver
// configuration and the growing command line. Created per compilation; nothing global.
import type { FirmwareDescriptor } from '../caps/firmware.js';
import type { DriverConfig } from '../conf/qemu-conf.js';
import type { QemuCaps } from '../caps/caps.js';
import { DiagnosticSink, FatalDiagnostic, type Range } from '../diagnostics.js';
import type { Domain } from '../model/domain.js';
import type { QmpStep, PassedFd, ConsoleEndpoint, TaintReason, PlanFile, PlanHelper } from '../plan/plan.js';
import { jsonProps, type JsonProps } from './qemu-opts.js';
import type { PciAddressSpace } from './pci-address.js';

export interface CompilePaths {
  /** libvirt's libDir: per-domain private dirs live at `${libDir}/domain-ID-NAME`. */
  libDir: string;
  /** Where guest agent channel sockets go (`channel/target`). */
  channelTargetDir: string;
  /** Per-domain runtime files (monitor socket, pid). */
  runDir: string;
  /** Domain logs. */
  logDir: string;
  /** swtpm: where the emulated TPMs keep their state (`UUID/tpm2`) and their sockets
   *  (libvirt's swtpmStorageDir and swtpmStateDir); without them <backend type='emulator'>
   *  is unsupported. */
  swtpmStorageDir?: string;
  swtpmRunDir?: string;
}

/** A libvirt secret as the domain names it: by uuid, or by usage type and id. */
export interface SecretLookup { uuid?: string; usageType: string; usageId?: string }

/** The host's secrets as a domain about to start sees them (libvirt's secret driver), and
 *  the domain's master key: secrets reach QEMU encrypted with it, never in clear. */
export interface SecretProvider {
  /** The secret's value, or undefined when there is no such secret or it has no value. */
  value(ref: SecretLookup): Uint8Array | undefined;
  /** AES-256-CBC with the master key QEMU reads as masterKey0: base64 ciphertext and IV. */
  encrypt(plain: Uint8Array): { data: string; iv: string };
}

export interface CompileOptions {
  caps: QemuCaps;
  config: DriverConfig;
  paths: CompilePaths;
  /** The id of the domain being started; -1 for a domain that is only compiled. */
  domainId: number;
  /** Host environment copied into QEMU's environment the way libvirt does (PATH, USER, LOGNAME, …). */
  hostEnv: Record<string, string | undefined>;
  /** The host's first DRM render node (/dev/dri/renderD*), for OpenGL displays that name none. */
  hostRenderNode?: string;
  /** Page size (KiB) of each configured hugetlbfs mount as the host reports it (statfs), as
   * libvirt learns it; mounts missing here fall back to the size their path names. */
  hostHugepageKiB?: Record<string, number>;
  /** fd number the monitor socket is passed as. */
  monitorFd: number;
  /** Start with vCPUs stopped (no `cont` step). */
  startPaused?: boolean;
  /** Picks a free TCP port at or after `from` for graphics autoport, when the domain is about
   * to run (the runtime looks at the host's listening sockets). Without it, autoport takes
   * libvirt's fixed first ports, as libvirt's own command-line tests do. */
  allocatePort?: (from: number) => number;
  /** The host's firmware descriptors in priority order, for <os firmware='…'> (without them,
   *  firmware autoselection is unsupported). A function is called only when a domain asks. */
  firmware?: readonly FirmwareDescriptor[] | (() => readonly FirmwareDescriptor[]);
  /** Secrets for <auth> and <encryption> (without them, those are unsupported). */
  secrets?: SecretProvider;
}

export class LowerContext {
  readonly argv: string[] = [];
  readonly env: [string, string][] = [];
  readonly qmp: QmpStep[] = [];
  readonly passFds: PassedFd[] = [];
  readonly consoles: ConsoleEndpoint[] = [];
  readonly tainted: TaintReason[] = [];
  /** Files the runtime writes into place before starting QEMU. */
  readonly files: PlanFile[] = [];
  /** Daemons the runtime starts before QEMU. */
  readonly helpers: PlanHelper[] = [];
  /** The file-backed UEFI variable store, for the runtime to create from its template. */
  nvram?: { path: string; template?: string };
  /** JSON props of every -device we emitted, by id: `<qemu:override>` edits them before rendering. */
  readonly deviceProps = new Map<string, { props: JsonProps; argIndex: number }>();
  /** Capability flags as the domain sees them (after <qemu:capabilities> add/del). */
  readonly flags: Set<string>;
  /** Set once PCI addresses are assigned. */
  pci?: PciAddressSpace;
  /** The machine type, resolved from the domain and the caps' default. */
  machine = '';

  constructor(readonly domain: Domain, readonly opts: CompileOptions, readonly diags: DiagnosticSink, flags: Set<string>) {
    this.flags = flags;
  }

  get caps(): QemuCaps { return this.opts.caps; }
  get config(): DriverConfig { return this.opts.config; }

  has(flag: string): boolean { return this.flags.has(flag); }

  /** The domain's private directory, libvirt's `libDir/domain-ID-NAME`. */
  get domainDir(): string {
    return `${this.opts.paths.libDir}/domain-${this.opts.domainId}-${shortName(this.opts.domainId, this.domain.name)}`;
  }

  get channelDir(): string {
    return `${this.opts.paths.channelTargetDir}/domain-${this.opts.domainId}-${shortName(this.opts.domainId, this.domain.name)}`;
  }

  arg(...words: string[]): void { this.argv.push(...words); }

  /** `-device {json}`; remembered by id so overrides can find it. */
  device(props: JsonProps): void {
    const id = props.id;
    this.argv.push('-device', jsonProps(props));
    if (typeof id === 'string') this.deviceProps.set(id, { props, argIndex: this.argv.length - 1 });
  }

  object(props: JsonProps): void { this.argv.push('-object', jsonProps(props)); }

  blockdev(props: JsonProps): void { this.argv.push('-blockdev', jsonProps(props)); }

  netdev(props: JsonProps): void { this.argv.push('-netdev', jsonProps(props)); }

  /** Register an fd the runtime opens and passes; numbers follow the monitor's. */
  passFd(entry: Omit<PassedFd, 'fd'>): number {
    const fd = Math.max(this.opts.monitorFd, ...this.passFds.map((p) => p.fd)) + 1;
    this.passFds.push({ fd, ...entry });
    return fd;
  }

  /** Next -add-fd set id; libvirt numbers fd sets per domain from 0. */
  nextFdset(): number {
    return this.fdsetsUsed++;
  }
  private fdsetsUsed = 0;

  fail(code: string, message: string, range: Range): never {
    throw new FatalDiagnostic({ code, message, severity: 'error', range });
  }

  unsupported(what: string, range: Range, why?: string): never {
    this.fail('unsupported', `unsupported: ${what} at ${range.start.line}:${range.start.column}${why ? ` (${why})` : ''}`, range);
  }

  requireFlag(flag: string, what: string, range: Range): void {
    if (!this.has(flag)) this.fail('missing-capability', `${what} is not supported by this QEMU binary (capability '${flag}' is missing)`, range);
  }
}

/** libvirt shortens the name part of per-domain paths to 20 characters. */
export function shortName(id: number, name: string): string {
  return name.length > 20 ? name.slice(0, 20) : name;
}
