// <smartcard> → ccid-card-emulated / ccid-card-passthru on a usb-ccid controller's bus.
import type { Smartcard } from '../model/devices/smartcard.js';
import { lowerChardev, validateChrSource } from './chardev.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { findController } from './controller.js';

/** libvirt's NSS database when <database> is left out. */
const DEFAULT_SMARTCARD_DB = '/etc/pki/nssdb';

function lowerSmartcard(ctx: LowerContext, sc: Smartcard): void {
  const alias = sc.info.alias!;
  const props: Record<string, unknown> = {};
  switch (sc.mode) {
    case 'host':
      ctx.requireFlag('ccid-emulated', 'the emulated smartcard (ccid-card-emulated)', sc.info.range);
      Object.assign(props, { driver: 'ccid-card-emulated', backend: 'nss-emulated' });
      break;
    case 'host-certificates':
      ctx.requireFlag('ccid-emulated', 'the emulated smartcard (ccid-card-emulated)', sc.info.range);
      Object.assign(props, {
        driver: 'ccid-card-emulated', backend: 'certificates',
        cert1: sc.certificates[0], cert2: sc.certificates[1], cert3: sc.certificates[2],
        db: sc.database ?? DEFAULT_SMARTCARD_DB,
      });
      break;
    case 'passthrough':
      ctx.requireFlag('ccid-passthru', 'smartcard passthrough (ccid-card-passthru)', sc.info.range);
      validateChrSource(ctx, sc.source!);
      Object.assign(props, { driver: 'ccid-card-passthru', chardev: lowerChardev(ctx, sc.source!, alias) });
      break;
  }
  props.id = alias;
  const a = sc.info.address;
  if (a?.type === 'ccid') {
    const ctrl = findController(ctx, 'ccid', a.controller);
    if (!ctrl) ctx.fail('invalid-address', `CCID controller ${a.controller} does not exist`, sc.info.range);
    props.bus = `${ctrl!.info.alias}.0`;
  }
  ctx.device(props);
}

export const smartcardFamily: Family<'smartcard'> = {
  kind: 'smartcard',
  assignAliases(devs) {
    devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `smartcard${i}`; });
  },
  lower(devs, ctx) {
    if (devs.length > 1) ctx.fail('unsupported-smartcard', 'this QEMU binary lacks multiple smartcard support', devs[1]!.info.range);
    for (const sc of devs) lowerSmartcard(ctx, sc);
  },
};
