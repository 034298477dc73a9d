// The validation engine's public surface: load a RELAX NG grammar, validate a positioned
// tree against it with precise, actionable diagnostics, ask what is allowed at a position
// (completion), and run libvirt's stricter-than-grammar semantic rules.
export { loadSchema, SchemaLoadError, type Schema, type ReadFile } from './rng-load.js';
export { validateDocument, expectedAt, type ElementTemplate, type Expected, type Probe } from './validate.js';
export { describeValues, type ExpectedName, type ExpectedValue } from './expected.js';
export { documentationFor } from './documentation.js';
export {
  checkSemantics, SEMANTIC_RULES, qemuEnvNameProblem, overridePropertyProblem, unknownCapabilityProblem,
  type SemanticRule, type OverridePropertyType,
} from './semantic-rules.js';

/** The file a grammar directory starts from (ours and libvirt's both use this name). */
export const SCHEMA_ENTRY = 'domain.rng';
