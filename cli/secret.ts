// `qdc secret define|set-value|get-value|list|undefine`: virsh's secret-* commands for the
// secrets disks name in <auth> and <encryption>, kept under the driver root (runtime/secrets.ts).
import { readText } from './compile-inputs.js';
import { parseArgs, str, UsageError } from './args.js';
import { layoutFrom } from './root-option.js';
import { SecretError, SecretStore, secretsDir } from '../runtime/secrets.js';
import { RuntimeError } from '../runtime/errors.js';
import { readFileSync } from 'node:fs';

export const SECRET_USAGE = `usage: qdc secret define FILE.xml [--root DIR]
       qdc secret set-value UUID|USAGE (--base64 VALUE | --file FILE) [--root DIR]
       qdc secret get-value UUID|USAGE [--root DIR]
       qdc secret list [--root DIR]
       qdc secret undefine UUID|USAGE [--root DIR]
A secret is libvirt's <secret> XML (<uuid>, <usage type='volume|ceph|iscsi|tls|vtpm'>, private='yes'
keeps its value from being read back); --file takes the file's bytes as the value.`;

export function runSecret(argv: string[]): number {
  if (argv.includes('--help')) { process.stdout.write(SECRET_USAGE + '\n'); return 0; }
  const p = parseArgs(argv, { values: ['root', 'base64', 'file'] });
  const [action, arg, ...extra] = p.positional;
  if (!action || extra.length) throw new UsageError(SECRET_USAGE);
  const store = new SecretStore(secretsDir(layoutFrom(p)));
  const need = (): string => { if (!arg) throw new UsageError(SECRET_USAGE); return arg; };
  try {
    switch (action) {
      case 'define': {
        const file = need();
        const { def, created } = store.define(readText(file, 'secret XML'), file);
        process.stdout.write(`secret ${def.uuid} ${created ? 'created' : 'redefined'}\n`);
        return 0;
      }
      case 'set-value': {
        const b64 = str(p, 'base64');
        const file = str(p, 'file');
        if ((b64 === undefined) === (file === undefined)) throw new UsageError('set-value takes --base64 VALUE or --file FILE (one of them)');
        let value: Buffer;
        if (b64 !== undefined) {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new UsageError(`--base64: '${b64}' is not base64`);
          value = Buffer.from(b64, 'base64');
        } else {
          try { value = readFileSync(file!); } catch (e) { throw new RuntimeError(`cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
        }
        store.setValue(need(), value);
        process.stdout.write('secret value set\n');
        return 0;
      }
      case 'get-value': {
        const def = store.find(need());
        if (!def) throw new SecretError(`no secret with uuid or usage '${arg}'`);
        if (def.private) throw new SecretError(`secret ${def.uuid} is private: its value cannot be read back`);
        const v = store.value({ uuid: def.uuid, usageType: def.usageType ?? '' });
        if (!v) throw new SecretError(`secret ${def.uuid} has no value`);
        process.stdout.write(Buffer.from(v).toString('base64') + '\n');
        return 0;
      }
      case 'list': {
        const rows = store.list().map((d) => ` ${d.uuid}  ${d.usageType ? `${d.usageType} ${d.usageId}` : ''}`);
        process.stdout.write([' UUID                                  Usage', '-'.repeat(60), ...rows].join('\n') + '\n');
        return 0;
      }
      case 'undefine': {
        const def = store.undefine(need());
        process.stdout.write(`secret ${def.uuid} deleted\n`);
        return 0;
      }
      default: throw new UsageError(`unknown secret action '${action}'\n${SECRET_USAGE}`);
    }
  } catch (e) {
    if (e instanceof SecretError) throw new RuntimeError(e.message);
    throw e;
  }
}
