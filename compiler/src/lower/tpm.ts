// <tpm> → -tpmdev (passthrough via -add-fd sets, or a swtpm socket chardev: one we start, or
// an external one) + the TIS/CRB front end.
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { keyval } from './qemu-opts.js';

/** sysfs file that cancels a running TPM command of a host TPM device node. */
function cancelPath(devicePath: string): string {
  const dev = devicePath.slice(devicePath.lastIndexOf('/') + 1);
  return `/sys/class/tpm/${dev}/device/cancel`;
}

export const tpmFamily: Family<'tpm'> = {
  kind: 'tpm',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `tpm${i}`; }); },
  lower(devs, ctx: LowerContext) {
    if (devs.length > 1) ctx.fail('invalid-config', 'only one TPM device is supported on x86', devs[1]!.info.range);
    for (const t of devs) {
      const r = t.info.range;
      const model = t.model ?? 'tpm-tis';
      if (model === 'tpm-spapr' || model === 'spapr-tpm-proxy') ctx.unsupported(`<tpm model='${model}'>`, r, 'pSeries only');
      if (t.info.address) ctx.fail('invalid-address', 'TPM devices on x86 take no address', r);
      ctx.requireFlag(model, `the ${model} device`, r);
      const alias = t.info.alias!;
      const b = t.backend;
      let tpmdev: string;
      if (b.type === 'passthrough') {
        ctx.requireFlag('tpm-passthrough', 'the TPM passthrough backend', r);
        const set = ctx.nextFdset();
        const fd = ctx.passFd({ kind: 'file', path: b.path, fdset: set });
        ctx.arg('-add-fd', `set=${set},fd=${fd},opaque=${alias}-tpm`);
        const cset = ctx.nextFdset();
        const cfd = ctx.passFd({ kind: 'file', path: cancelPath(b.path), fdset: cset, writeOnly: true });
        ctx.arg('-add-fd', `set=${cset},fd=${cfd},opaque=${alias}-cancel`);
        tpmdev = keyval([['id', `tpm-${alias}`], ['path', `/dev/fdset/${set}`], ['cancel-path', `/dev/fdset/${cset}`]], 'passthrough');
      } else if (b.type === 'external') {
        ctx.requireFlag('tpm-emulator', 'the TPM emulator backend', r);
        ctx.arg('-chardev', keyval([['id', 'chrtpm'], ['path', b.socket]], 'socket'));
        tpmdev = keyval([['id', `tpm-${alias}`], ['chardev', 'chrtpm']], 'emulator');
      } else {
        if (b.version === '1.2' && model === 'tpm-crb') ctx.fail('invalid-config', 'TPM 1.2 is not supported with the tpm-crb model', r);
        ctx.requireFlag('tpm-emulator', 'the TPM emulator backend', r);
        const { swtpmStorageDir, swtpmRunDir } = ctx.opts.paths;
        if (!swtpmStorageDir || !swtpmRunDir) ctx.unsupported("<tpm><backend type='emulator'>", r, 'no swtpm directories were given to the compiler');
        const d = ctx.domain;
        // libvirt's names: state by domain UUID and TPM version, socket by the domain's short name
        const socket = `${swtpmRunDir}/${ctx.opts.domainId}-${d.name}-swtpm.sock`;
        ctx.helpers.push({
          kind: 'swtpm', socket, stateDir: `${swtpmStorageDir}/${d.uuid}/${b.version === '2.0' ? 'tpm2' : 'tpm1.2'}`,
          version: b.version, vmid: `${d.name}:${d.uuid}`, purpose: `the emulated TPM ${b.version} of <tpm model='${model}'>`,
        });
        ctx.arg('-chardev', keyval([['id', 'chrtpm'], ['path', socket]], 'socket'));
        tpmdev = keyval([['id', `tpm-${alias}`], ['chardev', 'chrtpm']], 'emulator');
      }
      ctx.arg('-tpmdev', tpmdev!);
      ctx.device({ driver: model, tpmdev: `tpm-${alias}`, id: alias });
    }
  },
};
