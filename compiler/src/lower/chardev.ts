// Character devices. `-chardev` backends (shared with smartcard, redirdev and anything else
// that talks through a chardev) and the <serial>, <parallel>, <channel>, <console> frontends,
// plus what libvirt settles before start: console compatibility, target ports, implicit
// virtio-serial controllers, virtio-serial ports and guest agent socket paths.
import type { Controller } from '../model/devices/controller.js';
import type { Channel, ChrDevice, ChrSource, Console, Serial } from '../model/devices/chardev.js';
import { devicesByKind, devicesOf } from '../model/devices/index.js';
import type { ConsoleEndpoint } from '../plan/plan.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { escapeComma } from './qemu-opts.js';
import { usbDeviceProps } from './usb-address.js';

// ---------------------------------------------------------------------------------------
// Backends

/** Check a source the way libvirt validates it; `unixPathOptional` for virtio channels,
 * whose socket path libvirt generates. */
export function validateChrSource(ctx: LowerContext, s: ChrSource, unixPathOptional = false): void {
  const missing = (what: string): never => ctx.fail('invalid-chardev', `Missing source ${what} attribute for char device`, s.range);
  switch (s.type) {
    case 'dev': case 'file': case 'pipe':
      if (!s.path) missing('path');
      break;
    case 'tcp':
      if (!s.host) missing('host');
      if (!s.service) missing('service');
      break;
    case 'udp':
      if (!s.connectService) missing('service');
      break;
    case 'unix':
      if (!s.path && !unixPathOptional) missing('path');
      break;
    case 'spiceport':
      if (!s.channel) missing('channel');
      if (!/^[A-Za-z0-9_.\-]+$/.test(s.channel!)) ctx.fail('invalid-chardev', 'Invalid character in source channel for char device', s.range);
      break;
    default:
      break;
  }
  if ((s.type === 'tcp' || s.type === 'unix') && s.reconnect) {
    if (s.reconnect.enabled && !s.reconnect.timeout) ctx.fail('invalid-chardev', "chardev reconnect source timeout cannot be '0'", s.range);
    if (s.listen && s.reconnect.enabled) ctx.fail('invalid-chardev', 'chardev reconnect is possible only for connect mode', s.range);
  }
  if (s.reconnect) ctx.requireFlag('chardev-reconnect', 'chardev reconnect', s.range);
  if (s.type === 'qemu-vdagent') ctx.requireFlag('chardev.qemu-vdagent', 'the qemu-vdagent chardev', s.range);
}

function reconnectOpt(s: ChrSource): string {
  if (!s.reconnect) return '';
  return s.reconnect.enabled ? `,reconnect=${s.reconnect.timeout ?? 0}` : ',reconnect=0';
}

/** Pass a host file through `-add-fd`; returns the /dev/fdset path QEMU opens instead. */
function passFile(ctx: LowerContext, path: string, append: boolean, opaque: string): string {
  const set = ctx.nextFdset();
  const fd = ctx.passFd({ kind: 'file', path, fdset: set, writeOnly: true, create: true, append });
  ctx.arg('-add-fd', `set=${set},fd=${fd},opaque=${opaque}`);
  return `/dev/fdset/${set}`;
}

/** Whether a tcp source speaks TLS: its own tls attribute, else qemu.conf's chardev_tls. */
function chardevUsesTls(ctx: LowerContext, s: ChrSource): boolean {
  return s.type === 'tcp' && (s.tls ?? ctx.config.chardevTLS);
}

/** Emit the `-chardev` (with any TLS object and passed fds it needs) for the device whose
 * alias is `devAlias`; returns the chardev id (`char` + alias). */
export function lowerChardev(ctx: LowerContext, s: ChrSource, devAlias: string): string {
  const id = `char${devAlias}`;
  let opts: string;
  switch (s.type) {
    case 'null': case 'vc': case 'pty': case 'stdio':
      opts = `${s.type},id=${id}`;
      break;
    case 'dev':
      // libvirt picks the host backend from the device alias: parallel ports use ppdev
      opts = `${devAlias.startsWith('parallel') ? 'parallel' : 'serial'},id=${id},path=${escapeComma(s.path!)}`;
      break;
    case 'file': {
      // libvirt opens the file itself (truncating unless append='on') and QEMU appends to the fd
      const path = passFile(ctx, s.path!, s.append === true, `${devAlias}-source`);
      opts = `file,id=${id},path=${escapeComma(path)},append=on`;
      break;
    }
    case 'pipe':
      opts = `pipe,id=${id},path=${escapeComma(s.path!)}`;
      break;
    case 'udp':
      opts = `udp,id=${id},host=${s.connectHost ?? ''},port=${s.connectService},localaddr=${s.bindHost ?? ''},localport=${s.bindService ?? '0'}`;
      break;
    case 'tcp': {
      opts = `socket,id=${id},host=${s.host},port=${s.service}`;
      if (s.protocol === 'telnet') opts += ',telnet=on';
      if (s.listen) opts += ',server=on,wait=off';
      opts += reconnectOpt(s);
      if (chardevUsesTls(ctx, s)) {
        const objId = `obj${id}_tls0`;
        ctx.object({
          'qom-type': 'tls-creds-x509', id: objId, dir: ctx.config.chardevTLSx509certdir,
          endpoint: s.listen ? 'server' : 'client',
          // a client always verifies the server; the setting only governs client certificates
          'verify-peer': s.listen ? ctx.config.chardevTLSx509verify : true,
        });
        opts += `,tls-creds=${objId}`;
      }
      break;
    }
    case 'unix':
      if (s.listen) {
        // libvirt creates the listening socket and hands QEMU the fd
        const fd = ctx.passFd({ kind: 'listen-socket', path: s.path! });
        opts = `socket,id=${id},fd=${fd},server=on,wait=off`;
      } else {
        opts = `socket,id=${id},path=${escapeComma(s.path!)}`;
      }
      opts += reconnectOpt(s);
      break;
    case 'spicevmc':
      opts = `spicevmc,id=${id},name=${s.spicevmc ?? 'vdagent'}`;
      break;
    case 'spiceport':
      opts = `spiceport,id=${id},name=${s.channel}`;
      break;
    case 'qemu-vdagent':
      opts = `qemu-vdagent,id=${id},name=vdagent`;
      if (s.clipboard !== undefined) opts += `,clipboard=${s.clipboard ? 'on' : 'off'}`;
      if (s.mouseMode) opts += `,mouse=${s.mouseMode === 'client' ? 'on' : 'off'}`;
      break;
    case 'dbus':
      opts = `dbus,id=${id},name=${s.channel}`;
      break;
    default:
      return ctx.unsupported(`chardev type '${s.type}'`, s.range);
  }
  if (s.log) {
    const path = passFile(ctx, s.log.file, s.log.append === true, `${devAlias}-log`);
    opts += `,logfile=${escapeComma(path)},logappend=on`;
  }
  ctx.arg('-chardev', opts);
  return id;
}

/** Where the runtime finds the host end of a chardev. */
export function consoleEndpoint(alias: string, kind: ConsoleEndpoint['kind'], s: ChrSource): ConsoleEndpoint {
  switch (s.type) {
    case 'pty': return { alias, kind, source: 'pty' };
    case 'file': return { alias, kind, source: 'file', path: s.path };
    case 'unix': return { alias, kind, source: 'unix', path: s.path };
    case 'tcp': return { alias, kind, source: 'tcp', path: `${s.host}:${s.service}` };
    case 'stdio': return { alias, kind, source: 'stdio' };
    case 'null': return { alias, kind, source: 'null' };
    default: return { alias, kind, source: 'other' };
  }
}

// ---------------------------------------------------------------------------------------
// Preparation (libvirt's post-parse and address assignment for chardevs)

/** Serial target type → the model libvirt picks when <model> is left out (x86 guests). */
const SERIAL_DEFAULT_MODEL: Record<string, string> = {
  'isa-serial': 'isa-serial', 'usb-serial': 'usb-serial', 'pci-serial': 'pci-serial', 'isa-debug': 'isa-debugcon',
  'spapr-vio-serial': 'spapr-vty', 'system-serial': 'none', 'sclp-serial': 'sclpconsole',
};
const SERIAL_MODEL_TARGET: Record<string, string> = {
  'isa-serial': 'isa-serial', 'usb-serial': 'usb-serial', 'pci-serial': 'pci-serial', 'isa-debugcon': 'isa-debug',
  'spapr-vty': 'spapr-vio-serial', 'pl011': 'system-serial', '16550a': 'system-serial', 'sclpconsole': 'sclp-serial', 'sclplmconsole': 'sclp-serial',
};
/** Models an x86 machine can carry (the others belong to ARM/RISC-V, pSeries or s390). */
const X86_SERIAL_MODELS = new Set(['isa-serial', 'usb-serial', 'pci-serial', 'isa-debugcon']);
const SERIAL_TARGET_ADDRESS: Record<string, string> = { 'isa-serial': 'isa', 'isa-debug': 'isa', 'usb-serial': 'usb', 'pci-serial': 'pci', 'spapr-vio-serial': 'spapr-vio' };

function chrList<K extends ChrDevice['kind']>(ctx: LowerContext, kind: K): Extract<ChrDevice, { kind: K }>[] {
  return devicesOf(ctx.domain.devices, kind) as Extract<ChrDevice, { kind: K }>[];
}

function sameSource(a: ChrSource, b: ChrSource): boolean {
  const strip = (s: ChrSource): string => JSON.stringify({ ...s, range: undefined, log: s.log ? { ...s.log, range: undefined } : undefined });
  return strip(a) === strip(b);
}

/** libvirt's console compatibility: an HVM guest's first console of target type serial (or
 * none) is the first serial port; a serial port without such a console gets a stub one. */
function consoleCompat(ctx: LowerContext): void {
  const d = ctx.domain;
  const consoles = chrList(ctx, 'console');
  for (const c of consoles.slice(1)) {
    if (c.targetType === 'serial') ctx.fail('invalid-console', 'Only the first console can be a serial port', c.info.range);
  }
  const hvm = d.os.osType === 'hvm';
  const serials = chrList(ctx, 'serial');
  const first = consoles[0];
  if (first && hvm && (first.targetType === 'serial' || first.targetType === undefined)) {
    first.targetType = 'serial';
    first.mirrorsSerial = true;
    if (!serials.length) {
      // the console itself becomes serial 0; a stub console stays behind
      const serial: Serial = { kind: 'serial', source: first.source, port: 0, info: first.info };
      d.devices.splice(d.devices.indexOf(first), 0, serial);
      first.info = { range: first.info.range, userAlias: false };
    } else if (!sameSource(serials[0]!.source, first.source)) {
      first.source = serials[0]!.source;
    }
    // the console's own address (if any) belongs to the serial port it mirrors
    delete first.info.address;
  } else if (hvm && serials.length && (serials[0]!.targetType === undefined || serials[0]!.targetType === 'isa-serial')) {
    const stub: Console = { kind: 'console', targetType: 'serial', mirrorsSerial: true, source: serials[0]!.source, info: { range: serials[0]!.info.range, userAlias: false } };
    const at = first ? d.devices.indexOf(first) : d.devices.length;
    d.devices.splice(at, 0, stub);
  }
}

/** Target ports left out number on from the highest port of the same kind. */
function numberPorts(list: ChrDevice[]): void {
  for (const c of list) {
    if (c.port === undefined || c.port < 0) c.port = Math.max(-1, ...list.map((o) => o.port ?? -1)) + 1;
  }
}

function serialDefaults(ctx: LowerContext): void {
  for (const s of chrList(ctx, 'serial')) {
    // x86 serial ports default to ISA; libvirt infers nothing from the address
    s.targetType ??= 'isa-serial';
    if (!(s.targetType in SERIAL_DEFAULT_MODEL)) ctx.fail('invalid-serial', `unknown target type '${s.targetType}' specified for character device`, s.info.range);
    s.targetModel ??= SERIAL_DEFAULT_MODEL[s.targetType]!;
    if (s.targetModel !== 'none' && !(s.targetModel in SERIAL_MODEL_TARGET)) ctx.fail('invalid-serial', `unknown target model '${s.targetModel}' specified for character device`, s.info.range);
    const a = s.info.address;
    const want = SERIAL_TARGET_ADDRESS[s.targetType];
    if (want && a && a.type !== want) ctx.fail('invalid-serial', `Target type '${s.targetType}' requires address type '${want}'`, s.info.range);
    if (!want && a) ctx.fail('invalid-serial', `Target type '${s.targetType}' cannot have an associated address`, s.info.range);
    const modelTarget = SERIAL_MODEL_TARGET[s.targetModel];
    if (modelTarget && modelTarget !== s.targetType) {
      ctx.fail('invalid-serial', `Target model '${s.targetModel}' requires target type '${modelTarget}'`, s.info.range);
    }
    if (!X86_SERIAL_MODELS.has(s.targetModel)) {
      ctx.fail('invalid-serial', `Serial device with target type '${s.targetType}' and target model '${s.targetModel}' not compatible with guest architecture or machine type`, s.info.range);
    }
  }
}

function addController(ctx: LowerContext, type: Controller['type'], index: number, model?: string): void {
  const d = ctx.domain;
  if (devicesOf(d.devices, 'controller').some((c) => c.type === type && c.index === index)) return;
  const c: Controller = { kind: 'controller', type, index, info: { range: d.range, userAlias: false }, driver: {}, target: {} };
  if (model) c.model = model;
  d.devices.push(c);
}

function isVirtioSerialPort(c: ChrDevice): boolean {
  return (c.kind === 'channel' || c.kind === 'console') && c.targetType === 'virtio';
}

/** Free ports per virtio-serial controller; port 0 is only ever handed to consoles. */
class VirtioSerialPorts {
  private readonly ctrls: { index: number; size: number; used: Set<number> }[] = [];

  constructor(private readonly ctx: LowerContext) {
    const list = devicesOf(ctx.domain.devices, 'controller').filter((c) => c.type === 'virtio-serial').sort((a, b) => a.index - b.index);
    for (const c of list) this.addController(c.index, c.ports);
  }

  private addController(index: number, ports?: number): void {
    this.ctrls.push({ index, size: ports !== undefined && ports > 0 ? ports : 31, used: new Set() });
    this.ctrls.sort((a, b) => a.index - b.index);
  }

  reserve(dev: ChrDevice, controller: number, port: number): void {
    const c = this.ctrls.find((x) => x.index === controller);
    if (!c) this.ctx.fail('invalid-address', `virtio serial controller ${controller} is missing`, dev.info.range);
    if (c!.used.has(port)) this.ctx.fail('address-in-use', `virtio serial port ${port} on controller ${controller} is already occupied`, dev.info.range);
    if (port < c!.size) c!.used.add(port);
  }

  private firstFree(c: { size: number; used: Set<number> }, from: number): number {
    for (let p = from; p < c.size; p++) if (!c.used.has(p)) return p;
    return -1;
  }

  /** Next free port on a given controller (never port 0). */
  fromController(dev: ChrDevice, controller: number): number {
    const c = this.ctrls.find((x) => x.index === controller);
    if (!c) this.ctx.fail('invalid-address', `virtio-serial controller ${controller} not available`, dev.info.range);
    const p = this.firstFree(c!, 1);
    if (p <= 0) this.ctx.fail('virtio-serial-full', `Unable to find a free port on virtio-serial controller ${controller}`, dev.info.range);
    return p;
  }

  /** Next free port anywhere; when all are taken libvirt adds a controller. */
  next(allowZero: boolean): { controller: number; port: number } {
    const from = allowZero ? 0 : 1;
    for (const c of this.ctrls) {
      const p = this.firstFree(c, from);
      if (p >= 0) return { controller: c.index, port: p };
    }
    let index = 0;
    while (devicesOf(this.ctx.domain.devices, 'controller').some((c) => c.type === 'virtio-serial' && c.index === index)) index++;
    addController(this.ctx, 'virtio-serial', index, 'virtio');
    this.addController(index);
    return { controller: index, port: from };
  }
}

function assignVirtioSerialPorts(ctx: LowerContext): void {
  const ports = new VirtioSerialPorts(ctx);
  const devs = [...chrList(ctx, 'console'), ...chrList(ctx, 'channel')].filter(isVirtioSerialPort);
  for (const dev of devs) {
    const a = dev.info.address;
    if (a && a.type !== 'virtio-serial') ctx.fail('invalid-address', 'virtio serial device has invalid address type', dev.info.range);
    if (a?.type === 'virtio-serial' && a.port) ports.reserve(dev, a.controller, a.port);
  }
  for (const dev of devs) {
    const a = dev.info.address;
    if (a?.type === 'virtio-serial' && a.port) continue;
    if (dev.kind === 'console') {
      // a console's port is reserved but left to QEMU (virtconsole takes port 0 first)
      const got = a?.type === 'virtio-serial' ? { controller: 0, port: ports.fromController(dev, 0) } : ports.next(true);
      ports.reserve(dev, got.controller, got.port);
    } else if (a?.type === 'virtio-serial') {
      a.port = ports.fromController(dev, a.controller);
      ports.reserve(dev, a.controller, a.port);
    } else {
      const got = ports.next(false);
      dev.info.address = { type: 'virtio-serial', controller: got.controller, bus: 0, port: got.port };
      ports.reserve(dev, got.controller, got.port);
    }
  }
}

/** libvirt forgets socket paths it generated itself, so a saved definition starts with a fresh one. */
function dropGeneratedChannelPath(ctx: LowerContext, c: Channel): void {
  const s = c.source;
  if (c.targetType !== 'virtio' || s.type !== 'unix' || !s.path) return;
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${esc(ctx.opts.paths.channelTargetDir)}/([^/]+\\.)|(domain-[^/]+/)${esc(c.name ?? '(null)')}$`);
  if (re.test(s.path)) s.path = undefined;
}

/** Settle chardev devices before aliases and PCI addresses are assigned. */
export function prepareChardevs(ctx: LowerContext): void {
  consoleCompat(ctx);
  for (const kind of ['serial', 'parallel', 'console'] as const) numberPorts(chrList(ctx, kind));
  serialDefaults(ctx);
  for (const c of chrList(ctx, 'channel')) {
    if (c.targetType === 'virtio' && !c.name && (c.source.type === 'spicevmc' || c.source.type === 'qemu-vdagent')) c.name = 'com.redhat.spice.0';
    dropGeneratedChannelPath(ctx, c);
  }
  for (const c of [...chrList(ctx, 'serial'), ...chrList(ctx, 'parallel'), ...chrList(ctx, 'channel'), ...chrList(ctx, 'console')]) {
    // a UNIX chardev without a path gets a generated one, which implies QEMU listens on it
    if (c.source.type === 'unix' && !c.source.path) c.source.listen = true;
  }
  for (const c of [...chrList(ctx, 'channel'), ...chrList(ctx, 'console')]) {
    if (!isVirtioSerialPort(c)) continue;
    const a = c.info.address;
    addController(ctx, 'virtio-serial', a?.type === 'virtio-serial' ? a.controller : 0, 'virtio');
  }
  prepareSmartcards(ctx);
  assignVirtioSerialPorts(ctx);
  for (const c of chrList(ctx, 'channel')) {
    if (c.targetType !== 'virtio' || c.source.type !== 'unix' || c.source.path) continue;
    const a = c.info.address;
    const two = (n: number): string => String(n).padStart(2, '0');
    c.source.path = c.name
      ? `${ctx.channelDir}/${c.name}`
      : a?.type === 'virtio-serial' ? `${ctx.channelDir}/vioser-${two(a.controller)}-${two(a.bus)}-${two(a.port ?? 0)}.sock` : `${ctx.channelDir}/vioser.sock`;
  }
}

/** Smartcards sit on CCID slots of usb-ccid controllers, which libvirt adds as needed. */
function prepareSmartcards(ctx: LowerContext): void {
  const cards = devicesOf(ctx.domain.devices, 'smartcard');
  for (const sc of cards) {
    let idx = 0;
    const a = sc.info.address;
    if (a?.type === 'ccid') idx = a.controller;
    else if (!a) {
      const max = Math.max(-1, ...cards.map((o) => (o.info.address?.type === 'ccid' && o.info.address.controller === 0 ? o.info.address.slot : -1)));
      sc.info.address = { type: 'ccid', controller: 0, slot: max + 1 };
    } else {
      ctx.fail('invalid-address', `a smartcard needs a CCID address (got '${a.type}')`, sc.info.range);
    }
    addController(ctx, 'ccid', idx);
  }
}

// ---------------------------------------------------------------------------------------
// Aliases

/** libvirt numbers chardev aliases by position in each list; console 0 mirroring serial 0 shares its alias. */
function assignChrAliases(ctx: LowerContext): void {
  for (const kind of ['serial', 'parallel', 'channel'] as const) {
    chrList(ctx, kind).forEach((c, i) => { if (!c.info.alias) c.info.alias = `${kind}${i}`; });
  }
  const serial0 = chrList(ctx, 'serial')[0];
  chrList(ctx, 'console').forEach((c, i) => {
    if (c.info.alias) return;
    c.info.alias = i === 0 && serial0 && c.mirrorsSerial ? serial0.info.alias : `console${i}`;
  });
}

// ---------------------------------------------------------------------------------------
// Frontends

function hasSpiceGraphics(ctx: LowerContext): boolean {
  return devicesByKind(ctx.domain.devices, 'graphics').some((g) => (g as { type?: string }).type === 'spice');
}

function isaProps(c: ChrDevice): Record<string, unknown> {
  const a = c.info.address;
  if (a?.type !== 'isa') return {};
  const p: Record<string, unknown> = {};
  if (a.iobase) p.iobase = a.iobase;
  if (a.irq) p.irq = a.irq;
  return p;
}

function virtioSerialProps(ctx: LowerContext, c: ChrDevice): Record<string, unknown> {
  const a = c.info.address;
  if (a?.type !== 'virtio-serial') return {};
  const ctrl = devicesOf(ctx.domain.devices, 'controller').find((x) => x.type === 'virtio-serial' && x.index === a.controller);
  if (!ctrl) ctx.fail('invalid-address', `virtio-serial controller ${a.controller} does not exist`, c.info.range);
  return { bus: `${ctrl!.info.alias}.${a.bus}`, nr: a.port };
}

/** Capability each serial model needs (isa-debugcon has no probe of its own). */
const SERIAL_MODEL_FLAG: Record<string, string> = { 'isa-serial': 'isa-serial', 'usb-serial': 'usb-serial', 'pci-serial': 'pci-serial' };

function lowerSerial(ctx: LowerContext, s: Serial): void {
  // without a SPICE server there is nothing to attach a spiceport to; libvirt leaves it out
  if (s.source.type === 'spiceport' && !hasSpiceGraphics(ctx)) return;
  validateChrSource(ctx, s.source);
  const model = s.targetModel!;
  const flag = SERIAL_MODEL_FLAG[model];
  if (flag && !ctx.has(flag)) ctx.fail('missing-capability', `'${model}' is not supported in this QEMU binary`, s.info.range);
  const alias = s.info.alias!;
  const chardev = lowerChardev(ctx, s.source, alias);
  const props: Record<string, unknown> = { driver: model, chardev, id: alias };
  if (model === 'isa-serial' && s.port! >= 0) props.index = s.port;
  if (s.targetType === 'usb-serial') Object.assign(props, usbDeviceProps(ctx, s.info));
  else if (s.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, s.info.address));
  else Object.assign(props, isaProps(s));
  ctx.device(props);
  ctx.consoles.push(consoleEndpoint(alias, 'serial', s.source));
}

export const serialFamily: Family<'serial'> = {
  kind: 'serial',
  assignAliases(_devs, ctx) { assignChrAliases(ctx); },
  pciConnect(s) { return s.targetType === 'pci-serial' ? 'pci' : null; },
  lower(devs, ctx) { for (const s of devs) lowerSerial(ctx, s); },
};

export const parallelFamily: Family<'parallel'> = {
  kind: 'parallel',
  assignAliases(_devs, ctx) { assignChrAliases(ctx); },
  lower(devs, ctx) {
    for (const p of devs) {
      if (p.info.address && p.info.address.type !== 'isa') ctx.fail('invalid-address', 'a parallel port needs an ISA address', p.info.range);
      validateChrSource(ctx, p.source);
      const alias = p.info.alias!;
      const chardev = lowerChardev(ctx, p.source, alias);
      ctx.device({ driver: 'isa-parallel', chardev, id: alias, ...isaProps(p) });
      ctx.consoles.push(consoleEndpoint(alias, 'parallel', p.source));
    }
  },
};

function lowerGuestfwd(ctx: LowerContext, c: Channel): void {
  if (!c.fwdAddress) ctx.fail('invalid-channel', 'guestfwd channel does not define a target address', c.info.range);
  if (c.port === undefined) ctx.fail('invalid-channel', 'guestfwd channel does not define a target port', c.info.range);
  if (!/^[0-9.]+$/.test(c.fwdAddress!) && !c.fwdAddress!.includes(':')) ctx.fail('invalid-channel', `guestfwd address '${c.fwdAddress}' is not an IP address`, c.info.range);
  const alias = c.info.alias!;
  const chardev = lowerChardev(ctx, c.source, alias);
  ctx.netdev({ type: 'user', guestfwd: [{ str: `tcp:${c.fwdAddress}:${c.port}-chardev:${chardev}` }], id: alias });
}

export const channelFamily: Family<'channel'> = {
  kind: 'channel',
  assignAliases(_devs, ctx) { assignChrAliases(ctx); },
  lower(devs, ctx) {
    for (const c of devs) {
      switch (c.targetType) {
        case 'guestfwd':
          validateChrSource(ctx, c.source);
          lowerGuestfwd(ctx, c);
          break;
        case 'virtio': {
          validateChrSource(ctx, c.source, true);
          const alias = c.info.alias!;
          const chardev = lowerChardev(ctx, c.source, alias);
          ctx.device({ driver: 'virtserialport', ...virtioSerialProps(ctx, c), chardev, id: alias, name: c.name });
          ctx.consoles.push(consoleEndpoint(alias, 'channel', c.source));
          break;
        }
        default:
          ctx.fail('unsupported-channel', `channel target type '${c.targetType}' is not supported by QEMU`, c.info.range);
      }
    }
  },
};

export const consoleFamily: Family<'console'> = {
  kind: 'console',
  assignAliases(_devs, ctx) { assignChrAliases(ctx); },
  lower(devs, ctx) {
    for (const c of devs) {
      switch (c.targetType) {
        case 'serial':
          // mirrors serial 0, which is already on the command line
          if (c.mirrorsSerial) ctx.consoles.push(consoleEndpoint(c.info.alias!, 'console', c.source));
          break;
        case 'virtio': {
          validateChrSource(ctx, c.source);
          const alias = c.info.alias!;
          const chardev = lowerChardev(ctx, c.source, alias);
          ctx.device({ driver: 'virtconsole', ...virtioSerialProps(ctx, c), chardev, id: alias });
          ctx.consoles.push(consoleEndpoint(alias, 'console', c.source));
          break;
        }
        case 'sclp': case 'sclplm':
          ctx.fail('missing-capability', `${c.targetType === 'sclp' ? 'sclpconsole' : 'sclplmconsole'} is not supported in this QEMU binary`, c.info.range);
          break;
        default:
          ctx.fail('unsupported-console', `unsupported console target type ${c.targetType}`, c.info.range);
      }
    }
  },
};
