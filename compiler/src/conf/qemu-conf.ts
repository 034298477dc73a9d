// qemu.conf in libvirt's configuration syntax: `key = value` where value is a string
// ("..." with backslash escapes), an integer, or a list [ v, v, ... ]; `#` comments.
// Parsing is pure; reading the file is the caller's business.
import type { Diagnostic } from '../diagnostics.js';

export type ConfValue = string | number | ConfValue[];
export interface ConfEntry { key: string; value: ConfValue; line: number }

export interface ParsedConf { entries: Map<string, ConfEntry>; diagnostics: Diagnostic[] }

function diag(line: number, column: number, message: string, severity: 'error' | 'warning' = 'error', code = 'conf-syntax'): Diagnostic {
  const p = { line, column, offset: 0 };
  return { code, message, severity, range: { start: p, end: p } };
}

export function parseConfText(text: string): ParsedConf {
  const entries = new Map<string, ConfEntry>();
  const diagnostics: Diagnostic[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const col = (): number => i - lineStart + 1;
  const skipWs = (newlines: boolean): void => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
      if (c === '\n') { if (!newlines) return; i++; line++; lineStart = i; continue; }
      if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
      return;
    }
  };
  const fail = (msg: string): never => { throw diag(line, col(), msg); };
  const value = (): ConfValue => {
    const c = text[i];
    if (c === '"') {
      i++;
      let s = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\n') fail('unterminated string');
        if (text[i] === '\\' && i + 1 < text.length) { s += text[i + 1]; i += 2; } else s += text[i++];
      }
      if (i >= text.length) fail('unterminated string');
      i++;
      return s;
    }
    if (c === '[') {
      i++;
      const list: ConfValue[] = [];
      skipWs(true);
      if (text[i] === ']') { i++; return list; }
      for (;;) {
        skipWs(true);
        list.push(value());
        skipWs(true);
        if (text[i] === ',') { i++; skipWs(true); if (text[i] === ']') { i++; return list; } continue; }
        if (text[i] === ']') { i++; return list; }
        fail("expected ',' or ']' in list");
      }
    }
    const m = /^-?[0-9]+/.exec(text.slice(i, i + 32));
    if (m) { i += m[0].length; return Number(m[0]); }
    return fail('expected a string, a number or a list');
  };
  try {
    for (;;) {
      skipWs(true);
      if (i >= text.length) break;
      const keyLine = line;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256));
      if (!m) fail('expected a setting name');
      i += m![0].length;
      skipWs(false);
      if (text[i] !== '=') fail(`expected '=' after ${m![0]}`);
      i++;
      skipWs(false);
      const v = value();
      entries.set(m![0], { key: m![0], value: v, line: keyLine });
      skipWs(false);
      if (i < text.length && text[i] !== '\n') fail('unexpected text after value');
    }
  } catch (e) {
    if ((e as Diagnostic).code) diagnostics.push(e as Diagnostic); else throw e;
  }
  return { entries, diagnostics };
}

/** Driver settings that change the QEMU command line (libvirt's virQEMUDriverConfig subset). */
export interface DriverConfig {
  vncListen: string;
  vncAutoUnixSocket: boolean;
  vncTLS: boolean;
  vncTLSx509verify: boolean;
  vncTLSx509certdir: string;
  vncSASL: boolean;
  /** SASL_CONF_PATH for QEMU when vnc_sasl is on */
  vncSASLdir: string;
  vncPassword?: string;
  spiceListen: string;
  spiceTLS: boolean;
  spiceTLSx509certdir: string;
  spiceSASL: boolean;
  spiceSASLdir: string;
  spicePassword?: string;
  spiceAutoUnixSocket: boolean;
  chardevTLS: boolean;
  chardevTLSx509certdir: string;
  chardevTLSx509verify: boolean;
  defaultTLSx509certdir: string;
  nbdTLSx509certdir: string;
  /** libvirt secret holding the NBD client key's passphrase (qdc manages no secrets: disks with TLS reject it) */
  nbdTLSx509secretUUID?: string;
  vxhsTLSx509certdir: string;
  memoryBackingDir: string;
  hugetlbfs: string[];
  seccompSandbox: number; // -1 default, 0 off, 1 on
  setProcessName: boolean;
  vncAllowHostAudio: boolean;
  nogfxAllowHostAudio: boolean;
  stdioHandler: 'logd' | 'file';
  user?: string;
  group?: string;
  securityDriver: string[];
  cgroupDeviceAcl: string[];
  nvramDir: string;
}

/** libvirt's defaults for a driver rooted at `root` (its lib/qemu etc. hold per-domain state). */
export function defaultDriverConfig(libDir: string): DriverConfig {
  return {
    vncListen: '127.0.0.1', vncAutoUnixSocket: false, vncTLS: false, vncTLSx509verify: false,
    vncTLSx509certdir: '/etc/pki/libvirt-vnc', vncSASL: false, vncSASLdir: '/etc/sasl2',
    spiceListen: '127.0.0.1', spiceTLS: false, spiceTLSx509certdir: '/etc/pki/libvirt-spice', spiceSASL: false, spiceSASLdir: '/etc/sasl2', spiceAutoUnixSocket: false,
    chardevTLS: false, chardevTLSx509certdir: '/etc/pki/libvirt-chardev', chardevTLSx509verify: false,
    defaultTLSx509certdir: '/etc/pki/qemu', nbdTLSx509certdir: '/etc/pki/qemu', vxhsTLSx509certdir: '/etc/pki/qemu',
    memoryBackingDir: `${libDir}/ram`, hugetlbfs: [], seccompSandbox: -1, setProcessName: false,
    vncAllowHostAudio: false, nogfxAllowHostAudio: false, stdioHandler: 'logd',
    securityDriver: [], cgroupDeviceAcl: [], nvramDir: `${libDir}/nvram`,
  };
}

const KNOWN_KEYS: Record<string, (c: DriverConfig, v: ConfValue) => void> = {
  vnc_listen: (c, v) => { c.vncListen = String(v); },
  vnc_auto_unix_socket: (c, v) => { c.vncAutoUnixSocket = Boolean(v); },
  vnc_tls: (c, v) => { c.vncTLS = Boolean(v); },
  vnc_tls_x509_verify: (c, v) => { c.vncTLSx509verify = Boolean(v); },
  vnc_tls_x509_cert_dir: (c, v) => { c.vncTLSx509certdir = String(v); },
  vnc_sasl: (c, v) => { c.vncSASL = Boolean(v); },
  vnc_sasl_dir: (c, v) => { c.vncSASLdir = String(v); },
  vnc_password: (c, v) => { c.vncPassword = String(v); },
  vnc_allow_host_audio: (c, v) => { c.vncAllowHostAudio = Boolean(v); },
  nographics_allow_host_audio: (c, v) => { c.nogfxAllowHostAudio = Boolean(v); },
  spice_listen: (c, v) => { c.spiceListen = String(v); },
  spice_tls: (c, v) => { c.spiceTLS = Boolean(v); },
  spice_tls_x509_cert_dir: (c, v) => { c.spiceTLSx509certdir = String(v); },
  spice_sasl: (c, v) => { c.spiceSASL = Boolean(v); },
  spice_sasl_dir: (c, v) => { c.spiceSASLdir = String(v); },
  spice_password: (c, v) => { c.spicePassword = String(v); },
  spice_auto_unix_socket: (c, v) => { c.spiceAutoUnixSocket = Boolean(v); },
  chardev_tls: (c, v) => { c.chardevTLS = Boolean(v); },
  chardev_tls_x509_cert_dir: (c, v) => { c.chardevTLSx509certdir = String(v); },
  chardev_tls_x509_verify: (c, v) => { c.chardevTLSx509verify = Boolean(v); },
  default_tls_x509_cert_dir: (c, v) => { c.defaultTLSx509certdir = String(v); },
  default_tls_x509_verify: () => {},
  nbd_tls_x509_cert_dir: (c, v) => { c.nbdTLSx509certdir = String(v); },
  nbd_tls_x509_secret_uuid: (c, v) => { c.nbdTLSx509secretUUID = String(v); },
  vxhs_tls_x509_cert_dir: (c, v) => { c.vxhsTLSx509certdir = String(v); },
  migrate_tls_x509_cert_dir: () => {}, backup_tls_x509_cert_dir: () => {},
  memory_backing_dir: (c, v) => { c.memoryBackingDir = String(v); },
  hugetlbfs_mount: (c, v) => { c.hugetlbfs = Array.isArray(v) ? v.map(String) : [String(v)]; },
  seccomp_sandbox: (c, v) => { c.seccompSandbox = Number(v); },
  set_process_name: (c, v) => { c.setProcessName = Boolean(v); },
  stdio_handler: (c, v) => { c.stdioHandler = v === 'file' ? 'file' : 'logd'; },
  user: (c, v) => { c.user = String(v); },
  group: (c, v) => { c.group = String(v); },
  security_driver: (c, v) => { c.securityDriver = Array.isArray(v) ? v.map(String) : [String(v)]; },
  cgroup_device_acl: (c, v) => { c.cgroupDeviceAcl = Array.isArray(v) ? v.map(String) : [String(v)]; },
  nvram: () => {},
};

/** Apply parsed settings over the defaults. Unknown keys are warnings, as libvirt ignores them. */
export function driverConfigFrom(parsed: ParsedConf, libDir: string): { config: DriverConfig; diagnostics: Diagnostic[] } {
  const config = defaultDriverConfig(libDir);
  const diagnostics = [...parsed.diagnostics];
  for (const e of parsed.entries.values()) {
    const apply = KNOWN_KEYS[e.key];
    if (apply) apply(config, e.value);
    else diagnostics.push(diag(e.line, 1, `unknown qemu.conf setting '${e.key}' is ignored`, 'warning', 'conf-unknown-key'));
  }
  return { config, diagnostics };
}
