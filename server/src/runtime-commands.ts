// Run, stop and status from the editor, through the same runtime functions `qdc run`,
// `qdc stop` and `qdc status` use. State changes are pushed to the client as
// `qdc/domainState` notifications while the guest lives.
import type { Connection } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { compile, parseDomain, type Plan } from '../../compiler/src/index.js';
import { compileInputs } from '../../cli/compile-inputs.js';
import { probedCapsFor } from '../../cli/domain-caps.js';
import { applyPoweroff, domainStatus, findDomain, stopDomain } from '../../runtime/lifecycle.js';
import { startDomain, stateStore } from '../../runtime/process.js';
import { hostPortAllocator } from '../../runtime/ports.js';
import { ensureRoot, resolveRoot, type RootLayout } from '../../runtime/root.js';
import type { DomainRecord } from '../../runtime/state.js';
import type { ServerSettings } from './settings.js';

export interface DomainStateNotice { uri?: string; name: string; state: string; detail?: string }

const POLL_MS = 500;

export function runtimeCommands(connection: Connection, settings: ServerSettings) {
  const watchers = new Map<string, NodeJS.Timeout>();
  const layout = (): RootLayout => { const l = resolveRoot(settings.root, process.env); ensureRoot(l); return l; };
  const notify = (n: DomainStateNotice): void => { void connection.sendNotification('qdc/domainState', n); };
  const nameOf = (doc: TextDocument | undefined): string | undefined => (doc ? parseDomain(doc.getText()).domain?.name : undefined);

  // follow the guest until it is gone, applying <on_poweroff> like an attached `qdc run`
  const watch = (uri: string, record: DomainRecord, l: RootLayout): void => {
    clearInterval(watchers.get(record.name));
    let last = '';
    const timer = setInterval(() => {
      void (async () => {
        const s = await domainStatus(record).catch(() => undefined);
        const state = !s || !s.alive ? 'stopped' : s.status ?? 'unknown';
        if (state !== last) { last = state; notify({ uri, name: record.name, state }); }
        if (state === 'shutdown') await applyPoweroff(stateStore(l), record).catch(() => {});
        if (state === 'stopped') { clearInterval(timer); watchers.delete(record.name); }
      })();
    }, POLL_MS);
    watchers.set(record.name, timer);
  };

  return {
    async execute(command: string, _args: unknown[], doc: TextDocument | undefined): Promise<unknown> {
      try {
        const l = layout();
        if (command === 'qdc.lsp.run') {
          if (!doc) return { ok: false, error: 'no document' };
          const text = doc.getText();
          const parsed = parseDomain(text);
          if (!parsed.domain) return { ok: false, error: parsed.diagnostics[0]?.message ?? 'the domain does not parse' };
          const caps = await probedCapsFor(parsed.domain, l);
          const inputs = compileInputs({ root: settings.root, caps, qemuConf: settings.qemuConf });
          const name = parsed.domain.name;
          const started = await startDomain({
            layout: l, onPoweroff: parsed.domain.onPoweroff, xmlFile: doc.uri,
            progress: (stage, detail) => notify({ uri: doc.uri, name, state: stage, detail }),
            compile: (domainId, masterKey): Plan => {
              const r = compile(text, { ...inputs.options, model: parsed, domainId, secrets: inputs.secretsFor(masterKey), allocatePort: hostPortAllocator(), nowEpochSeconds: Math.floor(Date.now() / 1000) });
              const err = r.diagnostics.find((d) => d.severity === 'error');
              if (err || !r.plan) throw new Error(`${err?.range.start.line}:${err?.range.start.column}: ${err?.message ?? 'does not compile'}`);
              return r.plan;
            },
          });
          watch(doc.uri, started.record, l);
          return { ok: true, name, state: started.status, log: started.record.log };
        }
        const name = nameOf(doc);
        if (!name) return { ok: false, error: 'the document names no domain' };
        const { store, record } = findDomain(l, name);
        if (command === 'qdc.lsp.stop') {
          const how = await stopDomain(store, record, 5000);
          notify({ uri: doc?.uri, name, state: 'stopped', detail: how });
          return { ok: true, name, state: 'stopped', detail: how };
        }
        if (command === 'qdc.lsp.status') {
          const s = await domainStatus(record);
          return { ok: true, name, state: s.alive ? s.status ?? 'unknown' : 'stopped', console: record.consoles?.[0]?.path, log: record.log };
        }
        return { ok: false, error: `unknown command ${command}` };
      } catch (e) {
        return { ok: false, error: (e as Error).message };
      }
    },
    dispose(): void { for (const t of watchers.values()) clearInterval(t); },
  };
}
