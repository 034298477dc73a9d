// Entry of the bundled language server (`qdc lsp --stdio`, and the VS Code extension's server).
import { startServer } from './server.js';
import { serverExtensions } from './extensions.js';

export function runLsp(): number {
  startServer(undefined, serverExtensions());
  return 0;
}

// Run as a program (the VS Code extension starts dist/server.js with node): start now. Loaded
// by `qdc lsp`, the caller starts it. Inside the standalone executable this file is bundled
// into the CLI, where `module` is the executable's main module: the second test, or every
// message would be answered twice.
if (require.main === module && !('qdcStandalone' in globalThis)) runLsp();
