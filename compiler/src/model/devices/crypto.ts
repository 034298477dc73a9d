// <crypto>: the virtio crypto accelerator.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Crypto {
  kind: 'crypto';
  model: 'virtio';
  type: 'qemu';
  backend: 'builtin' | 'lkcf';
  queues?: number;
  info: DeviceInfo;
}

export function readCrypto(r: ElementReader): Crypto {
  const model = r.enumAttr('model', ['virtio'] as const);
  if (!model) r.fatal('missing-attribute', "<crypto> needs model='virtio'");
  const type = r.enumAttr('type', ['qemu'] as const);
  if (!type) r.fatal('missing-attribute', "<crypto> needs type='qemu'");
  const b = r.child('backend');
  if (!b) r.fatal('missing-element', '<crypto> needs a <backend>');
  const backend = b!.enumAttr('model', ['builtin', 'lkcf'] as const);
  if (!backend) b!.fatal('missing-attribute', '<backend> needs a model');
  return { kind: 'crypto', model: model!, type: type!, backend: backend!, queues: b!.intAttr('queues'), info: readDeviceInfo(r, { boot: false }) };
}
