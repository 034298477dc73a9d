// The device families. Each family module reads its own elements; an element with no
// reader is rejected as unsupported (never dropped).
import type { ElementReader } from '../../xml/reader.js';
import { readController, type Controller } from './controller.js';
import { readDisk, type Disk } from './disk.js';
import { readMemballoon, type Memballoon } from './memballoon.js';
import { readInput, type Input } from './input.js';
import { readMemoryDevice, type MemoryDevice } from './memory.js';
import { readInterface, type NetInterface } from './interface.js';
import { readAudio, type Audio } from './audio.js';
import { readGraphics, type Graphics } from './graphics.js';
import { readSound, type Sound } from './sound.js';
import { readVideo, type Video } from './video.js';
import { readChannel, readConsole, readParallel, readSerial, type Channel, type Console, type Parallel, type Serial } from './chardev.js';
import { readSmartcard, type Smartcard } from './smartcard.js';
import { readRedirdev, readRedirfilter, type Redirdev, type Redirfilter } from './redirdev.js';
import { readFilesystem, type Filesystem } from './filesystem.js';
import { readRng, type Rng } from './rng.js';
import { readWatchdog, type Watchdog } from './watchdog.js';
import { readPanic, type Panic } from './panic.js';
import { readTpm, type Tpm } from './tpm.js';
import { readVsock, type Vsock } from './vsock.js';
import { readIommu, type Iommu } from './iommu.js';
import { readShmem, type Shmem } from './shmem.js';
import { readHub, type Hub } from './hub.js';
import { readHostdev, type Hostdev } from './hostdev.js';
import { readLease, type Lease } from './lease.js';
import { readNvramDevice, type NvramDevice } from './nvram-device.js';
import { readCrypto, type Crypto } from './crypto.js';

export type Device = Controller | Disk | Memballoon | Input | MemoryDevice | NetInterface
  | Serial | Parallel | Channel | Console | Smartcard | Redirdev | Redirfilter | Audio | Graphics | Sound | Video
  | Filesystem | Rng | Watchdog | Panic | Tpm | Vsock | Iommu | Shmem | Hub | Hostdev | Lease | NvramDevice | Crypto;

const READERS: Record<string, (r: ElementReader) => Device> = {
  controller: readController,
  disk: readDisk,
  memballoon: readMemballoon,
  input: readInput,
  memory: readMemoryDevice,
  interface: readInterface,
  audio: readAudio,
  graphics: readGraphics,
  sound: readSound,
  video: readVideo,
  serial: readSerial,
  parallel: readParallel,
  channel: readChannel,
  console: readConsole,
  smartcard: readSmartcard,
  redirdev: readRedirdev,
  redirfilter: readRedirfilter,
  filesystem: readFilesystem,
  rng: readRng,
  watchdog: readWatchdog,
  panic: readPanic,
  tpm: readTpm,
  vsock: readVsock,
  iommu: readIommu,
  shmem: readShmem,
  hub: readHub,
  hostdev: readHostdev,
  lease: readLease,
  nvram: readNvramDevice,
  crypto: readCrypto,
};

export function readDevices(devices: ElementReader): Device[] {
  const out: Device[] = [];
  for (const c of devices.allChildren()) {
    if (c.el.ns !== null) c.fatal('unsupported', `unsupported: <${c.el.name}> in <devices>`);
    if (c.name === 'emulator') continue;
    const read = READERS[c.name];
    if (!read) c.fatal('unsupported', `unsupported: <${c.name}> at ${c.range.start.line}:${c.range.start.column}`);
    out.push(read!(c));
  }
  return out;
}

/** Devices of a kind given by name (kinds of families that may not exist yet included). */
export function devicesByKind(list: readonly Device[], kind: string): Device[] {
  return list.filter((d) => d.kind === kind);
}

export type DeviceOf<K extends Device['kind']> = Extract<Device, { kind: K }>;

export function devicesOf<K extends Device['kind']>(list: readonly Device[], kind: K): DeviceOf<K>[] {
  return list.filter((d): d is DeviceOf<K> => d.kind === kind);
}
