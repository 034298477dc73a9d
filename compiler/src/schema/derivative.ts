// Brzozowski derivatives for RELAX NG (James Clark's algorithm): the pattern that remains
// after a start tag, an attribute, text or an end tag. Results are memoised on the
// interned patterns, so a warm schema validates mostly by table look-up.
import { full, HAS_ATTRIBUTE, HAS_ELEMENT, HAS_HOLE, HAS_TEXT, ncContains, type Pattern, type PatternFactory } from './pattern.js';

const isWhitespace = (s: string): boolean => /^[ \t\n\r]*$/.test(s);
const collapse = (s: string): string => (/^[^ \t\n\r]*$/.test(s) ? s : s.replace(/[ \t\n\r]+/g, ' ').trim());
const LENIENT_CLOSE = '\u0004>';
const LENIENT_END = '\u0004/';
const MEMO_LIMIT = 64; // per-pattern entries for value-dependent memos (values are open-ended)
// Memo keys of filled attribute holes: '=' and one '1' or '0' per hole (the form the schema
// cache stores), kept per hole count and mask up to FILL_KEY_HOLES holes.
const FILL_KEY_HOLES = 8;
const FILL_KEYS: string[][] = Array.from({ length: FILL_KEY_HOLES + 1 }, () => []);
/** Memo keys of start tags or attributes by namespace and name, each made once: a key built
 *  per element and attribute was an allocation each (and a hash of a new string). Bounded:
 *  names come from documents, and an editor session sees many. */
class NameKeys {
  private readonly byNs = new Map<string, Map<string, string>>();
  private count = 0;
  constructor(private readonly prefix: string) {}
  get(ns: string, local: string): string {
    let m = this.byNs.get(ns);
    let k = m?.get(local);
    if (k !== undefined) return k;
    k = `${this.prefix}${ns}\u0000${local}`;
    if (this.count < 4096) {
      if (!m) this.byNs.set(ns, (m = new Map()));
      m.set(local, k);
      this.count++;
    }
    return k;
  }
}
const START_TAG_KEYS = new NameKeys('<');
const ATTRIBUTE_KEYS = new NameKeys('@');

function fillKey(n: number, mask: number): string {
  let k = '=';
  for (let i = 0; i < n; i++) k += mask & (1 << i) ? '1' : '0';
  return k;
}

/** `lenient` derivatives treat every value and text as matching: they are how the
 * validator recovers after reporting an error, without a cascade of follow-ups. */
export class Derivatives {
  constructor(readonly f: PatternFactory) {}

  private memoSet(p: Pattern, key: string, r: Pattern, bounded: boolean): Pattern {
    const m = (p.memo ??= new Map());
    if (bounded && m.size >= MEMO_LIMIT) return r;
    if (!bounded) this.f.learned++;
    m.set(key, r);
    return r;
  }

  /** Stores a result computed outside this class (the validator's isolated states) in a
   *  pattern's memo table, so the schema cache keeps it with the derivatives. */
  remember(p: Pattern, key: string, r: Pattern): void {
    this.memoSet(full(p), key, r, false);
  }

  private applyAfter(p: Pattern, fn: (x: Pattern) => Pattern): Pattern {
    full(p);
    switch (p.k) {
      case 'after': return this.f.after(p.a, fn(p.b));
      case 'choice': return this.f.choice(this.applyAfter(p.a, fn), this.applyAfter(p.b, fn));
      default: return this.f.notAllowed;
    }
  }

  startTagOpen(p: Pattern, ns: string, local: string): Pattern {
    return this.sto(p, ns, local, START_TAG_KEYS.get(ns, local));
  }

  // The memo key is built once per derivative and passed down the recursion.
  private sto(p: Pattern, ns: string, local: string, key: string): Pattern {
    if (!(p.has & HAS_ELEMENT)) return this.f.notAllowed;
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    const hit = p.memo?.get(key);
    if (hit) return hit;
    return this.memoSet(p, key, this.stoRaw(p, ns, local, key), false);
  }

  private stoRaw(p: Pattern, ns: string, local: string, key: string): Pattern {
    const f = this.f;
    switch (p.k) {
      case 'choice': return f.choice(this.sto(p.a, ns, local, key), this.sto(p.b, ns, local, key));
      case 'element': return ncContains(p.nc, ns, local) ? f.after(p.content, f.empty) : f.notAllowed;
      case 'interleave': {
        const a = p.a, b = p.b;
        return f.choice(
          this.applyAfter(this.sto(a, ns, local, key), (x) => f.interleave(x, b)),
          this.applyAfter(this.sto(b, ns, local, key), (x) => f.interleave(a, x)));
      }
      case 'oneOrMore': {
        const rest = f.choice(p, f.empty);
        return this.applyAfter(this.sto(p.p, ns, local, key), (x) => f.group(x, rest));
      }
      case 'group': {
        const b = p.b;
        const x = this.applyAfter(this.sto(p.a, ns, local, key), (y) => f.group(y, b));
        return p.a.nullable ? f.choice(x, this.sto(b, ns, local, key)) : x;
      }
      case 'after': {
        const b = p.b;
        return this.applyAfter(this.sto(p.a, ns, local, key), (y) => f.after(y, b));
      }
      default: return f.notAllowed;
    }
  }

  /** Derivative by one attribute. Taken in two steps: by name (memoised per name), which
   * leaves holes where attributes of that name matched, then filling the holes with
   * empty/notAllowed according to which value patterns accept the value (memoised per
   * combination). `lenient` accepts any value. */
  attribute(p: Pattern, ns: string, local: string, value: string, lenient = false): Pattern {
    const q = this.attributeName(p, ns, local);
    if (q.k === 'notAllowed') return q;
    if (q.restorer !== undefined) q.restorer.fill(q); // full(q), inline: hot
    const holes = this.holesOf(q);
    let key: string;
    if (holes.length <= FILL_KEY_HOLES) {
      // which holes the value fills, as a bit mask: its memo key is made once per mask
      let mask = 0;
      for (let i = 0; i < holes.length; i++) if (lenient || this.valueMatches(holes[i]!, value)) mask |= 1 << i;
      key = FILL_KEYS[holes.length]![mask] ??= fillKey(holes.length, mask);
    } else {
      // (too many holes for a mask: the key is built as it goes; no closure is shared with
      // the loop above, which would be an allocation per attribute)
      key = '=';
      for (let i = 0; i < holes.length; i++) key += lenient || this.valueMatches(holes[i]!, value) ? '1' : '0';
    }
    const hit = q.memo?.get(key);
    if (hit) return hit;
    return this.memoSet(q, key, this.fill(q, holes, key), false);
  }

  /** The pattern after an attribute of this name, with its value still to be checked. */
  attributeName(p: Pattern, ns: string, local: string): Pattern {
    return this.att(p, ns, local, ATTRIBUTE_KEYS.get(ns, local));
  }

  /** The value patterns an attribute-name derivative left open. */
  holesOf(q: Pattern): Pattern[] {
    if (q.holes) return q.holes;
    const out: Pattern[] = [];
    const seen = new Set<Pattern>();
    const walk = (x: Pattern): void => {
      if (!(x.has & HAS_HOLE) || seen.has(x)) return;
      seen.add(x);
      full(x);
      switch (x.k) {
        case 'hole': if (!out.includes(x.vp)) out.push(x.vp); break;
        case 'choice': case 'group': case 'interleave': walk(x.a); walk(x.b); break;
        case 'after': walk(x.a); break;
        case 'oneOrMore': walk(x.p); break;
        default: break;
      }
    };
    walk(q);
    q.holes = out;
    return out;
  }

  /** `filled`: the memo key, '=' then '1' or '0' for each hole: whether the value fits it. */
  private fill(p: Pattern, holes: Pattern[], filled: string): Pattern {
    if (!(p.has & HAS_HOLE)) return p;
    const f = this.f;
    let r: Pattern;
    full(p);
    switch (p.k) {
      case 'hole': r = filled[1 + holes.indexOf(p.vp)] === '1' ? f.empty : f.notAllowed; break;
      case 'choice': r = f.choice(this.fill(p.a, holes, filled), this.fill(p.b, holes, filled)); break;
      case 'group': r = f.group(this.fill(p.a, holes, filled), this.fill(p.b, holes, filled)); break;
      case 'interleave': r = f.interleave(this.fill(p.a, holes, filled), this.fill(p.b, holes, filled)); break;
      case 'after': r = f.after(this.fill(p.a, holes, filled), p.b); break;
      case 'oneOrMore': r = f.oneOrMore(this.fill(p.p, holes, filled)); break;
      default: r = p;
    }
    // Hole positions are numbered per top-level pattern and nested patterns are shared
    // between top-level ones, so only the top level is memoised (in attribute()).
    return r;
  }

  private att(p: Pattern, ns: string, local: string, key: string): Pattern {
    if (!(p.has & HAS_ATTRIBUTE)) return this.f.notAllowed;
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    const hit = p.memo?.get(key);
    if (hit) return hit;
    const f = this.f;
    let r: Pattern;
    switch (p.k) {
      case 'after': r = f.after(this.att(p.a, ns, local, key), p.b); break;
      case 'choice': r = f.choice(this.att(p.a, ns, local, key), this.att(p.b, ns, local, key)); break;
      case 'group': r = f.choice(f.group(this.att(p.a, ns, local, key), p.b), f.group(p.a, this.att(p.b, ns, local, key))); break;
      case 'interleave': r = f.choice(f.interleave(this.att(p.a, ns, local, key), p.b), f.interleave(p.a, this.att(p.b, ns, local, key))); break;
      case 'oneOrMore': r = f.group(this.att(p.p, ns, local, key), f.choice(p, f.empty)); break;
      case 'attribute': r = ncContains(p.nc, ns, local) ? f.hole(p.p) : f.notAllowed; break;
      default: return f.notAllowed;
    }
    return this.memoSet(p, key, r, false);
  }

  /** Enumerations (choices of token values) are matched by set look-up, not one value at
   * a time: they are most of what attribute values are checked against. */
  private enumOf(p: Pattern): Set<string> | null {
    full(p);
    if (p.enumSet !== undefined) return p.enumSet;
    let r: Set<string> | null = null;
    if (p.k === 'value' && p.dt.library === '' && p.dt.type === 'token') r = new Set([collapse(p.value)]);
    else if (p.k === 'choice') {
      const a = this.enumOf(p.a), b = a && this.enumOf(p.b);
      if (a && b) r = new Set([...a, ...b]);
    }
    p.enumSet = r;
    return r;
  }

  valueMatches(p: Pattern, s: string): boolean {
    return (p.nullable && isWhitespace(s)) || this.text(p, s).nullable;
  }

  startTagClose(p: Pattern, lenient = false): Pattern {
    if (!(p.has & HAS_ATTRIBUTE)) return p;
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    if (!lenient && p.closeMemo) return p.closeMemo;
    // the lenient forms (error recovery) are memoised too: the documents a cached state graph
    // was learned from then need no new pattern, errors or not
    if (lenient) return p.memo?.get(LENIENT_CLOSE) ?? this.memoSet(p, LENIENT_CLOSE, this.close(p, true), false);
    return this.close(p, false);
  }

  private close(p: Pattern, lenient: boolean): Pattern {
    const f = this.f;
    let r: Pattern;
    switch (p.k) {
      case 'after': r = f.after(this.startTagClose(p.a, lenient), p.b); break;
      case 'choice': r = f.choice(this.startTagClose(p.a, lenient), this.startTagClose(p.b, lenient)); break;
      case 'group': r = f.group(this.startTagClose(p.a, lenient), this.startTagClose(p.b, lenient)); break;
      case 'interleave': r = f.interleave(this.startTagClose(p.a, lenient), this.startTagClose(p.b, lenient)); break;
      case 'oneOrMore': r = f.oneOrMore(this.startTagClose(p.p, lenient)); break;
      // Lenient: a missing required attribute counts as present.
      case 'attribute': r = lenient ? f.empty : f.notAllowed; break;
      default: r = p;
    }
    if (!lenient) { p.closeMemo = r; this.f.learned++; }
    return r;
  }

  text(p: Pattern, s: string, lenient = false): Pattern {
    return this.txt(p, s, lenient, `${lenient ? '~' : '#'}${s}`);
  }

  private txt(p: Pattern, s: string, lenient: boolean, key: string): Pattern {
    if (!(p.has & HAS_TEXT)) return this.f.notAllowed;
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    const hit = p.memo?.get(key);
    if (hit) return hit;
    const f = this.f;
    let r: Pattern;
    switch (p.k) {
      case 'choice': {
        const e = this.enumOf(p);
        r = e ? (lenient || e.has(collapse(s)) ? f.empty : f.notAllowed) : f.choice(this.txt(p.a, s, lenient, key), this.txt(p.b, s, lenient, key));
        break;
      }
      case 'interleave': r = f.choice(f.interleave(this.txt(p.a, s, lenient, key), p.b), f.interleave(p.a, this.txt(p.b, s, lenient, key))); break;
      case 'group': {
        const x = f.group(this.txt(p.a, s, lenient, key), p.b);
        r = p.a.nullable ? f.choice(x, this.txt(p.b, s, lenient, key)) : x;
        break;
      }
      case 'after': r = f.after(this.txt(p.a, s, lenient, key), p.b); break;
      case 'oneOrMore': r = f.group(this.txt(p.p, s, lenient, key), f.choice(p, f.empty)); break;
      case 'text': return p;
      case 'value': r = lenient || p.dt.equal(p.value, s) ? f.empty : f.notAllowed; break;
      case 'data': r = lenient || (p.dt.allows(s) && !(p.except && this.valueMatches(p.except, s))) ? f.empty : f.notAllowed; break;
      case 'list': r = lenient || this.listMatches(p.p, s) ? f.empty : f.notAllowed; break;
      default: return f.notAllowed;
    }
    return this.memoSet(p, key, r, true);
  }

  private listMatches(p: Pattern, s: string): boolean {
    let q = p;
    for (const w of s.split(/[ \t\n\r]+/)) {
      if (!w) continue;
      q = this.text(q, w);
      if (q.k === 'notAllowed') return false;
    }
    return q.nullable;
  }

  /** Content that is only text (no child elements): whitespace may also be ignored. */
  soleText(p: Pattern, s: string, lenient = false): Pattern {
    const r = this.text(p, s, lenient);
    if (!isWhitespace(s)) return r;
    // memoised (short whitespace runs only: indentation), so a cached state graph has it
    const key = `${lenient ? '\u0003' : '\u0002'}${s}`;
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    const hit = p.memo?.get(key);
    if (hit) return hit;
    const c = this.f.choice(p, r);
    return s.length <= 32 ? this.memoSet(p, key, c, false) : c;
  }

  endTag(p: Pattern, lenient = false): Pattern {
    if (p.restorer !== undefined) p.restorer.fill(p); // full(p), inline: hot
    if (!lenient && p.endMemo) return p.endMemo;
    if (lenient) return p.memo?.get(LENIENT_END) ?? this.memoSet(p, LENIENT_END, this.end(p, true), false);
    return this.end(p, false);
  }

  private end(p: Pattern, lenient: boolean): Pattern {
    const f = this.f;
    let r: Pattern;
    switch (p.k) {
      case 'choice': r = f.choice(this.endTag(p.a, lenient), this.endTag(p.b, lenient)); break;
      // Lenient: an incomplete element is closed anyway.
      case 'after': r = lenient || p.a.nullable ? p.b : f.notAllowed; break;
      default: r = f.notAllowed;
    }
    if (!lenient) { p.endMemo = r; this.f.learned++; }
    return r;
  }
}

export { isWhitespace };
