// Attaching to a domain's console (virsh console's role) by the endpoint the plan recorded:
// a pty QEMU opened, a file it writes, a UNIX socket it serves, or its stdio (our log file).
import { closeSync, constants, openSync, readSync, fstatSync, write } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { ConsoleEndpoint } from '../compiler/src/index.js';
import { RuntimeError } from './errors.js';

export interface ConsoleLink {
  /** Guest output. */
  onData(fn: (chunk: Buffer) => void): void;
  /** The other side went away (QEMU exited or closed the device). */
  onEnd(fn: () => void): void;
  write(data: Buffer | string): void;
  close(): void;
}

/** The console a user means: the first `<console>`, else the first serial port. */
export function primaryConsole(consoles: readonly ConsoleEndpoint[]): ConsoleEndpoint | undefined {
  return consoles.find((c) => c.kind === 'console') ?? consoles.find((c) => c.kind === 'serial');
}

function socketLink(sock: Socket): ConsoleLink {
  let ended = false;
  const ends: (() => void)[] = [];
  const end = (): void => { if (!ended) { ended = true; for (const f of ends) f(); } };
  sock.on('end', end);
  sock.on('close', end);
  sock.on('error', end); // EIO on a pty whose master (QEMU) closed
  return {
    onData: (fn) => sock.on('data', fn),
    onEnd: (fn) => { ends.push(fn); if (ended) fn(); },
    write: (d) => { if (!ended) sock.write(d); },
    close: () => { sock.destroy(); },
  };
}

// node:tty is loaded when a pty is attached, not with the module: `qdc run` attaches only
// after QEMU was spawned, and loading it costs a millisecond or two of the launch.
const tty = (): typeof import('node:tty') => process.getBuiltinModule('node:tty');

/** Loads what attaching to a pty console needs while the caller has nothing else to do
 * (`qdc run --console`, while QEMU initialises), rather than between QEMU's start and `cont`. */
export function preparePtyConsole(): void {
  tty();
}

/** A pty slave: read through a tty stream (Node will not wrap a tty fd in a socket); write with write(2). */
function ptyLink(fd: number): ConsoleLink {
  const stream = new (tty()).ReadStream(fd);
  let ended = false;
  const ends: (() => void)[] = [];
  const end = (): void => { if (!ended) { ended = true; for (const f of ends) f(); } };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end); // EIO once QEMU closed the master side
  return {
    onData: (fn) => stream.on('data', (d: Buffer | string) => fn(typeof d === 'string' ? Buffer.from(d) : d)),
    onEnd: (fn) => { ends.push(fn); if (ended) fn(); },
    write: (d) => { if (!ended) write(fd, typeof d === 'string' ? Buffer.from(d) : d, () => { /* guest gone: reported by onEnd */ }); },
    close: () => { stream.destroy(); },
  };
}

/** Follow a file QEMU appends to, from `fromOffset`. */
function tailLink(path: string, fromOffset: number, isDone: () => boolean): ConsoleLink {
  const fd = openSync(path, 'r');
  let offset = fromOffset;
  const datas: ((b: Buffer) => void)[] = [];
  const ends: (() => void)[] = [];
  const buf = Buffer.alloc(65536);
  let closed = false;
  const drain = (): void => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) break;
      offset += n;
      const chunk = Buffer.from(buf.subarray(0, n));
      for (const f of datas) f(chunk);
    }
  };
  const timer = setInterval(() => {
    drain();
    if (isDone()) { stop(); for (const f of ends) f(); }
  }, 50);
  // what the guest wrote since the last poll is still delivered, e.g. just before it powered off
  const stop = (): void => { if (!closed) { closed = true; clearInterval(timer); try { drain(); } finally { closeSync(fd); } } };
  return {
    onData: (fn) => datas.push(fn),
    onEnd: (fn) => ends.push(fn),
    write: () => { /* a file console has no input */ },
    close: stop,
  };
}

export async function openConsole(ep: ConsoleEndpoint, opts: { logFile: string; qemuAlive: () => boolean; fromStart?: boolean }): Promise<ConsoleLink> {
  switch (ep.source) {
    case 'pty': {
      if (!ep.path) throw new RuntimeError(`console ${ep.alias} has no pty yet`);
      let fd: number;
      try { fd = openSync(ep.path, constants.O_RDWR | constants.O_NOCTTY); } catch (e) {
        throw new RuntimeError(`cannot open console ${ep.path}: ${(e as Error).message}`);
      }
      return ptyLink(fd);
    }
    case 'unix': {
      if (!ep.path) throw new RuntimeError(`console ${ep.alias} has no socket path`);
      const sock = connect(ep.path);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', () => resolve());
        sock.once('error', (e) => reject(new RuntimeError(`cannot connect to console socket ${ep.path}: ${e.message}`)));
      });
      return socketLink(sock);
    }
    case 'file':
    case 'stdio': {
      const path = ep.source === 'file' ? ep.path : opts.logFile;
      if (!path) throw new RuntimeError(`console ${ep.alias} has no file`);
      let start = 0;
      if (!opts.fromStart) { try { const fd = openSync(path, 'r'); start = fstatSync(fd).size; closeSync(fd); } catch { /* created later */ } }
      return tailLink(path, start, () => !opts.qemuAlive());
    }
    default:
      throw new RuntimeError(`console ${ep.alias} is a '${ep.source}' character device; qdc can attach to pty, unix, file and stdio consoles`);
  }
}
