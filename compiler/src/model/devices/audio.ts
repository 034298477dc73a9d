// <audio>: host audio backends (QEMU -audiodev), referenced by sound devices and VNC by id.
import type { Range } from '../../diagnostics.js';
import type { ElementReader } from '../../xml/reader.js';
import type { DeviceInfo } from '../device-info.js';

export const AUDIO_TYPES = ['none', 'alsa', 'coreaudio', 'jack', 'oss', 'pulseaudio', 'sdl', 'spice', 'file', 'dbus'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];

export const AUDIO_FORMATS = ['s8', 'u8', 's16', 'u16', 's32', 'u32', 'f32'] as const;
export const SDL_AUDIO_DRIVERS = ['esd', 'alsa', 'arts', 'pulseaudio'] as const;

/** One direction (<input> or <output>): the common settings plus what only some backends take. */
export interface AudioDirection {
  mixingEngine?: boolean;
  fixedSettings?: boolean;
  voices?: number;
  bufferLength?: number;
  frequency?: number;
  channels?: number;
  format?: string;
  /** alsa, oss */
  dev?: string;
  /** coreaudio, oss, sdl */
  bufferCount?: number;
  /** oss */
  tryPoll?: boolean;
  /** pulseaudio */
  name?: string;
  streamName?: string;
  latency?: number;
  /** jack */
  serverName?: string;
  clientName?: string;
  connectPorts?: string;
  exactName?: boolean;
}

export interface Audio {
  kind: 'audio';
  id: number;
  type: AudioType;
  timerPeriod?: number;
  input: AudioDirection;
  output: AudioDirection;
  /** pulseaudio */
  serverName?: string;
  /** sdl: SDL_AUDIODRIVER for QEMU */
  sdlDriver?: string;
  /** file */
  path?: string;
  /** oss */
  tryMMap?: boolean;
  exclusive?: boolean;
  dspPolicy?: number;
  info: DeviceInfo;
}

function readDirection(r: ElementReader | undefined, type: AudioType): AudioDirection {
  if (!r) return {};
  const d: AudioDirection = {
    mixingEngine: r.boolAttr('mixingEngine'), fixedSettings: r.boolAttr('fixedSettings'),
    voices: r.intAttr('voices'), bufferLength: r.intAttr('bufferLength'),
  };
  const s = r.child('settings');
  if (s) {
    d.frequency = s.intAttr('frequency');
    d.channels = s.intAttr('channels');
    d.format = s.enumAttr('format', AUDIO_FORMATS);
  }
  switch (type) {
    case 'alsa': d.dev = r.attr('dev'); break;
    case 'coreaudio': case 'sdl': d.bufferCount = r.intAttr('bufferCount'); break;
    case 'oss': d.dev = r.attr('dev'); d.bufferCount = r.intAttr('bufferCount'); d.tryPoll = r.boolAttr('tryPoll'); break;
    case 'pulseaudio': d.name = r.attr('name'); d.streamName = r.attr('streamName'); d.latency = r.intAttr('latency'); break;
    case 'jack':
      d.serverName = r.attr('serverName'); d.clientName = r.attr('clientName');
      d.connectPorts = r.attr('connectPorts'); d.exactName = r.boolAttr('exactName');
      break;
    default: break;
  }
  return d;
}

export function readAudio(r: ElementReader): Audio {
  const type = r.enumAttr('type', AUDIO_TYPES);
  if (!type) r.fatal('missing-attribute', "<audio> needs a type");
  const id = r.intAttr('id');
  if (id === undefined) r.fatal('missing-attribute', "<audio> needs an id");
  if (id! < 1) r.fatal('invalid-value', `audio id must be 1 or more (got ${id})`, 'id');
  const a: Audio = {
    kind: 'audio', id: id!, type: type!, timerPeriod: r.intAttr('timerPeriod'),
    input: readDirection(r.child('input'), type!), output: readDirection(r.child('output'), type!),
    info: { range: r.range, userAlias: false },
  };
  switch (type) {
    case 'pulseaudio': a.serverName = r.attr('serverName'); break;
    case 'sdl': a.sdlDriver = r.enumAttr('driver', SDL_AUDIO_DRIVERS); break;
    case 'file': a.path = r.attr('path'); break;
    case 'oss': a.tryMMap = r.boolAttr('tryMMap'); a.exclusive = r.boolAttr('exclusive'); a.dspPolicy = r.intAttr('dspPolicy'); break;
    default: break;
  }
  return a;
}

/** `<audio id='N'/>` inside <sound> / <graphics>: which backend the device uses. */
export function readAudioRef(r: ElementReader): { id: number; range: Range } | undefined {
  const ref = r.child('audio');
  if (!ref) return undefined;
  const id = ref.intAttr('id');
  if (id === undefined) ref.fatal('missing-attribute', "<audio> reference needs an id");
  return { id: id!, range: ref.range };
}
