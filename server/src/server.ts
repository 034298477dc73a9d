// The qdc language server: diagnostics, completion, hover, symbols, folding, alias
// navigation and commands. All analysis goes through the compiler (see analysis.ts).
import {
  createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { formatArgs, formatPlan } from '../../compiler/src/index.js';
import { analyse, type DocumentAnalysis } from './analysis.js';
import { complete } from './completion.js';
import { editorWarnings, toLsp } from './diagnostics.js';
import type { GrammarSupport } from './grammar.js';
import { hover } from './hover.js';
import { definition, documentSymbols, foldingRanges, prepareRename, references, rename } from './navigation.js';
import { CompileInputsCache, type ServerSettings } from './settings.js';
import { hostKnowledge } from './host-knowledge.js';
import { scanTags } from './xml-scan.js';

/** Is the first element of the text a <domain> (or is the document still empty)? */
export function isDomainDocument(text: string): boolean {
  const first = scanTags(text, Math.min(text.length, 4096)).find((t) => !t.closing);
  return !first || first.name === 'domain';
}

// server-side command ids; the extension's own palette commands (qdc.showCommandLine …) call these
export const COMMANDS = ['qdc.lsp.showCommandLine', 'qdc.lsp.run', 'qdc.lsp.stop', 'qdc.lsp.status'] as const;

export interface ServerExtensions {
  grammar?: (settings: ServerSettings) => GrammarSupport | undefined;
  runtime?: (connection: Connection, settings: ServerSettings) => { execute(command: string, args: unknown[], doc: TextDocument | undefined, analysis: DocumentAnalysis | undefined): Promise<unknown> } | undefined;
}

export function startServer(connection: Connection = createConnection(ProposedFeatures.all), ext: ServerExtensions = {}): Connection {
  const documents = new TextDocuments(TextDocument);
  const inputs = new CompileInputsCache({});
  const host = hostKnowledge(() => inputs.current);
  const cache = new Map<string, { version: number; analysis: DocumentAnalysis }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let grammar = ext.grammar?.({});
  let runtime = ext.runtime?.(connection, {});

  /** The document's analysis. `stale` accepts the previous version's (aliases and devices rarely
   * change per keystroke): completion and hover stay fast while diagnostics catch up. */
  const analysisOf = (doc: TextDocument, stale = false): DocumentAnalysis => {
    const hit = cache.get(doc.uri);
    if (hit && (hit.version === doc.version || stale)) return hit.analysis;
    const { options } = inputs.options();
    const analysis = analyse(doc.getText(), options);
    cache.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  };

  const validate = (doc: TextDocument): void => {
    try {
      if (!isDomainDocument(doc.getText())) {
        // the client may send every XML file; only libvirt domains are ours to judge
        void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [] });
        return;
      }
      const a = analysisOf(doc);
      // `qdc lint`'s checks (grammar + semantic rules) plus the compiler's, as the CLI gives them
      const found = grammar ? grammar.lint(doc.getText(), a.diagnostics, a.xml) : a.diagnostics;
      const diags = found.map((d) => toLsp(doc, d));
      diags.push(...editorWarnings(doc, a));
      const problem = inputs.options().problem;
      if (problem && !a.plan) diags.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 3, source: 'qdc', code: 'no-caps', message: problem });
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: diags });
    } catch (e) {
      connection.console.error(`qdc: analysis failed for ${doc.uri}: ${(e as Error).stack ?? e}`);
    }
  };

  const schedule = (doc: TextDocument): void => {
    clearTimeout(timers.get(doc.uri));
    // coalesce the edits that arrive together (one read from the client); anything longer
    // only adds latency, since a compile of even a large domain takes a few tens of ms
    timers.set(doc.uri, setTimeout(() => { timers.delete(doc.uri); const d = documents.get(doc.uri); if (d) validate(d); }, 2));
  };

  const applySettings = (s: unknown): void => {
    const settings = ((s as { qdc?: ServerSettings } | undefined)?.qdc ?? s ?? {}) as ServerSettings;
    inputs.update(settings);
    grammar = ext.grammar?.(settings);
    runtime = ext.runtime?.(connection, settings);
    cache.clear();
    documents.all().forEach(schedule);
  };

  connection.onInitialize((params): InitializeResult => {
    applySettings(params.initializationOptions);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: ['<', ' ', '"', "'", '=', ',', '-', ':'] },
        hoverProvider: true,
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        executeCommandProvider: { commands: [...COMMANDS] },
      },
      serverInfo: { name: 'qdc', version: '0.1.0' },
    };
  });
  connection.onDidChangeConfiguration((p) => applySettings(p.settings));
  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => { clearTimeout(timers.get(e.document.uri)); cache.delete(e.document.uri); void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }); });

  const withDoc = <T>(uri: string, dflt: T, f: (doc: TextDocument, a: DocumentAnalysis) => T, stale = false): T => {
    const doc = documents.get(uri);
    if (!doc) return dflt;
    try { return f(doc, analysisOf(doc, stale)); } catch (e) { connection.console.error(`qdc: ${(e as Error).stack ?? e}`); return dflt; }
  };

  connection.onCompletion((p) => withDoc(p.textDocument.uri, [], (doc, a) => complete(doc, doc.offsetAt(p.position), a, grammar, host), true));
  connection.onHover((p) => withDoc(p.textDocument.uri, null, (doc, a) => hover(doc, doc.offsetAt(p.position), a, grammar), true));
  connection.onDocumentSymbol((p) => withDoc(p.textDocument.uri, [], (doc) => documentSymbols(doc)));
  connection.onFoldingRanges((p) => withDoc(p.textDocument.uri, [], (doc) => foldingRanges(doc)));
  connection.onDefinition((p) => withDoc(p.textDocument.uri, [], (doc, a) => definition(doc, a, doc.offsetAt(p.position))));
  connection.onReferences((p) => withDoc(p.textDocument.uri, [], (doc, a) => references(doc, a, doc.offsetAt(p.position), p.context.includeDeclaration)));
  connection.onPrepareRename((p) => withDoc(p.textDocument.uri, null, (doc, a) => prepareRename(doc, a, doc.offsetAt(p.position))));
  connection.onRenameRequest((p) => withDoc(p.textDocument.uri, null, (doc, a) => rename(doc, a, doc.offsetAt(p.position), p.newName)));

  connection.onExecuteCommand(async (p) => {
    const uri = (p.arguments?.[0] as { uri?: string } | string | undefined);
    const docUri = typeof uri === 'string' ? uri : uri?.uri;
    const doc = docUri ? documents.get(docUri) : undefined;
    const a = doc ? analysisOf(doc) : undefined;
    if (p.command === 'qdc.lsp.showCommandLine') {
      if (!doc || !a) return { ok: false, error: `document ${docUri ?? '(none)'} is not open` };
      if (!a.plan) {
        const first = a.diagnostics.find((d) => d.severity === 'error');
        return { ok: false, error: first ? `${first.range.start.line}:${first.range.start.column}: ${first.message}` : inputs.options().problem ?? 'the domain does not compile' };
      }
      return { ok: true, args: formatArgs(a.plan), plan: JSON.parse(formatPlan(a.plan)) };
    }
    if (!runtime) return { ok: false, error: 'the runtime is not available in this server' };
    return runtime.execute(p.command, p.arguments ?? [], doc, a);
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
