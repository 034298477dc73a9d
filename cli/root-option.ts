// `--root DIR` for the runtime commands: an embedded root, else the per-user session layout.
import { resolveRoot, type RootLayout } from '../runtime/root.js';
import { str, type ParsedArgs } from './args.js';

export function layoutFrom(p: ParsedArgs): RootLayout {
  return resolveRoot(str(p, 'root'), process.env);
}

export function rootSuffix(layout: RootLayout): string {
  return layout.kind === 'embed' ? ` --root ${layout.root}` : '';
}
