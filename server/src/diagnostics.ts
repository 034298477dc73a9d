// Compiler diagnostics → LSP diagnostics, plus the editor-only warnings: taint and override
// property types that do not fit QEMU's type.
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../../compiler/src/index.js';
import type { DocumentAnalysis } from './analysis.js';
import { deviceProps } from './completion.js';
import { overrideTypeFor } from './qemu-knowledge.js';

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function toLsp(doc: TextDocument, d: Diagnostic): LspDiagnostic {
  const start = d.range.start.offset;
  let end = d.range.end.offset;
  if (end <= start) {
    // a point: widen to the word at that position so editors can underline it
    const text = doc.getText();
    end = start;
    while (end < text.length && /[^\s<>"'=/]/.test(text[end]!)) end++;
    if (end === start) end = Math.min(text.length, start + 1);
  }
  return { range: { start: doc.positionAt(start), end: doc.positionAt(end) }, severity: SEVERITY[d.severity], code: d.code, source: 'qdc', message: d.message };
}

const TAINT: Record<string, string> = {
  commandline: 'domain is tainted: custom QEMU arguments/environment from <qemu:commandline>',
  capabilities: 'domain is tainted: QEMU capability flags are changed by <qemu:capabilities>',
  override: 'domain is tainted: device properties are overridden by <qemu:override>',
  deprecation: 'domain is tainted: QEMU deprecation behaviour is configured',
};

export function editorWarnings(doc: TextDocument, a: DocumentAnalysis): LspDiagnostic[] {
  const out: LspDiagnostic[] = [];
  const tags = a.tags;
  let alias: string | undefined;
  for (const t of tags) {
    const i = t.name.indexOf(':');
    if (i < 0) continue;
    const local = t.name.slice(i + 1);
    const range = { start: doc.positionAt(t.nameStart), end: doc.positionAt(t.nameEnd) };
    if (!t.closing && TAINT[local] && (local !== 'deprecation' || t.attrs.some((x) => x.name === 'behavior' && x.value !== 'none'))) {
      out.push({ range, severity: DiagnosticSeverity.Warning, code: 'tainted', source: 'qdc', message: TAINT[local]! });
    }
    if (local === 'device') alias = t.closing ? undefined : t.attrs.find((x) => x.name === 'alias')?.value;
    if (local === 'property' && !t.closing && alias) {
      const dev = a.devices.find((d) => d.id === alias);
      const name = t.attrs.find((x) => x.name === 'name');
      const type = t.attrs.find((x) => x.name === 'type');
      if (!dev || !name || !type || type.value === 'remove') continue;
      const props = deviceProps(a.caps, dev.driver);
      if (!props.length) continue;
      const p = props.find((x) => x.name === name.value);
      if (!p) {
        out.push({ range: { start: doc.positionAt(name.valueStart), end: doc.positionAt(name.valueEnd) }, severity: DiagnosticSeverity.Warning, code: 'qemu-unknown-property', source: 'qdc', message: `QEMU device ${dev.driver} has no property '${name.value}'` });
        continue;
      }
      const want = overrideTypeFor(p.type);
      if (want && want !== type.value) {
        out.push({ range: { start: doc.positionAt(type.valueStart), end: doc.positionAt(type.valueEnd) }, severity: DiagnosticSeverity.Warning, code: 'qemu-property-type', source: 'qdc', message: `property '${name.value}' of ${dev.driver} is a QEMU ${p.type}: use type='${want}' (not '${type.value}')` });
      }
    }
  }
  return out;
}
