// The daemon-less secret store (libvirt's UUID.xml + UUID.base64 files) and what the
// compiler gets from it: values only ever encrypted with the start's master key.
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSecretXml, SecretError, SecretStore, secretProvider } from '../runtime/secrets.js';

const dir = mkdtempSync('/tmp/qdc-secrets-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret store', () => {
  it('reads libvirt secret XML and says where it is wrong', () => {
    expect(parseSecretXml("<secret ephemeral='no' private='yes'><uuid>0A81F5B2-8403-7B23-C8D6-21CCC2F80D6F</uuid><usage type='ceph'><name>client.admin</name></usage></secret>"))
      .toEqual({ uuid: '0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f', ephemeral: false, private: true, usageType: 'ceph', usageId: 'client.admin' });
    expect(() => parseSecretXml('<secret><usage type="disk"><volume>/x</volume></usage></secret>', 's.xml')).toThrow(/^s\.xml:1:10: usage type must be one of volume, ceph, iscsi, tls, vtpm/);
    expect(() => parseSecretXml('<secret><usage type="iscsi"><name>x</name></usage></secret>', 's.xml')).toThrow(/a usage of type 'iscsi' needs a <target>/);
    expect(() => parseSecretXml('<secret><uuid>nope</uuid></secret>', 's.xml')).toThrow(/'nope' is not a UUID/);
    expect(() => parseSecretXml('<domain/>', 's.xml')).toThrow(/not a secret definition/);
    expect(() => parseSecretXml('<secret', 's.xml')).toThrow(SecretError);
  });

  it('defines, redefines, refuses a second secret for one usage, sets values and undefines', () => {
    const store = new SecretStore(join(dir, 'etc/secrets'));
    const { def, created } = store.define("<secret private='yes'><usage type='volume'><volume>/vm/disk.luks</volume></usage></secret>");
    expect(created).toBe(true);
    expect(store.define(`<secret><uuid>${def.uuid}</uuid><usage type='volume'><volume>/vm/disk.luks</volume></usage></secret>`).created).toBe(false);
    expect(() => store.define("<secret><usage type='volume'><volume>/vm/disk.luks</volume></usage></secret>")).toThrow(/already has usage volume '\/vm\/disk.luks'/);
    expect(store.value({ uuid: def.uuid, usageType: 'volume' })).toBeUndefined();
    store.setValue('/vm/disk.luks', new TextEncoder().encode('letmein'));
    expect(Buffer.from(store.value({ usageType: 'volume', usageId: '/vm/disk.luks' })!).toString()).toBe('letmein');
    expect(store.value({ usageType: 'ceph', usageId: '/vm/disk.luks' })).toBeUndefined();
    for (const f of readdirSync(store.dir)) expect(statSync(join(store.dir, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(store.dir, `${def.uuid}.base64`), 'utf8')).toBe('bGV0bWVpbg==\n');
    expect(store.undefine(def.uuid).uuid).toBe(def.uuid);
    expect(readdirSync(store.dir)).toEqual([]);
    expect(() => store.setValue(def.uuid, new Uint8Array(1))).toThrow(/no secret with uuid or usage/);
  });

  it('hands the compiler values encrypted with the master key, a fresh IV each time', () => {
    const store = new SecretStore(join(dir, 'p'));
    store.define("<secret><uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid><usage type='iscsi'><target>t</target></usage></secret>");
    store.setValue('t', new TextEncoder().encode('chap-password'));
    const key = Buffer.alloc(32, 7);
    const p = secretProvider(store, key);
    const value = p.value({ usageType: 'iscsi', usageId: 't' })!;
    const a = p.encrypt(value);
    const b = p.encrypt(value);
    expect(a.iv).not.toBe(b.iv);
    const d = createDecipheriv('aes-256-cbc', key, Buffer.from(a.iv, 'base64'));
    expect(Buffer.concat([d.update(Buffer.from(a.data, 'base64')), d.final()]).toString()).toBe('chap-password');
  });
});
