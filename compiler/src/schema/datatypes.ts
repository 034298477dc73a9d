// Datatypes for RELAX NG <data>/<value>: the built-in library (string, token) and the
// subset of XML Schema datatypes domain grammars use, with their facets. Each datatype
// also describes itself in words, for messages like "must be an integer between 0 and 7".

export const XSD_LIBRARY = 'http://www.w3.org/2001/XMLSchema-datatypes';

export interface Datatype {
  /** Interning key: library, type and parameters. */
  readonly key: string;
  readonly library: string;
  readonly type: string;
  readonly params: readonly [string, string][];
  allows(value: string): boolean;
  /** Equality of a schema <value> with a document value, in this type's value space. */
  equal(schemaValue: string, value: string): boolean;
  describe(): string;
}

export class DatatypeError extends Error {}

const collapse = (s: string): string => s.replace(/[ \t\n\r]+/g, ' ').trim();
const isWhitespaceCollapsed = (type: string): boolean => type !== 'string' && type !== 'normalizedString';

interface IntRange { min?: bigint; max?: bigint; words: string }
const INTEGER_TYPES: Record<string, IntRange> = {
  integer: { words: 'an integer' },
  long: { min: -(2n ** 63n), max: 2n ** 63n - 1n, words: 'an integer' },
  int: { min: -(2n ** 31n), max: 2n ** 31n - 1n, words: 'an integer' },
  short: { min: -32768n, max: 32767n, words: 'an integer' },
  byte: { min: -128n, max: 127n, words: 'an integer' },
  nonNegativeInteger: { min: 0n, words: 'a non-negative integer' },
  positiveInteger: { min: 1n, words: 'a positive integer' },
  nonPositiveInteger: { max: 0n, words: 'a non-positive integer' },
  negativeInteger: { max: -1n, words: 'a negative integer' },
  unsignedLong: { min: 0n, max: 2n ** 64n - 1n, words: 'an unsigned integer' },
  unsignedInt: { min: 0n, max: 2n ** 32n - 1n, words: 'an unsigned integer' },
  unsignedShort: { min: 0n, max: 65535n, words: 'an unsigned integer' },
  unsignedByte: { min: 0n, max: 255n, words: 'an unsigned integer' },
};

const NAME_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = NAME_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';
const LEXICAL: Record<string, { re: RegExp; words: string }> = {
  boolean: { re: /^(true|false|1|0)$/, words: 'a boolean (true, false, 1 or 0)' },
  decimal: { re: /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/, words: 'a decimal number' },
  double: { re: /^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|INF|-INF|NaN)$/, words: 'a number' },
  float: { re: /^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|INF|-INF|NaN)$/, words: 'a number' },
  NCName: { re: new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`), words: 'a name without colon' },
  Name: { re: new RegExp(`^[${NAME_START}:][${NAME_CHAR}:]*$`), words: 'an XML name' },
  NMTOKEN: { re: new RegExp(`^[${NAME_CHAR}:]+$`), words: 'a name token' },
  ID: { re: new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`), words: 'an identifier' },
  IDREF: { re: new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`), words: 'an identifier' },
  dateTime: { re: /^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$/, words: 'a date and time (YYYY-MM-DDThh:mm:ss)' },
  date: { re: /^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$/, words: 'a date (YYYY-MM-DD)' },
};
const STRINGISH = new Set(['string', 'normalizedString', 'token', 'anyURI', 'language', 'hexBinary', 'base64Binary']);

/** XML Schema regular expressions are implicitly anchored, and '^'/'$' are literals there. */
export function xsdPatternToRegExp(src: string): RegExp {
  let out = '';
  let inClass = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      i++;
      if (n === 'i') out += inClass ? NAME_START + ':' : `[${NAME_START}:]`;
      else if (n === 'c') out += inClass ? NAME_CHAR + ':' : `[${NAME_CHAR}:]`;
      else if (n === 's') out += inClass ? ' \\t\\n\\r' : '[ \\t\\n\\r]';
      else if (n === 'S') out += '[^ \\t\\n\\r]';
      else out += '\\' + n;
      continue;
    }
    if (c === '[') { if (inClass && src[i - 1] === '-') { /* class subtraction: not supported */ throw new DatatypeError(`unsupported pattern '${src}'`); } inClass++; out += c; continue; }
    if (c === ']' && inClass) { inClass--; out += c; continue; }
    if (!inClass && (c === '$' || (c === '^'))) { out += '\\' + c; continue; }
    if (!inClass && c === '.') { out += '[^\\n\\r]'; continue; }
    out += c;
  }
  return new RegExp(`^(?:${out})$`);
}

interface Facets {
  patterns: RegExp[];
  patternSources: string[];
  length?: number; minLength?: number; maxLength?: number;
  minInclusive?: string; maxInclusive?: string; minExclusive?: string; maxExclusive?: string;
}

function compareNumeric(a: string, b: string, integer: boolean): number {
  if (integer) { const x = BigInt(a), y = BigInt(b); return x < y ? -1 : x > y ? 1 : 0; }
  const x = Number(a), y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function makeDatatype(library: string, type: string, params: [string, string][]): Datatype {
  const key = `${library}#${type}#${params.map(([n, v]) => `${n}=${v}`).join('&')}`;
  if (library === '') {
    if (type !== 'string' && type !== 'token') throw new DatatypeError(`unknown built-in datatype '${type}'`);
    if (params.length) throw new DatatypeError('built-in datatypes take no parameters');
    const norm = type === 'token' ? collapse : (s: string) => s;
    return { key, library, type, params, allows: () => true, equal: (a, b) => norm(a) === norm(b), describe: () => 'text' };
  }
  if (library !== XSD_LIBRARY) throw new DatatypeError(`unknown datatype library '${library}'`);
  const int = INTEGER_TYPES[type];
  const lex = LEXICAL[type];
  if (!int && !lex && !STRINGISH.has(type)) throw new DatatypeError(`unsupported XML Schema datatype '${type}'`);
  const f: Facets = { patterns: [], patternSources: [] };
  for (const [n, v] of params) {
    switch (n) {
      case 'pattern': f.patterns.push(xsdPatternToRegExp(v)); f.patternSources.push(v); break;
      case 'length': case 'minLength': case 'maxLength': f[n] = Number(v); break;
      case 'minInclusive': case 'maxInclusive': case 'minExclusive': case 'maxExclusive': f[n] = v.trim(); break;
      case 'totalDigits': case 'fractionDigits': case 'whiteSpace': break;
      default: throw new DatatypeError(`unsupported facet '${n}' on ${type}`);
    }
  }
  const ws = isWhitespaceCollapsed(type) ? collapse : type === 'normalizedString' ? (s: string) => s.replace(/[\t\n\r]/g, ' ') : (s: string) => s;
  const numeric = !!int || type === 'decimal' || type === 'double' || type === 'float';
  const allows = (raw: string): boolean => {
    const v = ws(raw);
    if (int) {
      if (!/^[+-]?[0-9]+$/.test(v)) return false;
      const n = BigInt(v);
      if (int.min !== undefined && n < int.min) return false;
      if (int.max !== undefined && n > int.max) return false;
    } else if (lex && !lex.re.test(v)) return false;
    if (numeric) {
      if (f.minInclusive !== undefined && compareNumeric(v, f.minInclusive, !!int) < 0) return false;
      if (f.maxInclusive !== undefined && compareNumeric(v, f.maxInclusive, !!int) > 0) return false;
      if (f.minExclusive !== undefined && compareNumeric(v, f.minExclusive, !!int) <= 0) return false;
      if (f.maxExclusive !== undefined && compareNumeric(v, f.maxExclusive, !!int) >= 0) return false;
    }
    const len = [...v].length;
    if (f.length !== undefined && len !== f.length) return false;
    if (f.minLength !== undefined && len < f.minLength) return false;
    if (f.maxLength !== undefined && len > f.maxLength) return false;
    for (const re of f.patterns) if (!re.test(v)) return false;
    return true;
  };
  const describe = (): string => {
    let s = int?.words ?? lex?.words ?? (type === 'anyURI' ? 'a URI' : f.patternSources.length ? 'a string' : 'text');
    const lo = f.minInclusive ?? (f.minExclusive !== undefined ? `more than ${f.minExclusive}` : undefined);
    const hi = f.maxInclusive ?? (f.maxExclusive !== undefined ? `less than ${f.maxExclusive}` : undefined);
    if (f.minInclusive !== undefined && f.maxInclusive !== undefined) s += ` from ${f.minInclusive} to ${f.maxInclusive}`;
    else if (lo !== undefined && hi !== undefined) s += ` (${lo}, ${hi})`;
    else if (f.minInclusive !== undefined) s += ` of at least ${f.minInclusive}`;
    else if (f.maxInclusive !== undefined) s += ` of at most ${f.maxInclusive}`;
    else if (lo !== undefined) s += ` ${lo}`;
    else if (hi !== undefined) s += ` ${hi}`;
    if (f.length !== undefined) s += ` of exactly ${f.length} characters`;
    else if (f.minLength !== undefined && f.maxLength !== undefined) s += ` of ${f.minLength} to ${f.maxLength} characters`;
    else if (f.maxLength !== undefined) s += ` of at most ${f.maxLength} characters`;
    else if (f.minLength !== undefined) s += ` of at least ${f.minLength} characters`;
    if (f.patternSources.length) s += ` matching ${f.patternSources.map((p) => `'${p}'`).join(' and ')}`;
    return s;
  };
  const equal = (a: string, b: string): boolean => {
    if (!allows(b)) return false;
    if (int) return BigInt(ws(a)) === BigInt(ws(b));
    if (numeric) return Number(ws(a)) === Number(ws(b));
    return ws(a) === ws(b);
  };
  return { key, library, type, params, allows, equal, describe };
}
