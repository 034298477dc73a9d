// Firmware autoselection beyond the golden cases: descriptors as the host gives them (read
// from the standard directories, in priority order), the compiler without any, and the
// runtime's UEFI variable store.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, machineGlobMatches, parseFirmwareDescriptor, FirmwareDescriptorError, type Plan } from '../compiler/src/index.js';
import { readFirmwareDescriptors } from '../runtime/firmware-descriptors.js';
import { prepareNvram } from '../runtime/host-resources.js';
import { goldenOptions } from './golden-options.js';

const tmp = mkdtempSync('/tmp/qdc-firmware-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const domain = (firmware: string, machine = 'q35'): string => `<domain type='qemu'>
  <name>fw</name>
  <memory unit='MiB'>64</memory>
  <os firmware='${firmware}'><type arch='x86_64' machine='${machine}'>hvm</type></os>
  <features><acpi/></features>
</domain>`;

const fixture = (name: string): string => readFileSync(join('fixtures/firmware', name), 'utf8');

describe('firmware descriptors', () => {
  it('parses the QEMU format and rejects what it cannot use', () => {
    const d = parseFirmwareDescriptor(fixture('30-ovmf-secure.json'), '/x/30.json');
    expect(d).toMatchObject({ device: 'flash', mode: 'split', interfaces: ['uefi'], executable: { filename: '/usr/share/qdc-test/OVMF_CODE.secboot.fd', format: 'raw' } });
    expect(d.nvramTemplate?.filename).toBe('/usr/share/qdc-test/OVMF_VARS.fd');
    expect(() => parseFirmwareDescriptor('{', 'x')).toThrow(FirmwareDescriptorError);
    expect(() => parseFirmwareDescriptor('{"mapping":{"device":"tape"}}', 'x')).toThrow(/mapping.device 'tape'/);
    expect(() => parseFirmwareDescriptor('{"mapping":{"device":"flash"}}', 'x')).toThrow(/mapping.executable is missing/);
    expect(machineGlobMatches('pc-q35-*', 'pc-q35-8.0')).toBe(true);
    expect(machineGlobMatches('pc-q35-*', 'pc-i440fx-8.0')).toBe(false);
    expect(machineGlobMatches('virt-?.0', 'virt-7.0')).toBe(true);
  });

  it('reads the directories in priority order: a later file of the same name wins, an empty one hides it', () => {
    const [sys, etc, user] = ['sys', 'etc', 'user'].map((d) => { const p = join(tmp, d); mkdirSync(p, { recursive: true }); return p; });
    writeFileSync(join(sys!, '50-a.json'), fixture('40-ovmf.json'));
    writeFileSync(join(sys!, '60-b.json'), fixture('30-ovmf-secure.json'));
    writeFileSync(join(sys!, '70-c.json'), fixture('10-seabios.json'));
    writeFileSync(join(sys!, 'README'), 'not a descriptor');
    writeFileSync(join(etc!, '60-b.json'), fixture('50-ovmf-stateless.json'));
    writeFileSync(join(user!, '70-c.json'), '');
    writeFileSync(join(user!, '10-broken.json'), '{ "mapping": 3 }');
    const found = readFirmwareDescriptors([sys!, etc!, user!, join(tmp, 'missing')]);
    expect(found.descriptors.map((d) => d.path)).toEqual([join(sys!, '50-a.json'), join(etc!, '60-b.json')]);
    expect(found.descriptors[1]!.mode).toBe('stateless');
    expect(found.problems).toEqual([`${join(user!, '10-broken.json')}: 'mapping' is missing`]);
  });
});

describe('firmware autoselection without descriptors', () => {
  it('is unsupported when the compiler is given none at all', () => {
    const r = compile(domain('efi'), { ...goldenOptions(), firmware: undefined });
    expect(r.diagnostics[0]!.message).toMatch(/^unsupported: <os firmware='efi'> at 4:3 \(no firmware descriptors were given/);
  });

  it('leaves BIOS to QEMU when the host has no BIOS descriptor, and says what to install for UEFI', () => {
    const bios = compile(domain('bios'), { ...goldenOptions(), firmware: [] });
    expect(bios.plan!.argv).not.toContain('-bios');
    const efi = compile(domain('efi'), { ...goldenOptions(), firmware: () => [] });
    expect(efi.diagnostics[0]).toMatchObject({ code: 'no-firmware', message: expect.stringMatching(/no firmware descriptors found .* install ovmf/) });
  });

  it('reads the host descriptors only for a domain that asks', () => {
    let asked = 0;
    const firmware = (): never[] => { asked++; return []; };
    compile(domain('bios').replace(" firmware='bios'", ''), { ...goldenOptions(), firmware });
    expect(asked).toBe(0);
    compile(domain('bios'), { ...goldenOptions(), firmware });
    expect(asked).toBe(1);
  });
});

describe('UEFI variable store', () => {
  const plan = (nvram: Plan['nvram']): Plan => ({ nvram } as Plan);

  it('is created from its template, 0600, and an existing one is never touched', () => {
    const template = join(tmp, 'VARS.fd');
    writeFileSync(template, 'template vars');
    const store = join(tmp, 'root/lib/qemu/nvram/fw_VARS.fd');
    prepareNvram(plan({ path: store, template }), undefined);
    expect(readFileSync(store, 'utf8')).toBe('template vars');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    writeFileSync(store, 'the guest\'s variables');
    prepareNvram(plan({ path: store, template }), undefined);
    expect(readFileSync(store, 'utf8')).toBe('the guest\'s variables');
  });

  it('says what is missing, and leaves nothing half-written', () => {
    const store = join(tmp, 'nv/none_VARS.fd');
    expect(() => prepareNvram(plan({ path: store }), undefined)).toThrow(/does not exist, and there is no template/);
    expect(() => prepareNvram(plan({ path: store, template: join(tmp, 'no-such-template.fd') }), undefined)).toThrow(/its template .*no-such-template.fd does not exist/);
    expect(existsSync(store)).toBe(false);
    expect(existsSync(join(tmp, 'nv')) ? readdirSync(join(tmp, 'nv')) : []).toEqual([]);
  });
});
