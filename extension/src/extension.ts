// The VS Code client: a thin shell around the bundled qdc language server (vscode-eslint
// style). It starts the server, forwards settings, and turns server commands into editor
// UI: a live read-only command-line document, run/stop, a serial console terminal, a
// status-bar item with the guest's state, and a lint task with a problem matcher.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';

const SCHEME = 'qdc-cmdline';
let client: LanguageClient | undefined;

interface ShowResult { ok: boolean; args?: string; plan?: unknown; error?: string }
interface RunResult { ok: boolean; name?: string; state?: string; error?: string; console?: string; log?: string }
interface DomainState { uri?: string; name: string; state: string; detail?: string }

function settings(): Record<string, string | undefined> {
  const c = vscode.workspace.getConfiguration('qdc');
  const v = (k: string): string | undefined => c.get<string>(k) || undefined;
  return { root: v('root'), emulator: v('emulator'), capsFile: v('capsFile'), schemaDir: v('schemaDir') };
}

function isDomain(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'libvirt-domain' || (doc.languageId === 'xml' && /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<domain\b/.test(doc.getText(new vscode.Range(0, 0, 50, 0))));
}

/** The live command line of a domain document, re-rendered as the document changes. */
class CommandLineProvider implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;

  static uriFor(source: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: SCHEME, path: `${source.path}.args`, query: source.toString() });
  }

  sourceChanged(source: vscode.Uri): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emitter.fire(CommandLineProvider.uriFor(source)), 150);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    if (!client) return '# the qdc language server is not running\n';
    const r = await client.sendRequest<ShowResult>('workspace/executeCommand', { command: 'qdc.lsp.showCommandLine', arguments: [{ uri: uri.query }] });
    return r.ok ? r.args! : `# this domain does not compile yet:\n# ${r.error}\n`;
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'libvirt-domain' }, { language: 'xml', scheme: 'file' }, { language: 'xml', scheme: 'untitled' }],
    initializationOptions: settings(),
    synchronize: { configurationSection: 'qdc' },
  };
  client = new LanguageClient('qdc', 'qdc', serverOptions, clientOptions);

  const provider = new CommandLineProvider();
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 100);
  status.name = 'qdc guest state';
  status.command = 'qdc.runDomain';
  const states = new Map<string, DomainState>();
  const showStatus = (): void => {
    const doc = vscode.window.activeTextEditor?.document;
    const s = doc ? states.get(doc.uri.toString()) : undefined;
    if (!doc || !isDomain(doc)) { status.hide(); return; }
    status.text = s ? `$(vm) ${s.name}: ${s.state}` : '$(vm) qdc: not running';
    status.tooltip = s?.detail ?? 'Run this domain with qdc';
    status.command = s && s.state !== 'shutdown' && s.state !== 'stopped' ? 'qdc.stopDomain' : 'qdc.runDomain';
    status.show();
  };

  const activeDomainUri = (): vscode.Uri | undefined => {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && isDomain(doc)) return doc.uri;
    if (doc?.uri.scheme === SCHEME) return vscode.Uri.parse(doc.uri.query);
    void vscode.window.showWarningMessage('qdc: open a domain XML file first');
    return undefined;
  };
  const exec = async <T>(command: string, uri: vscode.Uri): Promise<T> => client!.sendRequest<T>('workspace/executeCommand', { command, arguments: [{ uri: uri.toString() }] });

  context.subscriptions.push(
    status,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider),
    vscode.workspace.onDidChangeTextDocument((e) => { if (isDomain(e.document)) provider.sourceChanged(e.document.uri); }),
    vscode.window.onDidChangeActiveTextEditor(showStatus),
    vscode.commands.registerCommand('qdc.showCommandLine', async () => {
      const uri = activeDomainUri();
      if (!uri) return;
      const doc = await vscode.workspace.openTextDocument(CommandLineProvider.uriFor(uri));
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
    }),
    vscode.commands.registerCommand('qdc.runDomain', async () => {
      const uri = activeDomainUri();
      if (!uri) return;
      await vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.save();
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'qdc: starting domain', cancellable: false },
        () => exec<RunResult>('qdc.lsp.run', uri));
      if (!r.ok) void vscode.window.showErrorMessage(`qdc: ${r.error}`);
      else if (r.name) { states.set(uri.toString(), { uri: uri.toString(), name: r.name, state: r.state ?? 'running', detail: r.log ? `log: ${r.log}` : undefined }); showStatus(); }
    }),
    vscode.commands.registerCommand('qdc.stopDomain', async () => {
      const uri = activeDomainUri();
      if (!uri) return;
      const r = await exec<RunResult>('qdc.lsp.stop', uri);
      if (!r.ok) void vscode.window.showErrorMessage(`qdc: ${r.error}`);
    }),
    vscode.commands.registerCommand('qdc.openSerialConsole', async () => {
      const uri = activeDomainUri();
      if (!uri) return;
      const r = await exec<RunResult>('qdc.lsp.status', uri);
      if (!r.ok || !r.name) { void vscode.window.showErrorMessage(`qdc: ${r.error ?? 'the domain is not running'}`); return; }
      const s = settings();
      const args = [context.asAbsolutePath(path.join('dist', 'qdc.js')), 'console', r.name, ...(s.root ? ['--root', s.root] : [])];
      vscode.window.createTerminal({ name: `qdc console: ${r.name}`, shellPath: process.execPath, shellArgs: args }).show();
    }),
    vscode.tasks.registerTaskProvider('qdc', {
      provideTasks: () => {
        const folder = vscode.workspace.workspaceFolders?.[0];
        if (!folder) return [];
        const exe = new vscode.ProcessExecution(process.execPath, [context.asAbsolutePath(path.join('dist', 'qdc.js')), 'lint', folder.uri.fsPath, '--format', 'text']);
        const task = new vscode.Task({ type: 'qdc', command: 'lint' }, folder, 'lint', 'qdc', exe, ['$qdc']);
        task.group = vscode.TaskGroup.Test;
        return [task];
      },
      resolveTask: () => undefined,
    }),
  );

  client.onNotification('qdc/domainState', (s: DomainState) => {
    if (s.uri) states.set(s.uri, s);
    showStatus();
  });
  await client.start();
  showStatus();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
