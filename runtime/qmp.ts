// A typed QMP client (libvirt's qemu_monitor role): greeting, capabilities negotiation,
// commands with ids and timeouts, asynchronous events. One JSON object per line; anything
// else on the wire is a protocol error that fails every pending command and closes the link.
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface QmpVersion { qemu: { major: number; minor: number; micro: number }; package: string }
export interface QmpGreeting { QMP: { version: QmpVersion; capabilities: string[] } }
export interface QmpEvent { event: string; data?: Record<string, unknown>; timestamp?: { seconds: number; microseconds: number } }

export type RunState =
  | 'debug' | 'inmigrate' | 'internal-error' | 'io-error' | 'paused' | 'postmigrate' | 'prelaunch'
  | 'finish-migrate' | 'restore-vm' | 'running' | 'save-vm' | 'shutdown' | 'suspended' | 'watchdog'
  | 'guest-panicked' | 'colo';

export interface ChardevInfo { label: string; filename: string; 'frontend-open': boolean }
export interface MachineInfo {
  name: string; alias?: string; 'is-default'?: boolean; 'cpu-max': number; 'hotpluggable-cpus': boolean;
  'numa-mem-supported': boolean; deprecated: boolean; 'default-cpu-type'?: string; 'default-ram-id'?: string; acpi?: boolean;
}
export interface CpuDefinition { name: string; typename?: string; 'unavailable-features'?: string[]; deprecated?: boolean; static?: boolean }
export interface ObjectPropertyInfo { name: string; type: string; description?: string; 'default-value'?: unknown }
export interface CommandLineOptionInfo { option: string; parameters: { name: string; type: string }[] }

/** Commands whose arguments and results we rely on; anything else goes through `executeRaw`. */
export interface QmpCommands {
  qmp_capabilities: { args: { enable?: string[] } | undefined; ret: Record<string, never> };
  'query-status': { args: undefined; ret: { status: RunState; running: boolean; singlestep?: boolean } };
  'query-version': { args: undefined; ret: QmpVersion };
  'query-commands': { args: undefined; ret: { name: string }[] };
  'query-events': { args: undefined; ret: { name: string }[] };
  'query-chardev': { args: undefined; ret: ChardevInfo[] };
  'query-kvm': { args: undefined; ret: { enabled: boolean; present: boolean } };
  'query-machines': { args: undefined; ret: MachineInfo[] };
  'query-cpu-definitions': { args: undefined; ret: CpuDefinition[] };
  'query-command-line-options': { args: { option?: string } | undefined; ret: CommandLineOptionInfo[] };
  'qom-list-types': { args: { implements?: string; abstract?: boolean } | undefined; ret: { name: string; parent?: string }[] };
  'device-list-properties': { args: { typename: string }; ret: ObjectPropertyInfo[] };
  'qom-list-properties': { args: { typename: string }; ret: ObjectPropertyInfo[] };
  'query-qmp-schema': { args: undefined; ret: { name: string; 'meta-type': string; [k: string]: unknown }[] };
  'human-monitor-command': { args: { 'command-line': string }; ret: string };
  cont: { args: undefined; ret: Record<string, never> };
  stop: { args: undefined; ret: Record<string, never> };
  quit: { args: undefined; ret: Record<string, never> };
  system_powerdown: { args: undefined; ret: Record<string, never> };
}

export type QmpFailure = 'connect' | 'eof' | 'timeout' | 'protocol' | 'command' | 'closed';

export class QmpError extends Error {
  constructor(message: string, readonly kind: QmpFailure, readonly qmpClass?: string) { super(message); }
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout; command: string }

export interface QmpOptions { timeoutMs?: number }

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private failure?: QmpError;
  private greetingWaiter?: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void };
  greeting?: QmpGreeting;
  /** Settles when the link is gone (EOF, error or close()). */
  readonly closed: Promise<QmpError>;
  private markClosed!: (e: QmpError) => void;

  private constructor(private readonly stream: Duplex) {
    this.closed = new Promise((r) => { this.markClosed = r; });
    stream.setEncoding?.('utf8');
    stream.on('data', (chunk: string | Buffer) => this.onData(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
    stream.on('end', () => this.fail(new QmpError('QEMU closed the monitor connection', 'eof')));
    stream.on('close', () => this.fail(new QmpError('QEMU closed the monitor connection', 'eof')));
    stream.on('error', (e: NodeJS.ErrnoException) => this.fail(new QmpError(`monitor connection failed: ${e.message}`, e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'eof' : 'connect')));
  }

  /** Wrap an already connected stream and wait for QEMU's greeting. */
  static async over(stream: Duplex, opts: QmpOptions = {}): Promise<QmpClient> {
    const c = new QmpClient(stream);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await new Promise<QmpGreeting>((resolve, reject) => {
      const timer = setTimeout(() => { c.fail(new QmpError(`no QMP greeting within ${timeoutMs} ms`, 'timeout')); stream.destroy(); }, timeoutMs);
      c.greetingWaiter = {
        resolve: (g) => { clearTimeout(timer); resolve(g); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      if (c.greeting) c.greetingWaiter.resolve(c.greeting);
      else if (c.failure) c.greetingWaiter.reject(c.failure);
    });
    return c;
  }

  /** Connect to a monitor socket path (or use a socket that is already connecting). */
  static async connect(target: string | Socket, opts: QmpOptions = {}): Promise<QmpClient> {
    const sock = typeof target === 'string' ? netConnect(target) : target;
    if (sock.connecting) {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: NodeJS.ErrnoException): void => {
          reject(new QmpError(`cannot connect to the monitor${typeof target === 'string' ? ` at ${target}` : ''}: ${e.code ?? e.message}`, 'connect'));
        };
        sock.once('connect', () => { sock.off('error', onErr); resolve(); });
        sock.once('error', onErr);
      });
    }
    return QmpClient.over(sock, opts);
  }

  /** Connect and leave negotiation mode: the usual way to get a usable monitor. */
  static async open(target: string | Socket, opts: QmpOptions = {}): Promise<QmpClient> {
    const c = await QmpClient.connect(target, opts);
    try {
      await c.execute('qmp_capabilities', undefined, opts);
    } catch (e) { c.close(); throw e; }
    return c;
  }

  execute<K extends keyof QmpCommands>(command: K, args: QmpCommands[K]['args'], opts: QmpOptions = {}): Promise<QmpCommands[K]['ret']> {
    return this.executeRaw(command, args as Record<string, unknown> | undefined, opts) as Promise<QmpCommands[K]['ret']>;
  }

  executeRaw(command: string, args?: Record<string, unknown>, opts: QmpOptions = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = `qdc-${this.nextId++}`;
    const msg = JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id });
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, command };
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new QmpError(`'${command}' got no reply within ${timeoutMs} ms`, 'timeout'));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.stream.write(msg + '\r\n');
    });
  }

  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolve with the first event named `name` (or failing the link / timing out). */
  waitEvent(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new QmpError(`no ${name} event within ${timeoutMs} ms`, 'timeout')); }, timeoutMs);
      const off = this.onEvent((e) => { if (e.event === name) { clearTimeout(timer); off(); resolve(e); } });
      void this.closed.then((err) => { clearTimeout(timer); off(); reject(err); });
    });
  }

  close(): void {
    this.fail(new QmpError('monitor connection closed', 'closed'));
    this.stream.destroy();
  }

  get isOpen(): boolean { return this.failure === undefined; }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl; (nl = this.buffer.indexOf('\n')) >= 0;) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
      if (this.failure) return;
    }
    if (this.buffer.length > 64 * 1024 * 1024) this.protocolError('a monitor message exceeds 64 MiB');
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      msg = v as Record<string, unknown>;
    } catch {
      this.protocolError(`garbage on the monitor: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    if ('QMP' in msg) {
      this.greeting = msg as unknown as QmpGreeting;
      this.greetingWaiter?.resolve(this.greeting);
      return;
    }
    if (typeof msg.event === 'string') {
      for (const fn of [...this.listeners]) fn(msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id !== undefined ? this.pending.get(id) : undefined;
    if (!p) {
      // Replies to commands that timed out arrive late; anything else without our id is a protocol violation.
      if (id?.startsWith('qdc-')) return;
      this.protocolError(`unexpected monitor message: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    this.pending.delete(id!);
    if (p.timer) clearTimeout(p.timer);
    if ('return' in msg) p.resolve(msg.return);
    else if (msg.error && typeof msg.error === 'object') {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(`'${p.command}' failed: ${err.desc ?? 'unknown error'}`, 'command', err.class));
    } else p.reject(new QmpError(`malformed reply to '${p.command}'`, 'protocol'));
  }

  private protocolError(message: string): void {
    this.fail(new QmpError(message, 'protocol'));
    this.stream.destroy();
  }

  private fail(err: QmpError): void {
    if (this.failure) return;
    this.failure = err;
    this.greetingWaiter?.reject(err);
    for (const p of this.pending.values()) { if (p.timer) clearTimeout(p.timer); p.reject(err); }
    this.pending.clear();
    this.markClosed(err);
  }
}
