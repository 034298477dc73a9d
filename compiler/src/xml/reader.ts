// Reading helpers for model builders. Reading an attribute or child marks it as used;
// `unusedNodes` then lists what no builder read, which becomes an `unsupported` error.
import { DiagnosticSink, FatalDiagnostic, type Range } from '../diagnostics.js';
import type { XAttr, XElement } from './parse.js';

export const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

export class ElementReader {
  constructor(readonly el: XElement, readonly diags: DiagnosticSink) {}

  get name(): string { return this.el.local; }
  get range(): Range { return this.el.range; }

  private attrNode(name: string): XAttr | undefined {
    for (const a of this.el.attrs) if (a.name === name) { a.used = true; return a; }
    return undefined;
  }

  has(name: string): boolean { return this.el.attrs.some((a) => a.name === name); }

  attr(name: string): string | undefined { return this.attrNode(name)?.value; }

  attrRange(name: string): Range {
    return this.el.attrs.find((a) => a.name === name)?.valueRange ?? this.el.range;
  }

  requireAttr(name: string): string {
    const v = this.attr(name);
    if (v === undefined) this.fatal('missing-attribute', `<${this.el.name}> needs attribute '${name}'`);
    return v!;
  }

  /** Fail the compilation at this element (or one of its attributes). */
  fatal(code: string, message: string, attr?: string): never {
    const range = attr ? this.attrRange(attr) : this.el.range;
    throw new FatalDiagnostic({ code, message, severity: 'error', range });
  }

  enumAttr<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.fatal('invalid-value', `${name} must be one of ${allowed.join(', ')} (got '${v}')`, name);
    }
    return v as T;
  }

  /** Integer in libvirt's style: decimal, or hex with 0x prefix. */
  intAttr(name: string): number | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    const t = v.trim();
    const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^-?[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
    if (!Number.isFinite(n)) this.fatal('invalid-number', `${name} must be an integer (got '${v}')`, name);
    return n;
  }

  /** yes/no or on/off switches. */
  boolAttr(name: string): boolean | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    if (v === 'yes' || v === 'on') return true;
    if (v === 'no' || v === 'off') return false;
    return this.fatal('invalid-value', `${name} must be yes/no or on/off (got '${v}')`, name);
  }

  child(local: string, ns: string | null = null): ElementReader | undefined {
    for (const c of this.el.children) {
      if (c.local === local && c.ns === ns) { c.used = true; return new ElementReader(c, this.diags); }
    }
    return undefined;
  }

  children(local: string, ns: string | null = null): ElementReader[] {
    const out: ElementReader[] = [];
    for (const c of this.el.children) {
      if (c.local === local && c.ns === ns) { c.used = true; out.push(new ElementReader(c, this.diags)); }
    }
    return out;
  }

  /** All element children in document order, marked used (caller dispatches on name). */
  allChildren(): ElementReader[] {
    return this.el.children.map((c) => { c.used = true; return new ElementReader(c, this.diags); });
  }

  text(): string { return this.el.text.trim(); }

  childText(local: string): string | undefined { return this.child(local)?.text(); }

  /** Mark this element and everything below it as read: content we accept but that has no
   * effect on QEMU (metadata, descriptions). */
  acceptSubtree(): void { markUsed(this.el); }

  /** Mark attributes as read because they carry no command-line meaning (documented at call site). */
  accept(...names: string[]): void { for (const n of names) this.attrNode(n); }
}

function markUsed(el: XElement): void {
  el.used = true;
  for (const a of el.attrs) a.used = true;
  for (const c of el.children) markUsed(c);
}

export interface UnusedNode { el: XElement; attr?: XAttr }

export function unusedNodes(root: XElement): UnusedNode[] {
  const out: UnusedNode[] = [];
  const walk = (el: XElement): void => {
    if (!el.used) { out.push({ el }); return; }
    for (const a of el.attrs) if (!a.used) out.push({ el, attr: a });
    for (const c of el.children) walk(c);
  };
  walk(root);
  return out;
}
