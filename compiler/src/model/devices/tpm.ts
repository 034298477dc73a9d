// <tpm>: a TPM front end and the host TPM it talks to.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Tpm {
  kind: 'tpm';
  model?: 'tpm-tis' | 'tpm-crb' | 'tpm-spapr' | 'spapr-tpm-proxy';
  backend:
    | { type: 'passthrough'; path: string }
    | { type: 'emulator'; version?: string }
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
    // the emulator's state, secrets and profile configure swtpm, which lowering rejects as a whole
    b!.acceptSubtree();
    backend = { type: 'emulator', version: b!.attr('version') };
  }
  return { kind: 'tpm', model, backend, info: readDeviceInfo(r, { boot: false }) };
}
