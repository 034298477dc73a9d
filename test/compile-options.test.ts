// Host facts the CLI hands the compiler: hugetlbfs page sizes as statfs reports them.
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/src/index.js';
import { goldenOptions } from './golden-options.js';

const DOMAIN = `<domain type='qemu'>
  <name>huge</name>
  <memory unit='GiB'>1</memory>
  <memoryBacking>
    <hugepages><page size='1' unit='GiB'/></hugepages>
  </memoryBacking>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;

describe('hugetlbfs page sizes', () => {
  const opts = () => { const o = goldenOptions(); o.config.hugetlbfs = ['/mnt/huge']; return o; };

  it('uses the page size the host reports for a mount whose path names none', () => {
    const r = compile(DOMAIN, { ...opts(), hostHugepageKiB: { '/mnt/huge': 1048576 } });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plan!.argv.join(' ')).toContain('"mem-path":"/mnt/huge/libvirt/qemu/1-huge"');
  });

  it('without the host\'s answer, falls back to the default size and says no mount fits', () => {
    const r = compile(DOMAIN, opts());
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics[0]!.message).toMatch(/no hugetlbfs mount offers 1048576 KiB pages/);
  });
});
