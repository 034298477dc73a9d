// Tap netdevs as the runtime starts them (runtime/tap.ts), without touching the host's
// network: the taps here exist already (<target managed='no'>: the loopback device stands
// in), so nothing is created; the real creation is tested in runtime-host.test.ts.
import { describe, expect, it } from 'vitest';
import type { PassedFd, Plan } from '../compiler/src/index.js';
import { RuntimeError } from '../runtime/errors.js';
import type { DomainRecord } from '../runtime/state.js';
import { checkTaps, prepareTaps } from '../runtime/tap.js';

const MAC = 'fe:54:00:12:34:56';
const tap = (fd: number, extra: Partial<PassedFd> = {}): PassedFd => ({ fd, kind: 'tap', path: 'lo', tap: { mac: MAC, existing: true }, ...extra });
const vhost = (fd: number, required?: boolean): PassedFd => ({ fd, kind: 'vhost-net', path: '/dev/qdc-no-such-vhost-net', ...(required ? { required } : {}) });

function plan(netdev: string, passFds: PassedFd[]): Plan {
  return { argv: ['-name', 'guest=t', '-netdev', netdev, '-device', 'e1000,netdev=hostnet0'], passFds } as Plan;
}

describe('tap netdevs', () => {
  it('name their device instead of passing fds (JSON and keyval options)', () => {
    const rec = {} as DomainRecord;
    const json = prepareTaps(plan('{"type":"tap","fd":"4","sndbuf":1600,"id":"hostnet0"}', [tap(4)]), rec, () => {}, undefined);
    expect(JSON.parse(json[3]!)).toEqual({ type: 'tap', sndbuf: 1600, id: 'hostnet0', ifname: 'lo', script: 'no', downscript: 'no' });
    const kv = prepareTaps(plan('tap,fds=4:5,id=host,,net0', [tap(4), tap(5)]), rec, () => {}, undefined);
    expect(kv[3]).toBe('tap,id=host,,net0,ifname=lo,script=no,downscript=no,queues=2');
    expect(rec.taps).toBeUndefined(); // an existing tap is not ours to delete
  });

  it('fall back to the userspace backend when vhost-net cannot be opened, unless it was asked for', () => {
    const optional = plan('{"type":"tap","fd":"4","vhost":true,"vhostfd":"5","id":"hostnet0"}', [tap(4), vhost(5)]);
    expect(() => checkTaps(optional)).not.toThrow();
    expect(JSON.parse(prepareTaps(optional, {} as DomainRecord, () => {}, undefined)[3]!)).toEqual({ type: 'tap', id: 'hostnet0', ifname: 'lo', script: 'no', downscript: 'no' });
    const asked = plan('{"type":"tap","fd":"4","vhost":true,"vhostfd":"5","id":"hostnet0"}', [tap(4), vhost(5, true)]);
    expect(() => checkTaps(asked)).toThrow(RuntimeError);
    expect(() => checkTaps(asked)).toThrow(/vhost-net was asked for \(<driver name='vhost'>\), but \/dev\/qdc-no-such-vhost-net cannot be opened \(ENOENT\)/);
  });

  it('refuse what needs nothing created first: a missing existing tap, a clone device, no root, no bridge', () => {
    expect(() => checkTaps(plan('{"type":"tap","fd":"4","id":"hostnet0"}', [tap(4, { path: 'qdc-none0' })]))).toThrow(/uses the existing tap 'qdc-none0' \(<target managed='no'>\), which does not exist/);
    expect(() => checkTaps(plan('{"type":"tap","fd":"4","id":"hostnet0"}', [tap(4, { tap: { mac: MAC, cloneDevice: '/dev/tapclone' } })]))).toThrow(/tap clone device \/dev\/tapclone/);
    const bridged = plan('{"type":"tap","fd":"4","id":"hostnet0"}', [tap(4, { path: 'vnet%d', tap: { mac: MAC, bridge: 'qdc-nobr0' } })]);
    expect(() => checkTaps(bridged, 1000)).toThrow(/interface net0 \(<interface type='bridge'> on bridge 'qdc-nobr0'\) needs a tap device, and creating one needs root/);
    expect(() => checkTaps(bridged, 0)).toThrow(/there is no bridge 'qdc-nobr0' on this host/);
  });
});
