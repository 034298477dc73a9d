// Our XML parser against @xmldom/xmldom as the well-formedness oracle: the same verdict and
// the same tree on every XML file of the corpus and on a set of malformed documents.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, type Element as DomElement, type Node as DomNode } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../compiler/src/index.js';
import type { XElement } from '../compiler/src/xml/parse.js';
import { CONFORMANCE_DIR } from './golden-options.js';

function viaXmldom(text: string): unknown {
  let failed = false;
  let doc;
  try {
    doc = new DOMParser({ onError: (level: string) => { if (level !== 'warning') failed = true; } }).parseFromString(text, 'text/xml');
  } catch { return null; }
  if (failed || !doc.documentElement) return null;
  const conv = (el: DomElement): unknown => {
    const attrs: [string, string][] = [];
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i)!;
      if (a.name !== 'xmlns' && !a.name.startsWith('xmlns:')) attrs.push([a.name, a.value]);
    }
    const children: unknown[] = [];
    let text = '';
    for (let n: DomNode | null = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1) children.push(conv(n as unknown as DomElement));
      else if (n.nodeType === 3 || n.nodeType === 4) text += n.nodeValue;
    }
    return { name: el.tagName, ns: el.namespaceURI || null, attrs, text, children };
  };
  return conv(doc.documentElement as unknown as DomElement);
}

function viaOurs(text: string): unknown {
  const r = parseXml(text);
  if (!r.root) return null;
  const conv = (el: XElement): unknown => ({ name: el.name, ns: el.ns, attrs: el.attrs.map((a) => [a.name, a.value]), text: el.text, children: el.children.map(conv) });
  return conv(r.root);
}

describe('XML parser agrees with xmldom', () => {
  it('on every XML file of the conformance corpus', () => {
    const dir = join(CONFORMANCE_DIR, 'tests/qemuxml2argvdata');
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThan(900);
    const disagree: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (JSON.stringify(viaOurs(text)) !== JSON.stringify(viaXmldom(text))) disagree.push(f);
    }
    expect(disagree).toEqual([]);
  });

  const malformed: [string, string][] = [
    ['unclosed element', '<domain><name>x</name>'],
    ['mismatched end tag', '<domain><name>x</nam></domain>'],
    ['duplicate attribute', "<domain type='a' type='b'/>"],
    ['undefined entity', '<domain><name>&nbsp;</name></domain>'],
    ['two roots', '<a/><b/>'],
    ['text after root', '<a/>x'],
    ['lt in attribute', "<a b='<'/>"],
    ['undeclared prefix', '<a><q:b/></a>'],
    ['empty document', ''],
  ];
  for (const [what, text] of malformed) {
    it(`rejects: ${what}`, () => {
      expect(viaXmldom(text)).toBeNull();
      const r = parseXml(text);
      expect(r.root).toBeNull();
      expect(r.diagnostics[0]!.message).toMatch(/malformed XML|entit/);
    });
  }

  // xmldom is lenient here; libxml2 (what libvirt parses with) rejects, and so do we.
  const strictThanXmldom: [string, string][] = [
    ['unquoted attribute', '<domain type=qemu></domain>'],
    ['lone ampersand', '<domain><name>a & b</name></domain>'],
    ['NUL character reference', '<a>&#0;</a>'],
  ];
  for (const [what, text] of strictThanXmldom) {
    it(`rejects like libxml2: ${what}`, () => {
      expect(parseXml(text).root).toBeNull();
    });
  }

  it('accepts what XML allows and decodes it like xmldom', () => {
    const text = "<?xml version='1.0'?>\n<!-- c -->\n<a x='1&amp;2' y=\"&#x41;\tb\"><![CDATA[<raw>]]>&lt;t&gt;<b/><?pi x?></a>\n";
    expect(viaOurs(text)).toEqual(viaXmldom(text));
  });

  it('agrees with xmldom on names, whitespace and line ends at the edges of the scanner', () => {
    for (const text of [
      '<a/>   \n\t ', '<a/>', '<é ü="1"><ß/></é>', '<a-b.c_d:e xmlns:a-b.c_d="u"/>', '<a b="x\ty\nz\r\nw"/>',
      '<a>line\r\nnext\rlast\ttab</a>', '<a\n  b = "1"\n/>', '<a>\u00e9t\u00e9</a>', '<_x><:y/></_x>',
    ]) expect(viaOurs(text), JSON.stringify(text)).toEqual(viaXmldom(text));
    for (const text of ['<a', '<a b', '<a b=', '<a b="1"', '<a>x</a', '<a></', '<1a/>', '<a\u0001/>']) {
      expect(parseXml(text).root, JSON.stringify(text)).toBeNull();
    }
  });

  it('refuses entity declarations without expanding anything', () => {
    const text = '<!DOCTYPE domain [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<domain type="qemu"><name>&xxe;</name></domain>';
    const r = parseXml(text);
    expect(r.root).toBeNull();
    expect(r.diagnostics[0]!.code).toBe('xml-entity');
  });

  it('keeps exact positions of elements and attribute values', () => {
    const text = "<domain type='qemu'>\n  <devices>\n    <disk device='cdrom'/>\n  </devices>\n</domain>";
    const disk = parseXml(text).root!.children[0]!.children[0]!;
    expect(disk.range.start).toMatchObject({ line: 3, column: 5 });
    expect(disk.nameRange.start).toMatchObject({ line: 3, column: 6 });
    expect(disk.attrs[0]!.valueRange.start).toMatchObject({ line: 3, column: 19 });
    expect(disk.attrs[0]!.valueRange.end).toMatchObject({ line: 3, column: 24 });
  });
});
