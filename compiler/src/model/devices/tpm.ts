// <tpm>: a TPM front end and the host TPM it talks to.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Tpm {
  kind: 'tpm';
  model?: 'tpm-tis' | 'tpm-crb' | 'tpm-spapr' | 'spapr-tpm-proxy';
  backend:
    | { type: 'passthrough'; path: string }
    | { type: 'emulator'; version: '1.2' | '2.0' }
    | { type: 'external'; socket: string };
  info: DeviceInfo;
}

export function readTpm(r: ElementReader): Tpm {
  const model = r.enumAttr('model', ['tpm-tis', 'tpm-crb', 'tpm-spapr', 'spapr-tpm-proxy'] as const);
  const b = r.child('backend');
  if (!b) r.fatal('missing-element', '<tpm> needs a <backend>');
  const type = b!.enumAttr('type', ['passthrough', 'emulator', 'external'] as const);
  if (!type) b!.fatal('missing-attribute', '<backend> needs a type');
  let backend: Tpm['backend'];
  if (type === 'passthrough') {
    backend = { type, path: b!.child('device')?.attr('path') ?? '/dev/tpm0' };
  } else if (type === 'external') {
    const src = b!.child('source');
    if (!src) b!.fatal('missing-element', "an external TPM backend needs <source type='unix' path>");
    const st = src!.attr('type') ?? 'unix';
    if (st !== 'unix') src!.fatal('invalid-value', `an external TPM backend is reached over a unix socket (got '${st}')`, 'type');
    const mode = src!.attr('mode') ?? 'connect';
    if (mode !== 'connect') src!.fatal('invalid-value', `an external TPM socket is connected to, not bound (got mode '${mode}')`, 'mode');
    backend = { type, socket: src!.requireAttr('path') };
  } else {
    for (const c of ['encryption', 'active_pcr_banks', 'profile', 'source']) {
      const e = b!.child(c);
      if (e) e.fatal('unsupported', `unsupported: <tpm><backend type='emulator'><${c}> at ${e.range.start.line}:${e.range.start.column}`);
    }
    if (b!.attr('persistent_state') !== undefined) b!.fatal('unsupported', `unsupported: <backend persistent_state> at ${b!.range.start.line}:${b!.range.start.column} (qdc always keeps the TPM state)`, 'persistent_state');
    // libvirt's default: TPM 2.0 for the CRB interface, 1.2 for TIS
    const version = b!.enumAttr('version', ['1.2', '2.0'] as const) ?? (model === 'tpm-crb' ? '2.0' : '1.2');
    backend = { type: 'emulator', version };
  }
  return { kind: 'tpm', model, backend, info: readDeviceInfo(r, { boot: false }) };
}
