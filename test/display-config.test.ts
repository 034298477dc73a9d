// Graphics and audio behaviour that depends on qemu.conf, the host environment or QMP
// (which golden fixtures, compiled with fixed options, cannot show).
import { describe, expect, it } from 'vitest';
import { compile, type CompileOptions, type DriverConfig } from '../compiler/src/index.js';
import { goldenOptions } from './golden-options.js';

function domain(devices: string): string {
  return `<domain type='qemu'><name>d</name><uuid>6f1b5c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b</uuid>
  <memory unit='MiB'>128</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${devices}<memballoon model='none'/></devices></domain>`;
}

function run(devices: string, tweak: (o: CompileOptions & { config: DriverConfig }) => void = () => {}) {
  const opts = goldenOptions();
  tweak(opts);
  const r = compile(domain(devices), opts);
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  const argv = r.plan?.argv ?? [];
  const opt = (name: string): string[] => argv.flatMap((a, i) => (a === name ? [argv[i + 1]!] : []));
  return { r, errors, argv, opt, env: r.plan?.env ?? [] };
}

describe('vnc with qemu.conf settings', () => {
  it('adds TLS credentials and SASL', () => {
    const t = run("<graphics type='vnc' port='5903' autoport='no' listen='127.0.0.1'/>", (o) => {
      Object.assign(o.config, { vncTLS: true, vncTLSx509verify: true, vncSASL: true, vncSASLdir: '/etc/sasl2-vnc' });
    });
    expect(t.errors).toEqual([]);
    expect(t.opt('-object')).toContain('{"qom-type":"tls-creds-x509","id":"vnc-tls-creds0","dir":"/etc/pki/libvirt-vnc","endpoint":"server","verify-peer":true}');
    expect(t.opt('-vnc')).toEqual(['127.0.0.1:3,tls-creds=vnc-tls-creds0,sasl=on,audiodev=audio1']);
    expect(t.env).toContainEqual(['SASL_CONF_PATH', '/etc/sasl2-vnc']);
  });

  it('uses a socket in the domain directory with vnc_auto_unix_socket', () => {
    const t = run("<graphics type='vnc'/>", (o) => { o.config.vncAutoUnixSocket = true; });
    expect(t.opt('-vnc')).toEqual([`vnc=unix:${t.r.plan!.domainDir}/vnc.sock,audiodev=audio1`]);
  });

  it('sets the qemu.conf password over QMP', () => {
    const t = run("<graphics type='vnc'/>", (o) => { o.config.vncPassword = 'conf-pw'; });
    expect(t.opt('-vnc')).toEqual(['127.0.0.1:0,password=on,audiodev=audio1']);
    const steps = t.r.plan!.qmp.filter((s) => s.execute.endsWith('_password'));
    expect(steps.map((s) => [s.execute, s.arguments])).toEqual([
      ['set_password', { protocol: 'vnc', password: 'conf-pw', connected: 'keep' }],
      ['expire_password', { protocol: 'vnc', time: 'never' }],
    ]);
  });

  it('expires a password at passwdValidTo (UTC)', () => {
    const t = run("<graphics type='vnc' passwd='x' passwdValidTo='2011-05-31T16:11:22'/>");
    const exp = t.r.plan!.qmp.find((s) => s.execute === 'expire_password');
    expect(exp?.arguments).toEqual({ protocol: 'vnc', time: String(Date.UTC(2011, 4, 31, 16, 11, 22) / 1000) });
  });
});

describe('spice with qemu.conf settings', () => {
  it('uses TLS, SASL and the configured password', () => {
    const t = run(`<graphics type='spice' port='5903' tlsPort='5904' autoport='no' defaultMode='secure' connected='fail'>
      <listen type='address' address='127.0.0.1'/><channel name='inputs' mode='insecure'/></graphics>`, (o) => {
      Object.assign(o.config, { spiceTLS: true, spiceSASL: true, spicePassword: '123456' });
    });
    expect(t.errors).toEqual([]);
    expect(t.opt('-spice')).toEqual([
      'port=5903,tls-port=5904,addr=127.0.0.1,sasl=on,x509-dir=/etc/pki/libvirt-spice,tls-channel=default,plaintext-channel=inputs,seamless-migration=on',
    ]);
    expect(t.env).toContainEqual(['SASL_CONF_PATH', '/etc/sasl2']);
    expect(t.r.plan!.qmp.find((s) => s.execute === 'set_password')?.arguments).toEqual({ protocol: 'spice', password: '123456', connected: 'fail' });
  });

  it('allocates both ports for autoport when TLS is on', () => {
    const t = run("<graphics type='spice' autoport='yes'/>", (o) => { o.config.spiceTLS = true; });
    expect(t.opt('-spice')).toEqual(['port=5901,tls-port=5902,addr=127.0.0.1,disable-ticketing=on,x509-dir=/etc/pki/libvirt-spice,seamless-migration=on']);
  });

  it('rejects a secure autoport without TLS', () => {
    const t = run("<graphics type='spice' autoport='yes' defaultMode='secure'/>");
    expect(t.errors).toEqual(['Auto allocation of spice TLS port requested but spice TLS is disabled in qemu.conf']);
  });

  it('uses a socket with spice_auto_unix_socket', () => {
    const t = run("<graphics type='spice' autoport='yes'><listen type='address'/></graphics>", (o) => { o.config.spiceAutoUnixSocket = true; });
    expect(t.opt('-spice')).toEqual([`unix,addr=${t.r.plan!.domainDir}/spice.sock,disable-ticketing=on,seamless-migration=on`]);
  });
});

describe('implicit audio backend', () => {
  it('is none for VNC unless vnc_allow_host_audio, then QEMU_AUDIO_DRV', () => {
    expect(run("<graphics type='vnc'/>", (o) => { o.hostEnv.QEMU_AUDIO_DRV = 'alsa'; }).opt('-audiodev')).toEqual(['{"id":"audio1","driver":"none"}']);
    const t = run("<graphics type='vnc'/>", (o) => { o.config.vncAllowHostAudio = true; o.hostEnv.QEMU_AUDIO_DRV = 'pa'; });
    expect(t.opt('-audiodev')).toEqual(['{"id":"audio1","driver":"pa"}']);
  });

  it('follows QEMU_AUDIO_DRV without graphics when nographics_allow_host_audio', () => {
    const t = run('', (o) => { o.config.nogfxAllowHostAudio = true; o.hostEnv.QEMU_AUDIO_DRV = 'alsa'; });
    expect(t.opt('-audiodev')).toEqual(['{"id":"audio1","driver":"alsa"}']);
  });

  it('is sdl for SDL graphics, with SDL_AUDIODRIVER passed on', () => {
    const t = run("<graphics type='sdl'/>", (o) => { o.hostEnv.SDL_AUDIODRIVER = 'esd'; });
    expect(t.opt('-audiodev')).toEqual(['{"id":"audio1","driver":"sdl"}']);
    expect(t.env).toContainEqual(['SDL_AUDIODRIVER', 'esd']);
  });

  it('rejects unknown environment values', () => {
    expect(run("<graphics type='sdl'/>", (o) => { o.hostEnv.QEMU_AUDIO_DRV = 'beeper'; }).errors).toEqual(['unknown QEMU_AUDIO_DRV setting beeper']);
    expect(run("<graphics type='sdl'/>", (o) => { o.hostEnv.SDL_AUDIODRIVER = 'default'; }).errors).toEqual(['unknown SDL_AUDIODRIVER setting default']);
  });

  it('is not added for egl-headless alone', () => {
    const t = run("<graphics type='egl-headless'><gl rendernode='/dev/dri/renderD128'/></graphics>");
    expect(t.opt('-audiodev')).toEqual([]);
    expect(t.opt('-display')).toEqual(['egl-headless,rendernode=/dev/dri/renderD128']);
  });
});

describe('render node lookup', () => {
  it('takes the host render node for egl-headless and spice gl', () => {
    const t = run("<graphics type='egl-headless'/>", (o) => { o.hostRenderNode = '/dev/dri/renderD130'; });
    expect(t.opt('-display')).toEqual(['egl-headless,rendernode=/dev/dri/renderD130']);
    const s = run("<graphics type='spice'><gl enable='yes'/></graphics>", (o) => { o.hostRenderNode = '/dev/dri/renderD130'; });
    expect(s.opt('-spice')).toEqual(['port=0,disable-ticketing=on,gl=on,rendernode=/dev/dri/renderD130,seamless-migration=on']);
  });
});
