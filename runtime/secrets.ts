// libvirt's secret driver without a daemon: the secrets disks name in <auth> and <encryption>,
// kept as libvirt's own driver keeps them — UUID.xml (the definition: usage, flags) and
// UUID.base64 (the value) — under ROOT/etc/secrets (embedded) or
// $XDG_CONFIG_HOME/libvirt/secrets (session). Values reach QEMU only encrypted with the
// domain's master key (secretProvider); they are never on a command line in clear.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml } from '../compiler/src/xml/parse.js';
import type { SecretLookup, SecretProvider } from '../compiler/src/index.js';
import type { RootLayout } from './root.js';
import { atomicWrite } from './atomic-write.js';

// node:crypto is loaded when a secret is used, not by every command that imports this module
const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

/** What each usage type calls the thing it names (libvirt's secret XML). */
const USAGE_ELEMENT: Record<string, string> = { volume: 'volume', ceph: 'name', iscsi: 'target', tls: 'name', vtpm: 'name' };

export interface SecretDef { uuid: string; usageType?: string; usageId?: string; description?: string; ephemeral: boolean; private: boolean }

export class SecretError extends Error {}

export function secretsDir(layout: RootLayout): string {
  return join(layout.root, layout.kind === 'embed' ? 'etc/secrets' : 'secrets');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A secret definition from its XML; throws SecretError with the position of what is wrong. */
export function parseSecretXml(text: string, file = 'secret XML'): SecretDef {
  const doc = parseXml(text);
  const at = (r: { start: { line: number; column: number } }): string => `${file}:${r.start.line}:${r.start.column}`;
  if (!doc.root) { const d = doc.diagnostics[0]!; throw new SecretError(`${at(d.range)}: ${d.message}`); }
  const root = doc.root;
  if (root.name !== 'secret') throw new SecretError(`${at(root.nameRange)}: not a secret definition: the root element is <${root.name}>, not <secret>`);
  const flag = (name: string): boolean => {
    const a = root.attrs.find((x) => x.name === name);
    if (a && a.value !== 'yes' && a.value !== 'no') throw new SecretError(`${at(a.valueRange)}: ${name} must be yes or no (got '${a.value}')`);
    return a?.value === 'yes';
  };
  const def: SecretDef = { uuid: '', ephemeral: flag('ephemeral'), private: flag('private') };
  for (const el of root.children) {
    if (el.name === 'uuid') {
      if (!UUID_RE.test(el.text.trim())) throw new SecretError(`${at(el.nameRange)}: '${el.text.trim()}' is not a UUID`);
      def.uuid = el.text.trim().toLowerCase();
    } else if (el.name === 'description') def.description = el.text;
    else if (el.name === 'usage') {
      const type = el.attrs.find((a) => a.name === 'type')?.value;
      if (!type || !USAGE_ELEMENT[type]) throw new SecretError(`${at(el.nameRange)}: usage type must be one of ${Object.keys(USAGE_ELEMENT).join(', ')}`);
      const id = el.children.find((c) => c.name === USAGE_ELEMENT[type]);
      if (!id || !id.text.trim()) throw new SecretError(`${at(el.nameRange)}: a usage of type '${type}' needs a <${USAGE_ELEMENT[type]}>`);
      def.usageType = type;
      def.usageId = id.text.trim();
    } else throw new SecretError(`${at(el.nameRange)}: unsupported: <${el.name}> in a secret definition`);
  }
  return def;
}

function secretXml(d: SecretDef): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const lines = [`<secret ephemeral='${d.ephemeral ? 'yes' : 'no'}' private='${d.private ? 'yes' : 'no'}'>`, `  <uuid>${d.uuid}</uuid>`];
  if (d.description !== undefined) lines.push(`  <description>${esc(d.description)}</description>`);
  if (d.usageType) {
    const el = USAGE_ELEMENT[d.usageType]!;
    lines.push(`  <usage type='${d.usageType}'>`, `    <${el}>${esc(d.usageId ?? '')}</${el}>`, '  </usage>');
  }
  return lines.concat('</secret>', '').join('\n');
}


export class SecretStore {
  constructor(readonly dir: string) {}

  private file(uuid: string, ext: 'xml' | 'base64'): string { return join(this.dir, `${uuid}.${ext}`); }

  list(): SecretDef[] {
    let names: string[];
    try { names = readdirSync(this.dir); } catch { return []; }
    const out: SecretDef[] = [];
    for (const n of names.filter((x) => x.endsWith('.xml')).sort()) {
      try { out.push(parseSecretXml(readFileSync(join(this.dir, n), 'utf8'), join(this.dir, n))); } catch { /* not ours to judge here */ }
    }
    return out;
  }

  find(uuidOrUsage: string): SecretDef | undefined {
    const all = this.list();
    return all.find((d) => d.uuid === uuidOrUsage.toLowerCase()) ?? all.find((d) => d.usageId === uuidOrUsage);
  }

  /** Stores a definition (a new uuid when it names none); the same uuid is redefined, another
   *  secret with the same usage is refused, as libvirt does. */
  define(text: string, file?: string): { def: SecretDef; created: boolean } {
    const def = parseSecretXml(text, file);
    if (!def.uuid) def.uuid = crypto().randomUUID();
    const existing = this.list();
    const clash = existing.find((d) => d.uuid !== def.uuid && d.usageType && d.usageType === def.usageType && d.usageId === def.usageId);
    if (clash) throw new SecretError(`secret ${clash.uuid} already has usage ${def.usageType} '${def.usageId}'`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    atomicWrite(this.file(def.uuid, 'xml'), secretXml(def));
    return { def, created: !existing.some((d) => d.uuid === def.uuid) };
  }

  setValue(uuid: string, value: Uint8Array): void {
    const def = this.find(uuid);
    if (!def) throw new SecretError(`no secret with uuid or usage '${uuid}'`);
    atomicWrite(this.file(def.uuid, 'base64'), Buffer.from(value).toString('base64') + '\n');
  }

  /** The value, or undefined when the secret has none (or there is no such secret). */
  value(ref: SecretLookup, defs: SecretDef[] = this.list()): Uint8Array | undefined {
    const def = ref.uuid !== undefined
      ? defs.find((d) => d.uuid === ref.uuid!.toLowerCase())
      : defs.find((d) => d.usageType === ref.usageType && d.usageId === ref.usageId);
    if (!def) return undefined;
    try { return Buffer.from(readFileSync(this.file(def.uuid, 'base64'), 'utf8').trim(), 'base64'); } catch { return undefined; }
  }

  undefine(uuid: string): SecretDef {
    const def = this.find(uuid);
    if (!def) throw new SecretError(`no secret with uuid or usage '${uuid}'`);
    rmSync(this.file(def.uuid, 'base64'), { force: true });
    rmSync(this.file(def.uuid, 'xml'), { force: true });
    return def;
  }
}

/** The compiler's view of the store for one start: values encrypted with `masterKey` (the
 *  32 bytes the runtime writes to master-key.aes), a fresh IV each. */
export function secretProvider(store: SecretStore, masterKey: Uint8Array): SecretProvider {
  let defs: SecretDef[] | undefined; // the definitions are read once per compilation, when first needed
  return {
    value: (ref) => store.value(ref, defs ??= store.list()),
    encrypt: (plain) => {
      const iv = crypto().randomBytes(16);
      const c = crypto().createCipheriv('aes-256-cbc', masterKey, iv);
      return { data: Buffer.concat([c.update(plain), c.final()]).toString('base64'), iv: iv.toString('base64') };
    },
  };
}
