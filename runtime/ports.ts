// Graphics autoport for a domain about to run: the first TCP port at or after the range start
// that nothing on the host listens on (read from /proc/net/tcp{,6}) and that this start has
// not handed out already. libvirt keeps a port allocator in its daemon; without a daemon the
// host's sockets are the record. A race with another process binding the port in between
// ends as QEMU's "address in use" error, reported with the log lines.
import { readFileSync } from 'node:fs';

const LISTEN = '0A';

export function listeningTcpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === LISTEN) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** A port allocator for one compilation (CompileOptions.allocatePort). The host's sockets
 *  are read on the first allocation: most domains have no autoport and skip the scan. */
export function hostPortAllocator(used?: Set<number>): (from: number) => number {
  let taken: Set<number> | undefined;
  return (from) => {
    taken ??= new Set(used ?? listeningTcpPorts());
    let p = from;
    while (taken.has(p) && p < 65535) p++;
    taken.add(p);
    return p;
  };
}
