// <sound> → -device per card; HDA controllers get one -device per codec (hda-duplex when
// the XML lists none), and the codecs, not the controller, carry the audiodev.
import type { Sound, SoundCodec } from '../model/devices/sound.js';
import { soundTakesCodecs } from '../model/devices/sound.js';
import { devicesOf } from '../model/devices/index.js';
import { audiodevId } from './audio.js';
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';

const SOUND_DEVICE: Partial<Record<Sound['model'], string>> = {
  es1370: 'ES1370', ac97: 'AC97', ich6: 'intel-hda', ich9: 'ich9-intel-hda', usb: 'usb-audio', sb16: 'sb16',
};

const CODEC_DEVICE: Record<SoundCodec['type'], string> = { duplex: 'hda-duplex', micro: 'hda-micro', output: 'hda-output' };

function validate(ctx: LowerContext, s: Sound): void {
  const r = s.info.range;
  switch (s.model) {
    case 'usb': ctx.requireFlag('usb-audio', 'the usb-audio sound device', r); break;
    case 'ich9': ctx.requireFlag('ich9-intel-hda', 'the ich9-intel-hda sound device', r); break;
    case 'ich7': ctx.fail('unsupported', "sound card model 'ich7' is not supported by qemu", r); break;
    default: break;
  }
  for (const c of s.codecs) ctx.requireFlag(CODEC_DEVICE[c.type], `the ${CODEC_DEVICE[c.type]} codec`, r);
}

/** The PC speaker is part of the machine: -machine pcspk-audiodev= names its backend (the first pcspk counts). */
export function pcspkAudiodev(ctx: LowerContext): string | undefined {
  const spk = devicesOf(ctx.domain.devices, 'sound').find((s) => s.model === 'pcspk');
  if (!spk) return undefined;
  const id = audiodevId(ctx, spk.audioRef);
  if (!id) ctx.fail('invalid-reference', 'unable to find audio backend for sound device', spk.info.range);
  return id;
}

export const soundFamily: Family<'sound'> = {
  kind: 'sound',
  assignAliases(devs) {
    devs.forEach((s, i) => { if (!s.info.alias) s.info.alias = `sound${i}`; });
  },
  pciConnect(s) {
    switch (s.model) {
      case 'es1370': case 'ac97': case 'ich6': case 'ich9': return 'pci';
      default: return null;
    }
  },
  lower(devs, ctx: LowerContext) {
    for (const s of devs) {
      validate(ctx, s);
      if (s.model === 'pcspk') continue;
      const audiodev = audiodevId(ctx, s.audioRef);
      if (!audiodev) ctx.fail('invalid-reference', 'unable to find audio backend for sound device', s.info.range);
      const props: Record<string, unknown> = { driver: SOUND_DEVICE[s.model], id: s.info.alias };
      if (!soundTakesCodecs(s.model)) props.audiodev = audiodev;
      if (s.model === 'usb') Object.assign(props, usbDeviceProps(ctx, s.info));
      else if (s.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, s.info.address));
      Object.assign(props, acpiIndexProps(s.info));
      ctx.device(props);
      if (!soundTakesCodecs(s.model)) continue;
      const codecs: SoundCodec[] = s.codecs.length ? s.codecs : [{ type: 'duplex', cad: 0 }];
      for (const c of codecs) {
        ctx.device({ driver: CODEC_DEVICE[c.type], id: `${s.info.alias}-codec${c.cad}`, bus: `${s.info.alias}.0`, cad: c.cad, audiodev });
      }
    }
  },
};
