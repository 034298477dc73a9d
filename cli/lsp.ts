// `qdc lsp --stdio`: the language server over stdio. The server is a separate bundle
// (dist/server.js) so that the other commands do not pay for loading it.
import { expectLongRun, loadBundle } from './standalone.js';
import { parseArgs, UsageError } from './args.js';

export function runLspCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { flags: ['stdio'] });
  if (!p.options.has('stdio') || p.positional.length) throw new UsageError('usage: qdc lsp --stdio');
  expectLongRun();
  const server = loadBundle<{ runLsp(): number }>('server.js');
  server.runLsp();
  return new Promise(() => { /* the connection keeps the process alive until the client exits it */ });
}
