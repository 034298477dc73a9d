// A listening UNIX socket for a process we start to inherit (QEMU's monitor, the sockets it
// serves). Node's net module is the portable way; on Bun (the standalone executable)
// Bun.listen makes the same socket natively: loading node:net there and listening cost
// 5-9 ms of `qdc run` before QEMU was spawned, Bun.listen under 1 ms.
import type { Server } from 'node:net';

export interface UnixListener {
  readonly fd: number;
  /** Closes our copy; the path may be unlinked with it (Node does). */
  close(): void;
}

interface BunListener { readonly fd: number; stop(closeActive?: boolean): void }
interface BunRuntime { listen(o: { unix: string; socket: { data(): void } }): BunListener }

/** Listens on `path`; rejects with the system's message when it cannot. */
export async function listenUnix(path: string, backlog: number): Promise<UnixListener> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun) {
    // no connection is ever accepted here: the process we pass the fd to serves it
    const l = bun.listen({ unix: path, socket: { data() { /* never connected to us */ } } });
    return { fd: l.fd, close: () => l.stop(true) };
  }
  const server: Server = process.getBuiltinModule('node:net').createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, backlog }, () => resolve());
  });
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) { server.close(); throw new Error('the runtime gives no fd for the socket'); }
  return { fd, close: () => server.close() };
}
