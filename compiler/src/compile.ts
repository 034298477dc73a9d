// The compiler's entry point: text in, plan (or diagnostics) out. Pure: the caller reads
// files and passes capabilities, configuration and paths as data.
import { DiagnosticSink, FatalDiagnostic, type Diagnostic } from './diagnostics.js';
import { buildDomain } from './model/build.js';
import type { Domain } from './model/domain.js';
import type { Plan } from './plan/plan.js';
import { lowerDomain, type LowerObserver } from './lower/index.js';
import type { CompileOptions } from './lower/context.js';
import { parseXml, type XmlDocument } from './xml/parse.js';
import { unusedNodes } from './xml/reader.js';

export interface CompileResult {
  plan?: Plan;
  domain?: Domain;
  diagnostics: Diagnostic[];
  /** Devices lowering emitted (id, driver, JSON props), also when a later stage failed. */
  devices?: { id: string; driver: string; props: Record<string, unknown> }[];
}

export interface ModelResult { domain?: Domain; diagnostics: Diagnostic[] }

/** XML text → typed domain model, rejecting anything the model does not read. */
/** XML text → typed domain model. `parsed` lets a caller that already parsed the text (the
 * language server lints and compiles one parse) skip parsing again; a tree is built into a
 * model once only, because building marks what it read. */
export function parseDomain(text: string, parsed?: XmlDocument): ModelResult {
  const doc = parsed ?? parseXml(text);
  if (!doc.root) return { diagnostics: doc.diagnostics };
  const sink = new DiagnosticSink();
  let domain: Domain;
  try {
    domain = buildDomain(doc.root, sink);
  } catch (e) {
    if (e instanceof FatalDiagnostic) return { diagnostics: [...sink.items, e.diagnostic] };
    throw e;
  }
  for (const u of unusedNodes(doc.root)) {
    if (u.attr) sink.error('unsupported', `unsupported: attribute '${u.attr.name}' on <${u.el.name}> at ${u.attr.range.start.line}:${u.attr.range.start.column}`, u.attr.range);
    else sink.error('unsupported', `unsupported: <${u.el.name}> at ${u.el.range.start.line}:${u.el.range.start.column}`, u.el.range);
  }
  return { domain, diagnostics: sink.items };
}

/** `document` or `model`: what the caller already made of `text` (parseXml, parseDomain),
 * so that it is not made again. */
export function compile(text: string, opts: CompileOptions & { nowEpochSeconds?: number; document?: XmlDocument; model?: ModelResult }): CompileResult {
  const parsed = opts.model ?? parseDomain(text, opts.document);
  if (!parsed.domain || parsed.diagnostics.some((d) => d.severity === 'error')) return parsed;
  const sink = new DiagnosticSink();
  sink.items.push(...parsed.diagnostics);
  const observer: LowerObserver = {};
  try {
    const plan = lowerDomain(parsed.domain, opts, sink, opts.nowEpochSeconds ?? 0, observer);
    if (sink.hasErrors) return { domain: parsed.domain, diagnostics: sink.items, devices: observer.devices };
    return { plan, domain: parsed.domain, diagnostics: sink.items, devices: observer.devices };
  } catch (e) {
    if (e instanceof FatalDiagnostic) return { domain: parsed.domain, diagnostics: [...sink.items, e.diagnostic], devices: observer.devices };
    throw e;
  }
}
