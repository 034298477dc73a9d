// The language server over stdio, driven by a real protocol client.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompletionRequest, DefinitionRequest, DocumentSymbolRequest, ExecuteCommandRequest, HoverRequest, ReferencesRequest, RenameRequest,
  type CompletionItem, type CompletionList,
} from 'vscode-languageserver-protocol/node.js';
import { CONFORMANCE_DIR } from './golden-options.js';
import { TestClient, posOf } from './lsp/client.js';
import { SecretStore } from '../runtime/secrets.js';

const DOMAIN = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>lsp-test</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <input type='tablet' bus='usb'>
      <alias name='ua-tablet'/>
    </input>
    <memballoon model='virtio'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='usb-tablet,'/>
    <qemu:env name='QEMU_AUDIO_DRV' value='none'/>
  </qemu:commandline>
  <qemu:capabilities>
    <qemu:add capability='blockdev'/>
  </qemu:capabilities>
  <qemu:deprecation behavior='crash'/>
  <qemu:override>
    <qemu:device alias='ua-tablet'>
      <qemu:frontend>
        <qemu:property name='usb_version' type='string' value='2'/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
`;

let tmp: string;
let client: TestClient;
const uri = 'file:///work/lsp-test.xml';

const labels = (r: CompletionItem[] | CompletionList | null): string[] => (Array.isArray(r) ? r : r?.items ?? []).map((i) => i.label);
const complete = (text: string, marker: string, delta: number, doc = uri) =>
  client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: doc }, position: posOf(text, marker, delta) });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'qdc-lsp-'));
  // The corpus capabilities plus the probe-only parts (options, device types and properties)
  // the way `qdc caps` writes them.
  const base = readFileSync(join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml'), 'utf8');
  const extra = `  <option name='device'/>\n  <option name='object'/>\n  <option name='machine'/>\n  <option name='global'/>\n  <deviceType name='usb-tablet'/>\n  <deviceType name='virtio-balloon-pci'/>\n` +
    `  <deviceProps>\n    <device name='usb-tablet'>\n      <prop name='usb_version' type='uint32'/>\n      <prop name='port' type='str'/>\n      <prop name='serial' type='str'/>\n    </device>\n  </deviceProps>\n`;
  writeFileSync(join(tmp, 'caps.xml'), base.replace('</qemuCaps>', `${extra}</qemuCaps>`));
  client = new TestClient();
  await client.initialize({ capsFile: join(tmp, 'caps.xml'), root: join(tmp, 'root') });
});

afterAll(async () => {
  await client?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('language server', () => {
  it('publishes grammar diagnostics at the element name', async () => {
    const bad = DOMAIN.replace("<memballoon model='virtio'/>", "<memballoon model='virtio'/>\n    <frobnicator/>");
    const d = await client.open('file:///work/bad.xml', bad);
    const e = d.diagnostics.find((x) => x.code === 'schema-element');
    expect(e?.message).toMatch(/element <frobnicator> is not allowed inside <devices>/);
    expect(e?.range.start).toEqual(posOf(bad, 'frobnicator'));
    expect(e?.range.end).toEqual(posOf(bad, 'frobnicator', 'frobnicator'.length));
  });

  it('points at the attribute value and names the allowed values', async () => {
    const bad = DOMAIN.replace("behavior='crash'", "behavior='warn'");
    const d = await client.open('file:///work/bad-value.xml', bad);
    const e = d.diagnostics.find((x) => /behavior/.test(x.message));
    expect(e?.message).toMatch(/none, omit, reject, crash/);
    expect(e?.range.start).toEqual(posOf(bad, "behavior='warn'", 10));
  });

  it('publishes the compiler\'s errors on grammar-valid documents', async () => {
    const bad = DOMAIN.replace("machine='pc'", "machine='q35'").replace("<memballoon model='virtio'/>", "<memballoon model='virtio'/>\n    <controller type='ide' index='0'/>");
    const d = await client.open('file:///work/bad-compile.xml', bad);
    const e = d.diagnostics.find((x) => x.code === 'unsupported-controller');
    expect(e?.message).toMatch(/IDE controllers are not supported on q35/);
    expect(e?.range.start).toEqual(posOf(bad, "<controller type='ide'"));
  });

  it('completes elements, attributes and values the grammar allows, also half-typed', async () => {
    const half = DOMAIN.slice(0, DOMAIN.indexOf("    <memballoon")) + '    <memballoon mod';
    await client.open('file:///work/half-grammar.xml', half);
    const attrs = await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: 'file:///work/half-grammar.xml' }, position: posOf(half, '<memballoon mod', '<memballoon mod'.length) });
    expect(labels(attrs)).toContain('model');
    const half2 = DOMAIN.slice(0, DOMAIN.indexOf("    <memballoon")) + "    <memballoon model='";
    await client.open('file:///work/half-grammar2.xml', half2);
    const vals = await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: 'file:///work/half-grammar2.xml' }, position: posOf(half2, "model='", 7) });
    expect(labels(vals)).toEqual(expect.arrayContaining(['virtio', 'none']));
    const half3 = DOMAIN.slice(0, DOMAIN.indexOf("    <memballoon")) + '    <';
    await client.open('file:///work/half-grammar3.xml', half3);
    const els = await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: 'file:///work/half-grammar3.xml' }, position: posOf(half3, '    <', 5, 0 + (half3.split('    <').length - 2)) });
    expect(labels(els)).toEqual(expect.arrayContaining(['disk', 'interface', 'memballoon']));
  });

  it('completes an element with what the grammar requires: attributes as tab stops, value choices, children, or an empty tag', async () => {
    const half = DOMAIN.slice(0, DOMAIN.indexOf('    <memballoon')) + '    <';
    const at = { textDocument: { uri: 'file:///work/half-snippet.xml' }, position: posOf(half, '    <', 5, half.split('    <').length - 2) };
    await client.open(at.textDocument.uri, half);
    const r = await client.conn.sendRequest(CompletionRequest.type, at);
    const items = Array.isArray(r) ? r : r!.items;
    const edit = (label: string): string | undefined => {
      const e = items.find((i) => i.label === label)?.textEdit;
      return e && 'newText' in e ? e.newText : undefined;
    };
    expect(items.find((i) => i.label === 'rng')?.insertTextFormat).toBe(2); // snippet
    expect(edit('rng')).toBe("rng model='${1|virtio,virtio-transitional,virtio-non-transitional|}'>\n\t<backend model='${2|random,egd,builtin|}'>$3</backend>$0\n</rng>");
    expect(edit('disk')).toBe("disk>\n\t<target dev='$1'/>$0\n</disk>");
    expect(edit('watchdog')).toMatch(/^watchdog model='\$\{1\|i6300esb,ib700,diag288\|\}'>\$0<\/watchdog>$/);
    // nothing required: the bare form, with a stop for attributes
    expect(edit('video')).toBe('video$1>$0</video>');

    const inFeatures = DOMAIN.slice(0, DOMAIN.indexOf('<acpi/>')) + '<';
    const f = { textDocument: { uri: 'file:///work/half-snippet2.xml' }, position: posOf(inFeatures, '<features><', '<features><'.length) };
    await client.open(f.textDocument.uri, inFeatures);
    const fr = await client.conn.sendRequest(CompletionRequest.type, f);
    const acpi = (Array.isArray(fr) ? fr : fr!.items).find((i) => i.label === 'acpi')?.textEdit;
    expect(acpi && 'newText' in acpi ? acpi.newText : undefined).toBe('acpi$1/>$0'); // must be empty
  });

  it('warns about taint and about override types that do not fit QEMU', async () => {
    const d = await client.open(uri, DOMAIN);
    const codes = d.diagnostics.map((x) => x.code);
    expect(codes.filter((c) => c === 'tainted').length).toBe(4);
    const t = d.diagnostics.find((x) => x.code === 'qemu-property-type');
    expect(t?.message).toMatch(/uint32: use type='unsigned'/);
    expect(t?.range.start).toEqual(posOf(DOMAIN, "type='string' value='2'", 6));
  });

  it('completes capability names, marking retired ones', async () => {
    const r = await complete(DOMAIN, "capability='blockdev'", 12);
    const items = (Array.isArray(r) ? r : r!.items);
    expect(items.length).toBe(442);
    expect(items.find((i) => i.label === 'virtio-scsi-pci')?.detail).toBe('the probed QEMU has it');
    expect(items.find((i) => i.label === 'virtio-crypto')).toBeUndefined(); // libvirt 9.0 does not know it
    expect(items.find((i) => i.label === 'sev-guest')?.detail).toBe('the probed QEMU lacks it');
    expect(items.find((i) => i.label === 'drive')?.tags).toEqual([1]);
  });

  it('completes capability names on a half-typed document', async () => {
    const half = DOMAIN.slice(0, DOMAIN.indexOf("<qemu:add capability='blockdev'/>")) + "<qemu:add capability='vir";
    await client.open('file:///work/half.xml', half);
    const r = await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: 'file:///work/half.xml' }, position: posOf(half, "capability='vir", 15) });
    expect(labels(r)).toContain('virtio-scsi-pci');
  });

  it('completes deprecation behaviours and override types with the fitting one first', async () => {
    expect(labels(await complete(DOMAIN, "behavior='crash'", 10))).toEqual(['none', 'omit', 'reject', 'crash']);
    const r = await complete(DOMAIN, "type='string' value='2'", 6);
    const items = Array.isArray(r) ? r : r!.items;
    expect(items.find((i) => i.preselect)?.label).toBe('unsigned');
  });

  it('completes aliases: declared and compiler-assigned', async () => {
    const l = labels(await complete(DOMAIN, "alias='ua-tablet'", 7));
    expect(l).toContain('ua-tablet');
    expect(l).toContain('balloon0');
    expect(l).toContain('usb');
  });

  it('completes the real property names of the device behind an alias', async () => {
    const r = await complete(DOMAIN, "name='usb_version'", 6);
    const items = Array.isArray(r) ? r : r!.items;
    expect(items.map((i) => i.label)).toEqual(['usb_version', 'port', 'serial']);
    expect(items[0]!.detail).toMatch(/uint32/);
  });

  it('completes qemu:arg options, device types and then properties', async () => {
    expect(labels(await complete(DOMAIN, "value='-device'", 7))).toContain('-object');
    const types = labels(await complete(DOMAIN, "value='usb-tablet,'", 7));
    expect(types).toContain('virtio-balloon-pci');
    const props = labels(await complete(DOMAIN, "value='usb-tablet,'", 7 + 'usb-tablet,'.length));
    expect(props).toContain('usb_version=');
  });

  it('completes well-known environment variables', async () => {
    expect(labels(await complete(DOMAIN, "name='QEMU_AUDIO_DRV'", 6))).toContain('SDL_AUDIODRIVER');
  });

  it('completes secret uuids and usages from the root\'s secret store, by the secret\'s type', async () => {
    const store = new SecretStore(join(tmp, 'root/etc/secrets'));
    store.define("<secret><uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid><description>vm disk</description><usage type='volume'><volume>/vm/disk.luks</volume></usage></secret>");
    store.define("<secret><uuid>1b92a6c3-9514-4c34-b9e7-32ddd3a91e70</uuid><usage type='ceph'><name>client.libvirt</name></usage></secret>");
    const text = DOMAIN.replace("<memballoon model='virtio'/>", `<disk type='file' device='disk'>
      <source file='/vm/disk.luks'><encryption format='luks'><secret type='passphrase' usage='/vm/d'/></encryption></source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='pool/img'><host name='mon' port='6789'/><auth username='libvirt'><secret type='ceph' uuid=''/></auth></source>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <memballoon model='virtio'/>`);
    const doc = 'file:///work/secrets.xml';
    await client.open(doc, text);
    expect(labels(await complete(text, "usage='/vm/d", "usage='/vm/d".length, doc))).toEqual(['/vm/disk.luks']);
    expect(labels(await complete(text, "uuid=''", "uuid='".length, doc))).toEqual(['1b92a6c3-9514-4c34-b9e7-32ddd3a91e70']);
  });

  it('hovers capability names with whether the probed QEMU has them', async () => {
    const h = await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: posOf(DOMAIN, "capability='blockdev'", 14) });
    expect(JSON.stringify(h?.contents)).toMatch(/QEMU capability \*\*blockdev\*\*/);
  });

  it('navigates and renames aliases', async () => {
    const useAt = posOf(DOMAIN, "alias='ua-tablet'", 9);
    const def = await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: useAt });
    expect(Array.isArray(def) && (def[0] as { range: { start: unknown } }).range.start).toEqual(posOf(DOMAIN, "name='ua-tablet'", 6));
    const refs = await client.conn.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: posOf(DOMAIN, "name='ua-tablet'", 8), context: { includeDeclaration: true } });
    expect(refs?.length).toBe(2);
    const edit = await client.conn.sendRequest(RenameRequest.type, { textDocument: { uri }, position: useAt, newName: 'ua-pointer' });
    expect(edit?.changes?.[uri]?.map((e) => e.newText)).toEqual(['ua-pointer', 'ua-pointer']);
  });

  it('lists the device outline as document symbols', async () => {
    const syms = await client.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    const json = JSON.stringify(syms);
    expect(json).toContain('"name":"devices"');
    expect(json).toContain('"detail":"tablet [ua-tablet]"');
  });

  it('shows the generated command line', async () => {
    const r = await client.conn.sendRequest(ExecuteCommandRequest.type, { command: 'qdc.lsp.showCommandLine', arguments: [{ uri }] }) as { ok: boolean; args: string };
    expect(r.ok).toBe(true);
    expect(r.args).toContain('-compat deprecated-input=crash,deprecated-output=hide');
    expect(r.args).toContain('"usb_version":"2"');
  });
});
