// Disk behaviour that golden .args files cannot show: <iotune> limits are applied through
// QMP after QEMU starts (libvirt 9.0 with -blockdev), so they live in the plan's QMP steps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/src/index.js';
import { goldenOptions } from './golden-options.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/golden/disk', name), 'utf8');

describe('disk iotune', () => {
  it('plans block_set_io_throttle for the disk device after start, before cont', () => {
    const r = compile(fixture('iotune-qmp.xml'), goldenOptions());
    expect(r.plan).toBeDefined();
    const steps = r.plan!.qmp.map((s) => s.execute);
    const i = steps.indexOf('block_set_io_throttle');
    expect(i).toBeGreaterThan(0);
    expect(i).toBeLessThan(steps.indexOf('cont'));
    expect(r.plan!.qmp[i]!.arguments).toEqual({
      id: '/machine/peripheral/virtio-disk0/virtio-backend',
      bps: 1000, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 50, iops_wr: 0, iops_rd_max: 100, group: 'grp',
    });
  });

  it('plans nothing for disks without limits', () => {
    const r = compile(fixture('virtio-chain.xml'), goldenOptions());
    expect(r.plan!.qmp.some((s) => s.execute === 'block_set_io_throttle')).toBe(false);
  });
});

describe('disk helpers and secrets', () => {
  it('asks the runtime for a qemu-pr-helper when reservations are managed', () => {
    const r = compile(fixture('managed-reservations.xml'), goldenOptions());
    expect(r.plan!.helpers).toEqual([{
      kind: 'pr-helper', socket: '/var/lib/qdc-golden/lib/qemu/domain-1-managed-reservations/pr-helper0.sock',
      purpose: expect.any(String),
    }]);
  });

  it('rejects NBD TLS when qemu.conf names a key secret', () => {
    const opts = goldenOptions();
    opts.config.nbdTLSx509secretUUID = '6fd3f62d-9fe7-4a4e-a869-7acd6376d8ea';
    const r = compile(fixture('nbd-tls.xml'), opts);
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unsupported']);
    expect(r.diagnostics[0]!.message).toContain('nbd_tls_x509_secret_uuid');
  });
});
