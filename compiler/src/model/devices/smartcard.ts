// <smartcard>: a CCID card emulated from host certificates/NSS, or passed through a chardev.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readChrSource, type ChrSource } from './chardev.js';

export interface Smartcard {
  kind: 'smartcard';
  mode: 'host' | 'host-certificates' | 'passthrough';
  /** host-certificates: exactly three certificate nicknames */
  certificates: string[];
  database?: string;
  /** passthrough */
  source?: ChrSource;
  info: DeviceInfo;
}

export function readSmartcard(r: ElementReader): Smartcard {
  const mode = r.enumAttr('mode', ['host', 'host-certificates', 'passthrough'] as const);
  if (!mode) r.fatal('missing-attribute', "<smartcard> needs attribute 'mode'");
  const sc: Smartcard = { kind: 'smartcard', mode: mode!, certificates: [], info: readDeviceInfo(r, { boot: false }) };
  if (mode === 'host-certificates') {
    sc.certificates = r.children('certificate').map((c) => c.text());
    if (sc.certificates.length !== 3) r.fatal('invalid-smartcard', 'host-certificates mode needs exactly three <certificate> elements');
    const db = r.child('database');
    if (db) {
      sc.database = db.text();
      if (!sc.database.startsWith('/')) db.fatal('invalid-smartcard', `expecting absolute path for the smartcard database (got '${sc.database}')`);
    }
  }
  if (mode === 'passthrough') {
    sc.source = readChrSource(r);
    if (sc.source.type === 'spicevmc') sc.source.spicevmc = 'smartcard';
  }
  return sc;
}
