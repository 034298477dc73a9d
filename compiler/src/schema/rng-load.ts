// Loads a RELAX NG grammar (XML syntax, split over files with <include>) into interned
// patterns. Reading files is the caller's business (a callback), so the compiler stays
// free of I/O and the language server can feed in-memory grammars.
import type { XElement } from '../xml/parse.js';
import { parseXml } from '../xml/parse.js';
import { makeDatatype, DatatypeError, XSD_LIBRARY } from './datatypes.js';
import { PatternFactory, type NameClass, type Pattern, type PatternOf } from './pattern.js';

const RNG_NS = 'http://relaxng.org/ns/structure/1.0';

export class SchemaLoadError extends Error {
  constructor(message: string, readonly file: string) { super(`${file}: ${message}`); }
}

export interface Schema {
  readonly factory: PatternFactory;
  readonly start: Pattern;
  /** Every element pattern, for documentation look-ups and completion of root names. */
  readonly elements: PatternOf<'element'>[];
  readonly files: string[];
}

export type ReadFile = (path: string) => string;

type DomElement = XElement;
interface Body { node: DomElement; file: string }
interface Component { combine: string | null; bodies: Body[]; compiled?: Pattern; compiling?: boolean }
interface Scope { parent: Scope | null; defines: Map<string, Component>; start: Component | null }

function dirOf(path: string): string { const i = path.lastIndexOf('/'); return i < 0 ? '' : path.slice(0, i + 1); }
function resolvePath(base: string, href: string): string {
  if (href.startsWith('/')) return href;
  const parts = (dirOf(base) + href).split('/');
  const out: string[] = [];
  for (const p of parts) { if (p === '..' && out.length && out[out.length - 1] !== '..' && out[out.length - 1] !== '') out.pop(); else if (p !== '.') out.push(p); }
  return out.join('/');
}

function rngChildren(el: DomElement): DomElement[] {
  const out: DomElement[] = [];
  for (const c of el.children) {
    if (c.ns !== RNG_NS) continue;
    if (c.local === 'div') out.push(...rngChildren(c)); // <div> only groups definitions
    else out.push(c);
  }
  return out;
}

function attr(el: DomElement, name: string): string | null {
  for (const a of el.attrs) if (a.name === name) return a.value;
  return null;
}

function documentationOf(el: DomElement): string | undefined {
  let text = '';
  for (const c of el.children) {
    if (c.ns !== RNG_NS && c.local === 'documentation') text += (text ? '\n' : '') + c.text.trim();
  }
  return text || undefined;
}

function inherited(el: DomElement, name: string): string | null {
  for (let e: DomElement | null = el; e; e = e.parent) {
    const v = attr(e, name);
    if (v !== null) return v;
  }
  return null;
}

export function loadSchema(entry: string, readFile: ReadFile): Schema {
  const f = new PatternFactory();
  const docs = new Map<string, DomElement>();
  const lookups = new Map<DomElement, (el: DomElement, prefix: string) => string | null>();
  const lookupNamespace = (el: DomElement, prefix: string): string | null => {
    let root = el;
    while (root.parent) root = root.parent;
    return lookups.get(root)?.(el, prefix) ?? null;
  };
  const elementMemo = new Map<DomElement, PatternOf<'element'>>();
  const elements: PatternOf<'element'>[] = [];
  const pendingContent: { el: PatternOf<'element'>; nodes: DomElement[]; scope: Scope; file: string }[] = [];

  const parseFile = (path: string): DomElement => {
    const hit = docs.get(path);
    if (hit) return hit;
    let text: string;
    try { text = readFile(path); } catch (e) { throw new SchemaLoadError(`cannot read grammar file: ${(e as Error).message}`, path); }
    const scanned = parseXml(text);
    const root = scanned.root;
    if (!root) { const d = scanned.diagnostics[0]!; throw new SchemaLoadError(`${d.range.start.line}:${d.range.start.column}: ${d.message}`, path); }
    if (root.ns !== RNG_NS) throw new SchemaLoadError('not a RELAX NG grammar', path);
    lookups.set(root, scanned.lookupNamespace!);
    docs.set(path, root);
    return root;
  };

  const fail = (msg: string, file: string): never => { throw new SchemaLoadError(msg, file); };

  // Collect a grammar's start/define components into `scope`, following includes.
  const collect = (grammar: DomElement, file: string, scope: Scope, overridden: Set<string>): void => {
    for (const c of rngChildren(grammar)) {
      if (c.local === 'start' || c.local === 'define') {
        const name = c.local === 'start' ? '#start' : attr(c, 'name')!;
        if (overridden.has(name)) continue;
        addComponent(scope, name, c, file);
      } else if (c.local === 'include') {
        const path = resolvePath(file, attr(c, 'href') ?? fail('<include> needs href', file));
        const inner = parseFile(path);
        if (inner.local !== 'grammar') fail('included file is not a <grammar>', path);
        const overrides = new Set(overridden);
        for (const o of rngChildren(c)) overrides.add(o.local === 'start' ? '#start' : attr(o, 'name')!);
        collect(inner, path, scope, overrides);
        for (const o of rngChildren(c)) {
          if (o.local === 'start' || o.local === 'define') addComponent(scope, o.local === 'start' ? '#start' : attr(o, 'name')!, o, file);
        }
      }
    }
  };

  const addComponent = (scope: Scope, name: string, node: DomElement, file: string): void => {
    const combine = attr(node, 'combine') || null;
    let comp = name === '#start' ? scope.start : scope.defines.get(name);
    if (!comp) {
      comp = { combine, bodies: [] };
      if (name === '#start') scope.start = comp; else scope.defines.set(name, comp);
    } else if (combine && comp.combine && combine !== comp.combine) fail(`conflicting combine methods for '${name}'`, file);
    else if (!combine && !comp.bodies.every((b) => attr(b.node, 'combine'))) fail(`'${name}' is defined twice without combine`, file);
    if (combine) comp.combine = combine;
    comp.bodies.push({ node, file });
  };

  const compileComponent = (comp: Component, scope: Scope, name: string): Pattern => {
    if (comp.compiled) return comp.compiled;
    if (comp.compiling) fail(`'${name}' refers to itself outside an element`, comp.bodies[0]!.file);
    comp.compiling = true;
    let p: Pattern | null = null;
    for (const b of comp.bodies) {
      const q = group(rngChildren(b.node), scope, b.file);
      p = p === null ? q : comp.combine === 'interleave' ? f.interleave(p, q) : f.choice(p, q);
    }
    comp.compiling = false;
    comp.compiled = p!;
    return p!;
  };

  const ref = (scope: Scope, name: string, file: string): Pattern => {
    const comp = scope.defines.get(name) ?? fail(`reference to undefined pattern '${name}'`, file);
    return compileComponent(comp, scope, name);
  };

  const group = (nodes: DomElement[], scope: Scope, file: string): Pattern => {
    let p: Pattern = f.empty;
    for (const n of nodes) p = f.group(p, pattern(n, scope, file));
    return p;
  };

  const qname = (el: DomElement, raw: string, isAttribute: boolean, file: string): { ns: string; local: string } => {
    const name = raw.trim();
    const colon = name.indexOf(':');
    if (colon > 0) {
      const ns = lookupNamespace(el, name.slice(0, colon)) ?? fail(`unknown prefix in '${name}'`, file);
      return { ns, local: name.slice(colon + 1) };
    }
    const ns = isAttribute ? ((attr(el, 'ns') !== null) ? attr(el, 'ns')! : '') : (inherited(el, 'ns') ?? '');
    return { ns, local: name };
  };

  const nameClass = (el: DomElement, isAttribute: boolean, file: string): NameClass => {
    switch (el.local) {
      case 'name': { const q = qname(el, el.text, false, file); return { k: 'name', ...q }; }
      case 'anyName': { const ex = rngChildren(el).find((c) => c.local === 'except'); return { k: 'anyName', except: ex ? ncChoice(rngChildren(ex), isAttribute, file) : null }; }
      case 'nsName': { const ex = rngChildren(el).find((c) => c.local === 'except'); return { k: 'nsName', ns: inherited(el, 'ns') ?? '', except: ex ? ncChoice(rngChildren(ex), isAttribute, file) : null }; }
      case 'choice': return ncChoice(rngChildren(el), isAttribute, file);
      default: return fail(`<${el.local}> is not a name class`, file);
    }
  };
  const ncChoice = (els: DomElement[], isAttribute: boolean, file: string): NameClass => {
    let nc = nameClass(els[0] ?? fail('empty name class choice', file), isAttribute, file);
    for (const e of els.slice(1)) nc = { k: 'choice', a: nc, b: nameClass(e, isAttribute, file) };
    return nc;
  };

  const datatypeLibrary = (el: DomElement): string => inherited(el, 'datatypeLibrary') ?? '';

  const pattern = (el: DomElement, scope: Scope, file: string): Pattern => {
    const kids = (): DomElement[] => rngChildren(el);
    try {
      switch (el.local) {
        case 'element': {
          const memo = elementMemo.get(el);
          if (memo) return memo;
          let nodes = kids();
          let nc: NameClass;
          if ((attr(el, 'name') !== null)) nc = { k: 'name', ...qname(el, attr(el, 'name')!, false, file) };
          else { nc = nameClass(nodes[0] ?? fail('<element> needs a name', file), false, file); nodes = nodes.slice(1); }
          const p = f.element(nc, documentationOf(el));
          elementMemo.set(el, p);
          elements.push(p);
          pendingContent.push({ el: p, nodes, scope, file });
          return p;
        }
        case 'attribute': {
          let nodes = kids();
          let nc: NameClass;
          if ((attr(el, 'name') !== null)) nc = { k: 'name', ...qname(el, attr(el, 'name')!, true, file) };
          else { nc = nameClass(nodes[0] ?? fail('<attribute> needs a name', file), true, file); nodes = nodes.slice(1); }
          return f.attribute(nc, nodes.length ? group(nodes, scope, file) : f.text, documentationOf(el));
        }
        case 'group': return group(kids(), scope, file);
        case 'interleave': { let p: Pattern = f.empty; for (const k of kids()) p = f.interleave(p, pattern(k, scope, file)); return p; }
        case 'choice': { let p: Pattern = f.notAllowed; for (const k of kids()) p = f.choice(p, pattern(k, scope, file)); return p; }
        case 'optional': return f.choice(group(kids(), scope, file), f.empty);
        case 'zeroOrMore': return f.choice(f.oneOrMore(group(kids(), scope, file)), f.empty);
        case 'oneOrMore': return f.oneOrMore(group(kids(), scope, file));
        case 'mixed': return f.interleave(group(kids(), scope, file), f.text);
        case 'list': return f.list(group(kids(), scope, file));
        case 'empty': return f.empty;
        case 'text': return f.text;
        case 'notAllowed': return f.notAllowed;
        case 'ref': return ref(scope, attr(el, 'name')!.trim(), file);
        case 'parentRef': return ref(scope.parent ?? fail('<parentRef> outside a nested grammar', file), attr(el, 'name')!.trim(), file);
        case 'value': {
          const lib = (attr(el, 'type') !== null) ? datatypeLibrary(el) : '';
          const dt = makeDatatype(lib, attr(el, 'type')?.trim() || 'token', []);
          return f.value(dt, el.text);
        }
        case 'data': {
          const params: [string, string][] = [];
          let except: Pattern | null = null;
          for (const k of kids()) {
            if (k.local === 'param') params.push([attr(k, 'name')!.trim(), k.text]);
            else if (k.local === 'except') { let p: Pattern = f.notAllowed; for (const e of rngChildren(k)) p = f.choice(p, pattern(e, scope, file)); except = p; }
          }
          return f.data(makeDatatype(datatypeLibrary(el), attr(el, 'type')!.trim(), params), except);
        }
        case 'externalRef': {
          const path = resolvePath(file, attr(el, 'href') ?? fail('<externalRef> needs href', file));
          return topLevel(parseFile(path), path, scope);
        }
        case 'grammar': return topLevel(el, file, scope);
        default: return fail(`unexpected <${el.local}> in a pattern`, file);
      }
    } catch (e) {
      if (e instanceof DatatypeError) fail(e.message, file);
      throw e;
    }
  };

  const topLevel = (root: DomElement, file: string, parent: Scope | null): Pattern => {
    if (root.local !== 'grammar') return pattern(root, parent ?? { parent: null, defines: new Map(), start: null }, file);
    const scope: Scope = { parent, defines: new Map(), start: null };
    collect(root, file, scope, new Set());
    if (!scope.start) fail('grammar has no <start>', file);
    return compileComponent(scope.start!, scope, 'start');
  };

  f.preserveOrder = true;
  const start = topLevel(parseFile(entry), entry, null);
  // Element contents are compiled breadth-first, after the patterns that reference them.
  while (pendingContent.length) {
    const { el, nodes, scope, file } = pendingContent.shift()!;
    el.content = group(nodes, scope, file);
  }
  f.preserveOrder = false;
  return { factory: f, start, elements, files: [...docs.keys()] };
}
