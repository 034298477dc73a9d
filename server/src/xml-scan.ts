// A tolerant XML scanner for editing: half-typed documents are the normal case in an
// editor, so this never fails. It finds tags, attributes and their offsets, and tells
// what the cursor is in (element name, attribute name, attribute value or text).

export interface ScannedAttr { name: string; value: string; nameStart: number; valueStart: number; valueEnd: number; quoted: boolean }

export interface ScannedTag {
  name: string;
  start: number; // offset of '<'
  nameStart: number;
  nameEnd: number;
  end: number; // offset after '>' (or where the tag stops, when unterminated)
  closing: boolean;
  selfClosing: boolean;
  terminated: boolean;
  attrs: ScannedAttr[];
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

/** Scan all tags of a document (comments, PIs, CDATA and DOCTYPE are skipped). */
export function scanTags(text: string, limit = text.length): ScannedTag[] {
  const tags: ScannedTag[] = [];
  let i = 0;
  while (i < limit) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt >= limit) break;
    if (text.startsWith('<!--', lt)) { const e = text.indexOf('-->', lt + 4); i = e < 0 ? text.length : e + 3; continue; }
    if (text.startsWith('<![CDATA[', lt)) { const e = text.indexOf(']]>', lt); i = e < 0 ? text.length : e + 3; continue; }
    if (text.startsWith('<?', lt)) { const e = text.indexOf('?>', lt); i = e < 0 ? text.length : e + 2; continue; }
    if (text.startsWith('<!', lt)) { const e = text.indexOf('>', lt); i = e < 0 ? text.length : e + 1; continue; }
    const tag = scanTag(text, lt);
    tags.push(tag);
    i = Math.max(tag.end, lt + 1);
  }
  return tags;
}

function scanTag(text: string, lt: number): ScannedTag {
  let i = lt + 1;
  const closing = text[i] === '/';
  if (closing) i++;
  NAME.lastIndex = i;
  const m = NAME.exec(text);
  const name = m ? m[0] : '';
  const nameStart = i;
  i += name.length;
  const tag: ScannedTag = { name, start: lt, nameStart, nameEnd: i, end: i, closing, selfClosing: false, terminated: false, attrs: [] };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '>') { tag.end = i + 1; tag.terminated = true; return tag; }
    if (c === '/' && text[i + 1] === '>') { tag.selfClosing = true; tag.end = i + 2; tag.terminated = true; return tag; }
    if (c === '<') { tag.end = i; return tag; } // the next tag starts: this one was never closed
    if (/\s/.test(c)) { i++; continue; }
    NAME.lastIndex = i;
    const an = NAME.exec(text);
    if (!an) { i++; continue; }
    const attr: ScannedAttr = { name: an[0], value: '', nameStart: i, valueStart: i + an[0].length, valueEnd: i + an[0].length, quoted: false };
    i += an[0].length;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text[i] === '=') {
      i++;
      while (i < text.length && /[ \t]/.test(text[i]!)) i++;
      const q = text[i];
      if (q === '"' || q === "'") {
        const close = text.indexOf(q, i + 1);
        const nl = text.indexOf('<', i + 1);
        const stop = close < 0 || (nl >= 0 && nl < close) ? (nl < 0 ? text.length : nl) : close;
        attr.quoted = true;
        attr.valueStart = i + 1;
        attr.valueEnd = stop;
        attr.value = text.slice(i + 1, stop);
        i = stop === close ? close + 1 : stop;
      } else {
        attr.valueStart = attr.valueEnd = i;
      }
    }
    tag.attrs.push(attr);
  }
  tag.end = text.length;
  return tag;
}

export type CursorContext =
  | { kind: 'element-name'; prefix: string; replaceStart: number; parents: string[]; closing: boolean }
  | { kind: 'attribute-name'; element: string; prefix: string; replaceStart: number; parents: string[]; present: string[]; tag: ScannedTag }
  | { kind: 'attribute-value'; element: string; attribute: string; prefix: string; value: string; replaceStart: number; replaceEnd: number; parents: string[]; tag: ScannedTag }
  | { kind: 'text'; parents: string[] };

/** Open elements (outermost first) before `offset`. */
export function openElements(tags: ScannedTag[], offset: number): ScannedTag[] {
  const stack: ScannedTag[] = [];
  for (const t of tags) {
    if (t.start >= offset) break;
    if (t.end > offset && !t.closing) break; // the tag the cursor is in
    if (t.closing) {
      const k = stack.map((s) => s.name).lastIndexOf(t.name);
      if (k >= 0) stack.length = k;
    } else if (!t.selfClosing && t.terminated) stack.push(t);
  }
  return stack;
}

export function contextAt(text: string, offset: number): CursorContext {
  const tags = scanTags(text);
  const parentsOf = (): string[] => openElements(tags, offset).map((t) => t.name);
  const inTag = tags.find((t) => t.start < offset && (offset < t.end || (!t.terminated && offset <= t.end)));
  if (!inTag) return { kind: 'text', parents: parentsOf() };
  const parents = parentsOf();
  if (offset <= inTag.nameEnd) {
    return { kind: 'element-name', prefix: text.slice(inTag.nameStart, offset), replaceStart: inTag.nameStart, parents, closing: inTag.closing };
  }
  for (const a of inTag.attrs) {
    if (a.quoted && offset >= a.valueStart && offset <= a.valueEnd) {
      return {
        kind: 'attribute-value', element: inTag.name, attribute: a.name, prefix: text.slice(a.valueStart, offset), value: a.value,
        replaceStart: a.valueStart, replaceEnd: a.valueEnd, parents, tag: inTag,
      };
    }
    if (offset >= a.nameStart && offset <= a.nameStart + a.name.length) {
      return { kind: 'attribute-name', element: inTag.name, prefix: text.slice(a.nameStart, offset), replaceStart: a.nameStart, parents, present: inTag.attrs.filter((x) => x !== a).map((x) => x.name), tag: inTag };
    }
  }
  return { kind: 'attribute-name', element: inTag.name, prefix: '', replaceStart: offset, parents, present: inTag.attrs.map((x) => x.name), tag: inTag };
}

/** Element tags paired with their closing tags (for symbols and folding); tolerant of errors. */
export interface ScannedElement { tag: ScannedTag; endOffset: number; children: ScannedElement[]; parent?: ScannedElement }

export function scanTree(text: string): ScannedElement[] {
  const roots: ScannedElement[] = [];
  const stack: ScannedElement[] = [];
  for (const t of scanTags(text)) {
    if (t.closing) {
      const k = stack.map((s) => s.tag.name).lastIndexOf(t.name);
      if (k >= 0) {
        for (let j = stack.length - 1; j >= k; j--) stack[j]!.endOffset = j === k ? t.end : t.start;
        stack.length = k;
      }
      continue;
    }
    const el: ScannedElement = { tag: t, endOffset: t.end, children: [], parent: stack[stack.length - 1] };
    (el.parent ? el.parent.children : roots).push(el);
    if (!t.selfClosing && t.terminated) stack.push(el);
  }
  for (const s of stack) s.endOffset = text.length;
  return roots;
}
