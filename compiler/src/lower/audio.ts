// <audio> → -audiodev {json}. Also the backend libvirt adds when the domain names none: it
// follows the graphics (SPICE streams audio itself; VNC and headless guests get no host audio
// unless qemu.conf allows it, and then QEMU_AUDIO_DRV from the host environment picks it).
import type { Range } from '../diagnostics.js';
import type { Audio, AudioDirection, AudioType } from '../model/devices/audio.js';
import { SDL_AUDIO_DRIVERS } from '../model/devices/audio.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';

/** QEMU's audiodev driver names, by libvirt audio type. */
const QEMU_AUDIO_DRIVER: Record<AudioType, string> = {
  none: 'none', alsa: 'alsa', coreaudio: 'coreaudio', jack: 'jack', oss: 'oss', pulseaudio: 'pa', sdl: 'sdl',
  spice: 'spice', file: 'wav', dbus: 'dbus',
};

function audioTypeFromQemuName(name: string): AudioType | undefined {
  return (Object.keys(QEMU_AUDIO_DRIVER) as AudioType[]).find((t) => QEMU_AUDIO_DRIVER[t] === name);
}

/** Add libvirt's implicit audio backend to a domain without <audio>. */
export function addImplicitAudio(ctx: LowerContext): void {
  const d = ctx.domain;
  if (devicesOf(d.devices, 'audio').length) return;
  const graphics = devicesOf(d.devices, 'graphics');
  let add = false;
  let passthrough = false;
  let type: AudioType = 'none';
  for (const g of graphics) {
    switch (g.type) {
      case 'vnc':
        passthrough = ctx.config.vncAllowHostAudio;
        if (!passthrough) type = 'none';
        add = true;
        break;
      case 'spice':
        passthrough = false;
        type = 'spice';
        add = true;
        break;
      case 'sdl':
        passthrough = true;
        type = 'sdl';
        add = true;
        break;
      default:
        break;
    }
  }
  if (!graphics.length) {
    passthrough = ctx.config.nogfxAllowHostAudio;
    if (!passthrough) type = 'none';
    add = true;
  }
  // a sound card always needs a backend to refer to
  if (devicesOf(d.devices, 'sound').length) add = true;
  if (!add) return;
  const env = ctx.opts.hostEnv;
  if (passthrough && env.QEMU_AUDIO_DRV !== undefined) {
    const t = audioTypeFromQemuName(env.QEMU_AUDIO_DRV);
    if (!t) ctx.fail('invalid-environment', `unknown QEMU_AUDIO_DRV setting ${env.QEMU_AUDIO_DRV}`, d.range);
    type = t!;
  }
  const audio: Audio = { kind: 'audio', id: 1, type, input: {}, output: {}, info: { range: d.range, userAlias: false } };
  if (type === 'sdl' && env.SDL_AUDIODRIVER !== undefined) {
    if (!(SDL_AUDIO_DRIVERS as readonly string[]).includes(env.SDL_AUDIODRIVER)) {
      ctx.fail('invalid-environment', `unknown SDL_AUDIODRIVER setting ${env.SDL_AUDIODRIVER}`, d.range);
    }
    audio.sdlDriver = env.SDL_AUDIODRIVER;
  }
  d.devices.push(audio);
}

/** The audiodev id a device refers to: the backend with that id, or the first backend. */
export function audiodevId(ctx: LowerContext, ref: { id: number; range: Range } | undefined): string | undefined {
  const audios = devicesOf(ctx.domain.devices, 'audio');
  if (ref) {
    const a = audios.find((x) => x.id === ref.id);
    if (!a) ctx.fail('invalid-reference', `no audio backend with id ${ref.id}`, ref.range);
    return `audio${a!.id}`;
  }
  return audios.length ? `audio${audios[0]!.id}` : undefined;
}

function directionProps(a: Audio, d: AudioDirection): Record<string, unknown> | undefined {
  const p: Record<string, unknown> = {};
  if (d.mixingEngine !== undefined) p['mixing-engine'] = d.mixingEngine;
  if (d.fixedSettings !== undefined) p['fixed-settings'] = d.fixedSettings;
  if (d.voices) p.voices = d.voices;
  if (d.bufferLength) p['buffer-length'] = d.bufferLength;
  // frequency, channels and format only mean something with fixed settings
  if (d.fixedSettings === true) {
    if (d.frequency) p.frequency = d.frequency;
    if (d.channels) p.channels = d.channels;
    if (d.format) p.format = d.format;
  }
  switch (a.type) {
    case 'alsa':
      if (d.dev !== undefined) p.dev = d.dev;
      break;
    case 'coreaudio': case 'sdl':
      if (d.bufferCount) p['buffer-count'] = d.bufferCount;
      break;
    case 'oss':
      if (d.dev !== undefined) p.dev = d.dev;
      if (d.bufferCount) p['buffer-count'] = d.bufferCount;
      if (d.tryPoll !== undefined) p['try-poll'] = d.tryPoll;
      break;
    case 'pulseaudio':
      if (d.name !== undefined) p.name = d.name;
      if (d.streamName !== undefined) p['stream-name'] = d.streamName;
      if (d.latency) p.latency = d.latency;
      break;
    case 'jack':
      if (d.serverName !== undefined) p['server-name'] = d.serverName;
      if (d.clientName !== undefined) p['client-name'] = d.clientName;
      if (d.connectPorts !== undefined) p['connect-ports'] = d.connectPorts;
      if (d.exactName !== undefined) p['exact-name'] = d.exactName;
      break;
    default:
      break;
  }
  return Object.keys(p).length ? p : undefined;
}

export const audioFamily: Family<'audio'> = {
  kind: 'audio',
  lower(devs, ctx: LowerContext) {
    const seen = new Set<number>();
    for (const a of devs) {
      if (seen.has(a.id)) ctx.fail('duplicate-id', `audio id ${a.id} is used by more than one <audio>`, a.info.range);
      seen.add(a.id);
    }
    for (const a of devs) {
      const props: Record<string, unknown> = { id: `audio${a.id}`, driver: QEMU_AUDIO_DRIVER[a.type] };
      if (a.timerPeriod) props['timer-period'] = a.timerPeriod;
      switch (a.type) {
        case 'oss':
          if (a.tryMMap !== undefined) props['try-mmap'] = a.tryMMap;
          if (a.exclusive !== undefined) props.exclusive = a.exclusive;
          if (a.dspPolicy !== undefined) props['dsp-policy'] = a.dspPolicy;
          break;
        case 'pulseaudio':
          if (a.serverName !== undefined) props.server = a.serverName;
          break;
        case 'sdl':
          // SDL picks its own output driver from the environment
          if (a.sdlDriver) ctx.env.push(['SDL_AUDIODRIVER', a.sdlDriver]);
          break;
        case 'file':
          if (a.path !== undefined) props.path = a.path;
          break;
        default:
          break;
      }
      props.in = directionProps(a, a.input);
      props.out = directionProps(a, a.output);
      ctx.arg('-audiodev', JSON.stringify(props));
    }
  },
};
