// <sound>: emulated sound cards; HDA controllers carry codecs.
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readAudioRef } from './audio.js';

export const SOUND_MODELS = ['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'ich7'] as const;
export type SoundModel = (typeof SOUND_MODELS)[number];

export interface SoundCodec { type: 'duplex' | 'micro' | 'output'; cad: number }

export interface Sound {
  kind: 'sound';
  model: SoundModel;
  codecs: SoundCodec[];
  audioRef?: { id: number; range: Range };
  info: DeviceInfo;
}

/** HDA controllers take codecs; every other model is the audio device itself. */
export function soundTakesCodecs(model: SoundModel): boolean {
  return model === 'ich6' || model === 'ich9' || model === 'ich7';
}

export function readSound(r: ElementReader): Sound {
  const model = r.enumAttr('model', SOUND_MODELS);
  if (!model) r.fatal('missing-attribute', "<sound> needs a model");
  // codec addresses (cad) are the codecs' positions, as libvirt numbers them
  const codecs = !soundTakesCodecs(model!) ? [] : r.children('codec').map((c, cad): SoundCodec => {
    const type = c.enumAttr('type', ['duplex', 'micro', 'output'] as const);
    if (!type) c.fatal('missing-attribute', "<codec> needs a type");
    return { type: type!, cad };
  });
  return { kind: 'sound', model: model!, codecs, audioRef: readAudioRef(r), info: readDeviceInfo(r, { boot: false }) };
}
