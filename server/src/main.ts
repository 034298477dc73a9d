// Entry of the bundled language server (`qdc lsp --stdio`, and the VS Code extension's server).
import { startServer } from './server.js';
import { serverExtensions } from './extensions.js';

export function runLsp(): number {
  startServer(undefined, serverExtensions());
  return 0;
}

if (require.main === module) runLsp();
