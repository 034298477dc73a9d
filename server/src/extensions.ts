// Wires the grammar engine and the runtime into the server (kept apart so the server core
// can be tested without either).
import type { ServerExtensions } from './server.js';
import { runtimeCommands } from './runtime-commands.js';
import { grammarSupport } from './grammar.js';

export function serverExtensions(): ServerExtensions {
  return {
    runtime: (connection, settings) => runtimeCommands(connection, settings),
    grammar: (settings) => grammarSupport(settings, (m) => process.stderr.write(`${m}\n`)),
  };
}
