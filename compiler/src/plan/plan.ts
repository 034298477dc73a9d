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
  kind: 'monitor-socket';
  /** Where the runtime creates the socket it passes. */
  path: string;
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
}
