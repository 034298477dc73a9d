// `qdc lsp --stdio`: the language server over stdio. The server is a separate bundle
// (dist/server.js) so that the other commands do not pay for loading it.
import { join } from 'node:path';
import { parseArgs, UsageError } from './args.js';

export function runLspCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, { flags: ['stdio'] });
  if (!p.options.has('stdio') || p.positional.length) throw new UsageError('usage: qdc lsp --stdio');
  // esbuild leaves this require alone: the path is only known at run time
  const server = require(join(__dirname, 'server.js')) as { runLsp(): number };
  server.runLsp();
  return new Promise(() => { /* the connection keeps the process alive until the client exits it */ });
}
