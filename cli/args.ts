// A small argv parser: `--flag`, `--key value`, `--key=value`, positionals. Unknown
// options are usage errors (exit 2), never ignored.
export class UsageError extends Error {}

export interface ParsedArgs { positional: string[]; options: Map<string, string | true> }

export function parseArgs(argv: string[], spec: { flags?: string[]; values?: string[] }): ParsedArgs {
  const flags = new Set(spec.flags ?? []);
  const values = new Set(spec.values ?? []);
  const out: ParsedArgs = { positional: [], options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (flags.has(name)) {
        if (eq > 0) throw new UsageError(`--${name} takes no value`);
        out.options.set(name, true);
      } else if (values.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        out.options.set(name, v);
      } else throw new UsageError(`unknown option --${name}`);
    } else out.positional.push(a);
  }
  return out;
}

export function str(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}
