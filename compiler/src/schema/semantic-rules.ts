// Rules where libvirt's parser is stricter than its grammar. Each rule is a pure function
// over the positioned tree, so the linter, the language server and the compiler's model
// share one implementation (the model calls the `…Problem` helpers directly).
import type { Diagnostic, Range } from '../diagnostics.js';
import type { XAttr, XElement } from '../xml/parse.js';
import { QEMU_NS } from '../xml/reader.js';
import { isKnownCapability } from '../caps/capability-names.js';

export interface SemanticRule {
  code: string;
  /** One line for `qdc lint --list-rules` and editor hover. */
  description: string;
  check(root: XElement, report: (d: Diagnostic) => void): void;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** libvirt refuses environment names that a shell could not export. */
export function qemuEnvNameProblem(name: string): string | null {
  return ENV_NAME.test(name) ? null : `invalid environment variable name '${name}': it must start with a letter or '_' and contain only letters, digits and '_'`;
}

export type OverridePropertyType = 'string' | 'signed' | 'unsigned' | 'bool' | 'remove';

/** A <qemu:property> value as libvirt parses it: values are required unless removing,
 * integers are base 10 only, and booleans are exactly true/false. */
export function overridePropertyProblem(name: string | undefined, type: OverridePropertyType, value: string | undefined): { message: string; at: 'element' | 'value' } | null {
  if (type === 'remove') return null;
  if (value === undefined) return { message: `<qemu:property name='${name}'> of type '${type}' needs a value`, at: 'element' };
  switch (type) {
    case 'signed': return /^-?[0-9]+$/.test(value) ? null : { message: `property '${name}': '${value}' is not a base-10 signed integer`, at: 'value' };
    case 'unsigned': return /^[0-9]+$/.test(value) ? null : { message: `property '${name}': '${value}' is not a base-10 unsigned integer`, at: 'value' };
    case 'bool': return value === 'true' || value === 'false' ? null : { message: `property '${name}': bool must be 'true' or 'false' (got '${value}')`, at: 'value' };
    default: return null;
  }
}

export function unknownCapabilityProblem(name: string): string | null {
  return isKnownCapability(name) ? null : `unknown QEMU capability '${name}'`;
}

function attrOf(el: XElement, name: string): XAttr | undefined {
  for (const a of el.attrs) if (a.name === name) return a;
  return undefined;
}

/** Every device's own <alias name> (a child of each device under <devices>), in document order, computed once per tree. */
const aliasCache = new WeakMap<XElement, XAttr[]>();
function deviceAliases(root: XElement): XAttr[] {
  let out = aliasCache.get(root);
  if (out) return out;
  out = [];
  for (const devices of root.children) {
    if (devices.local !== 'devices' || devices.ns) continue;
    for (const dev of devices.children) {
      for (const c of dev.children) {
        if (c.local !== 'alias' || c.ns) continue;
        const a = attrOf(c, 'name');
        if (a) out.push(a);
      }
    }
  }
  aliasCache.set(root, out);
  return out;
}

const qemuChildren = (el: XElement, local: string): XElement[] => el.children.filter((c) => c.ns === QEMU_NS && c.local === local);

const err = (code: string, message: string, range: Range): Diagnostic => ({ code, message, severity: 'error', range });

export const SEMANTIC_RULES: SemanticRule[] = [
  {
    code: 'qemu-env-name',
    description: "<qemu:env name> must start with a letter or '_' and contain only letters, digits and '_'",
    check(root, report) {
      for (const cl of qemuChildren(root, 'commandline')) {
        for (const env of qemuChildren(cl, 'env')) {
          const a = attrOf(env, 'name');
          const problem = a && qemuEnvNameProblem(a.value);
          if (problem) report(err('qemu-env-name', problem, a!.valueRange));
        }
      }
    },
  },
  {
    code: 'qemu-override-value',
    description: "<qemu:property> needs a value unless type is 'remove'; integers are base 10; bool is true or false",
    check(root, report) {
      for (const ov of qemuChildren(root, 'override')) {
        for (const dev of qemuChildren(ov, 'device')) {
          for (const fe of qemuChildren(dev, 'frontend')) {
            for (const prop of qemuChildren(fe, 'property')) {
              const type = attrOf(prop, 'type')?.value as OverridePropertyType | undefined;
              if (!type || !['string', 'signed', 'unsigned', 'bool', 'remove'].includes(type)) continue; // the grammar reports it
              const value = attrOf(prop, 'value');
              const problem = overridePropertyProblem(attrOf(prop, 'name')?.value, type, value?.value);
              if (problem) report(err('qemu-override-value', problem.message, problem.at === 'value' && value ? value.valueRange : prop.nameRange));
            }
          }
        }
      }
    },
  },
  {
    code: 'qemu-unknown-capability',
    description: '<qemu:add>/<qemu:del> capability must be a name libvirt knows',
    check(root, report) {
      for (const caps of qemuChildren(root, 'capabilities')) {
        for (const c of caps.children) {
          if (c.ns !== QEMU_NS || (c.local !== 'add' && c.local !== 'del')) continue;
          const a = attrOf(c, 'capability');
          const problem = a && unknownCapabilityProblem(a.value);
          if (problem) report(err('qemu-unknown-capability', problem, a!.valueRange));
        }
      }
    },
  },
  {
    code: 'duplicate-alias',
    description: 'device aliases (<alias name>) must be unique',
    check(root, report) {
      const seen = new Map<string, XAttr>();
      for (const a of deviceAliases(root)) {
        const first = seen.get(a.value);
        if (first) report(err('duplicate-alias', `non unique alias detected: '${a.value}' (first used at line ${first.valueRange.start.line})`, a.valueRange));
        else seen.set(a.value, a);
      }
    },
  },
  {
    code: 'qemu-override-alias',
    description: "<qemu:device alias='ua-…'> must name a device's user alias; each device is overridden once",
    check(root, report) {
      const overrides = qemuChildren(root, 'override');
      if (!overrides.length) return;
      const aliases = new Set(deviceAliases(root).map((a) => a.value));
      const overridden = new Set<string>();
      for (const ov of overrides) {
        for (const dev of qemuChildren(ov, 'device')) {
          const a = attrOf(dev, 'alias');
          if (!a) continue;
          // Aliases libvirt assigns itself (net0, virtio-disk0, …) are only known after
          // compiling; `qdc lint --compile` checks those.
          if (a.value.startsWith('ua-') && !aliases.has(a.value)) {
            report(err('qemu-override-alias', `<qemu:device alias='${a.value}'> matches no device alias`, a.valueRange));
          }
          if (overridden.has(a.value)) report(err('qemu-override-duplicate', `device alias '${a.value}' is overridden twice`, a.valueRange));
          overridden.add(a.value);
        }
      }
    },
  },
];

/** Run every semantic rule over a document's root. */
export function checkSemantics(root: XElement, rules: readonly SemanticRule[] = SEMANTIC_RULES): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of rules) r.check(root, (d) => out.push(d));
  return out;
}
