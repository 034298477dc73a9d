#!/usr/bin/env node
// Language-server latency on a 5,000-line domain: p50/p95 of completion requests and of
// diagnostics after an edit (didChange → publishDiagnostics for that version).
//   node bench/lsp.mjs [--edits N]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, InitializedNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, PublishDiagnosticsNotification, CompletionRequest,
  ShutdownRequest, ExitNotification,
} from 'vscode-languageserver-protocol/node.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.QDC_CONFORMANCE_DIR ?? join(root, '../shared/conformance'));
const n = Number(process.argv[process.argv.indexOf('--edits') + 1]) || 200;

// A big but realistic domain: many disks and controllers, and a long qemu:commandline.
function bigDomain() {
  const lines = ["<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>", '  <name>big</name>',
    "  <memory unit='GiB'>4</memory>", "  <os><type arch='x86_64' machine='pc'>hvm</type></os>", '  <features><acpi/></features>', '  <devices>',
    '    <emulator>/usr/bin/qemu-system-x86_64</emulator>'];
  for (let i = 0; i < 400; i++) {
    lines.push("    <disk type='file' device='disk'>", "      <driver name='qemu' type='raw'/>", `      <source file='/var/lib/images/disk${i}.img'/>`,
      `      <target dev='vd${String.fromCharCode(97 + (i % 26))}${i}' bus='virtio'/>`, `      <alias name='ua-disk${i}'/>`, '    </disk>');
  }
  lines.push("    <memballoon model='none'/>", '  </devices>', '  <qemu:commandline>');
  while (lines.length < 4980) lines.push(`    <qemu:arg value='-global'/>`, `    <qemu:arg value='driver=cfi.pflash01,property=secure,value=on'/>`);
  lines.push('  </qemu:commandline>', '  <qemu:capabilities>', "    <qemu:add capability='virtio-scsi-pci'/>", '  </qemu:capabilities>', '</domain>');
  return lines.join('\n') + '\n';
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const text = bigDomain();
const proc = spawn(process.execPath, [join(root, 'dist/qdc.js'), 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
const waiting = new Map();
conn.onNotification(PublishDiagnosticsNotification.type, (p) => { const w = waiting.get(p.version); if (w) { waiting.delete(p.version); w(); } });
conn.listen();
await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { capsFile: join(corpus, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml') } });
await conn.sendNotification(InitializedNotification.type, {});
const uri = 'file:///bench/big.xml';
let version = 1;
const published = (v) => new Promise((r) => waiting.set(v, r));
let wait = published(version);
await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'xml', version, text } });
await wait;

const capLine = text.split('\n').findIndex((l) => l.includes("capability='"));
const capChar = text.split('\n')[capLine].indexOf("capability='") + "capability='".length;
const diag = [];
const comp = [];
for (let i = 0; i < n; i++) {
  // an edit inside a qemu:arg value, then diagnostics for it
  version++;
  wait = published(version);
  const line = 2500 + (i % 100) * 2;
  const t0 = performance.now();
  await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ range: { start: { line, character: 24 }, end: { line, character: 24 } }, text: 'x' }] });
  await wait;
  diag.push(performance.now() - t0);
  const t1 = performance.now();
  await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: capLine, character: capChar } });
  comp.push(performance.now() - t1);
}
console.log(`document: ${text.split('\n').length} lines, ${n} edits`);
console.log(`completion: p50 ${pct(comp, 0.5).toFixed(1)} ms, p95 ${pct(comp, 0.95).toFixed(1)} ms (target p95 <= 20 ms)`);
console.log(`diagnostics after an edit: p50 ${pct(diag, 0.5).toFixed(1)} ms, p95 ${pct(diag, 0.95).toFixed(1)} ms (target <= 50 ms)`);
await conn.sendRequest(ShutdownRequest.type);
await conn.sendNotification(ExitNotification.type);
conn.dispose();
proc.kill();
