// Wires the grammar engine and the runtime into the server (kept apart so the server core
// can be tested without either).
import type { ServerExtensions } from './server.js';

export function serverExtensions(): ServerExtensions {
  return {};
}
