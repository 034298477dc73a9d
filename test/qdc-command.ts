// How the tests start qdc: the built bundle dist/qdc.js under this node, or QDC_BIN, which is
// a bundle (run under this node) or the standalone executable (run as it is).
import { join, resolve } from 'node:path';

export const QDC_BIN = resolve(join(import.meta.dirname, '..'), process.env.QDC_BIN ?? 'dist/qdc.js');

/** The program and the arguments before qdc's own. */
export const QDC_COMMAND: [string, string[]] = QDC_BIN.endsWith('.js') ? [process.execPath, [QDC_BIN]] : [QDC_BIN, []];
