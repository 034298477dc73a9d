// A real LSP client over stdio for tests: spawns `node dist/qdc.js lsp --stdio` (or QDC_BIN:
// a bundle, or the standalone executable) and speaks the protocol through
// vscode-languageserver-protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, InitializedNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, PublishDiagnosticsNotification, ExitNotification,
  ShutdownRequest, LogMessageNotification, type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node.js';
import { QDC_COMMAND } from '../qdc-command.js';

export const ROOT = join(import.meta.dirname, '../..');

export class TestClient {
  readonly conn: ProtocolConnection;
  readonly proc: ChildProcess;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private waiters: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  stderr = '';
  /** window/logMessage notifications (the server reports internal failures there) */
  readonly logs: string[] = [];

  constructor(env: Record<string, string> = {}) {
    this.proc = spawn(QDC_COMMAND[0], [...QDC_COMMAND[1], 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stderr!.on('data', (d) => { this.stderr += d; });
    this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p);
      this.diagnostics.set(p.uri, list);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri === p.uri && (w.version === undefined || p.version === w.version)) { w.resolve(p); return false; }
        return true;
      });
    });
    this.conn.onNotification(LogMessageNotification.type, (p) => { this.logs.push(p.message); });
    this.conn.listen();
  }

  async initialize(options: Record<string, unknown>): Promise<unknown> {
    const r = await this.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: options });
    await this.conn.sendNotification(InitializedNotification.type, {});
    return r;
  }

  nextDiagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version}; stderr: ${this.stderr}`)), 10000);
      this.waiters.push({ uri, version, resolve: (p) => { clearTimeout(t); resolve(p); } });
    });
  }

  async open(uri: string, text: string, version = 1): Promise<PublishDiagnosticsParams> {
    const wait = this.nextDiagnostics(uri, version);
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'xml', version, text } });
    return wait;
  }

  async replace(uri: string, text: string, version: number): Promise<PublishDiagnosticsParams> {
    const wait = this.nextDiagnostics(uri, version);
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
    return wait;
  }

  async close(): Promise<void> {
    try { await this.conn.sendRequest(ShutdownRequest.type); await this.conn.sendNotification(ExitNotification.type); } catch { /* already gone */ }
    this.conn.dispose();
    await new Promise<void>((r) => { if (this.proc.exitCode !== null) r(); else { this.proc.on('exit', () => r()); setTimeout(() => { this.proc.kill(); r(); }, 2000); } });
  }
}

/** Position (0-based line/character) of the n-th occurrence of `marker` in text, plus `delta` characters. */
export function posOf(text: string, marker: string, delta = 0, nth = 0): { line: number; character: number } {
  let idx = -1;
  for (let i = 0; i <= nth; i++) idx = text.indexOf(marker, idx + 1);
  if (idx < 0) throw new Error(`marker ${marker} not found`);
  const off = idx + delta;
  const before = text.slice(0, off);
  const line = before.split('\n').length - 1;
  return { line, character: off - before.lastIndexOf('\n') - 1 };
}
