// The RELAX NG engine on small grammars of our own: loading (include with overrides,
// combine, nested grammars, namespaces), datatypes and facets, interleave, error messages
// and ranges, completion data, documentation hooks, and the parser's refusals.
import { describe, expect, it } from 'vitest';
import { documentationFor, expectedAt, loadSchema, SchemaLoadError, validateDocument, type Schema } from '../compiler/src/schema/index.js';
import { parseXml } from '../compiler/src/xml/parse.js';

const RNG = 'xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes"';

function schemaOf(files: Record<string, string>, entry = 'main.rng'): Schema {
  return loadSchema(entry, (p) => { const t = files[p]; if (t === undefined) throw new Error(`ENOENT ${p}`); return t; });
}

function errors(schema: Schema, xml: string): string[] {
  const doc = parseXml(xml);
  if (!doc.root) return doc.diagnostics.map((d) => `${d.code}: ${d.message}`);
  return validateDocument(schema, doc, xml).map((d) => `${d.range.start.line}:${d.range.start.column}-${d.range.end.column} ${d.code}: ${d.message}`);
}

const vm = schemaOf({
  'main.rng': `<grammar ${RNG} xmlns:a="http://relaxng.org/ns/compatibility/annotations/1.0">
    <include href="common.rng">
      <define name="mode"><choice><value>none</value><value>omit</value><value>reject</value><value>crash</value></choice></define>
    </include>
    <start><ref name="vm"/></start>
    <define name="vm">
      <element name="vm">
        <a:documentation>A virtual machine.</a:documentation>
        <interleave>
          <element name="name"><text/></element>
          <optional><element name="memory"><optional><attribute name="unit"><choice><value>KiB</value><value>MiB</value></choice></attribute></optional><data type="unsignedLong"/></element></optional>
          <zeroOrMore><ref name="disk"/></zeroOrMore>
          <optional><element name="behavior"><attribute name="behavior"><ref name="mode"/></attribute><empty/></element></optional>
        </interleave>
      </element>
    </define>
    <define name="disk" combine="choice"><element name="disk"><attribute name="type"><value>file</value></attribute><element name="source"><attribute name="file"/></element><ref name="target"/></element></define>
    <define name="disk" combine="choice"><element name="disk"><attribute name="type"><value>block</value></attribute><element name="source"><attribute name="dev"/></element><ref name="target"/></element></define>
  </grammar>`,
  'common.rng': `<grammar ${RNG}>
    <define name="mode"><value>overridden-away</value></define>
    <define name="target"><element name="target">
      <attribute name="dev"><a:documentation xmlns:a="http://relaxng.org/ns/compatibility/annotations/1.0">Guest device name.</a:documentation><data type="string"><param name="pattern">(sd|vd)[a-z]+</param></data></attribute>
      <optional><attribute name="index"><data type="int"><param name="minInclusive">0</param><param name="maxInclusive">7</param></data></attribute></optional>
    </element></define>
  </grammar>`,
});

describe('loading', () => {
  it('follows includes, applies overrides and combine', () => {
    expect(errors(vm, `<vm><name>a</name><behavior behavior='omit'/></vm>`)).toEqual([]);
    expect(errors(vm, `<vm><name>a</name><behavior behavior='overridden-away'/></vm>`)).toEqual([
      "1:39-54 schema-value: attribute 'behavior' must be one of none, omit, reject, crash (got 'overridden-away')",
    ]);
  });
  it('reports unreadable and broken grammars as SchemaLoadError', () => {
    expect(() => schemaOf({ 'main.rng': `<grammar ${RNG}><start><ref name="nope"/></start></grammar>` })).toThrow(SchemaLoadError);
    expect(() => schemaOf({ 'main.rng': `<grammar ${RNG}><include href="missing.rng"/></grammar>` })).toThrow(/missing\.rng/);
    expect(() => schemaOf({ 'main.rng': `<grammar ${RNG}><start>` })).toThrow(SchemaLoadError);
  });
  it('resolves namespaces of elements and prefixed names', () => {
    const s = schemaOf({ 'main.rng': `<grammar ${RNG} xmlns:q="urn:q"><start><element name="r"><element name="q:x"><attribute name="v"/></element><element name="y" ns="urn:y"><empty/></element></element></start></grammar>` });
    expect(errors(s, `<r xmlns:a="urn:q"><a:x v="1"/><y xmlns="urn:y"/></r>`)).toEqual([]);
    expect(errors(s, `<r><x v="1"/><y xmlns="urn:y"/></r>`)[0]).toContain('element <x> is not allowed');
  });
});

describe('validation and messages', () => {
  it('accepts interleaved content in any order and choice of element definitions', () => {
    expect(errors(vm, `<vm><disk type='block'><source dev='/dev/sda'/><target dev='sda'/></disk><memory unit='MiB'>12</memory><name>x</name></vm>`)).toEqual([]);
  });
  it('points at the attribute value and names the allowed values', () => {
    expect(errors(vm, `<vm><name>a</name><memory unit='GiB'>1</memory></vm>`)).toEqual([
      "1:33-36 schema-value: attribute 'unit' must be one of KiB, MiB (got 'GiB')",
    ]);
  });
  it('checks datatype facets and describes them', () => {
    expect(errors(vm, `<vm><name>a</name><disk type='file'><source file='/a'/><target dev='hda' index='9'/></disk></vm>`)).toEqual([
      "1:69-72 schema-value: attribute 'dev' must be a string matching '(sd|vd)[a-z]+' (got 'hda')",
      "1:81-82 schema-value: attribute 'index' must be an integer from 0 to 7 (got '9')",
    ]);
  });
  it('reports bad text content at the text', () => {
    expect(errors(vm, `<vm><name>a</name><memory> -1 </memory></vm>`)).toEqual([
      "1:28-30 schema-text: content of <memory> must be an unsigned integer (got '-1')",
    ]);
  });
  it('reports one error per mistake, without follow-on errors', () => {
    // The wrong type makes <source file> fit no alternative; only the type is reported.
    expect(errors(vm, `<vm><name>a</name><disk type='flie'><source file='/a'/><target dev='sda'/></disk></vm>`)).toEqual([
      "1:31-35 schema-value: attribute 'type' must be one of file, block (got 'flie'; did you mean 'file'?)",
    ]);
    // An unknown element is skipped whole: nothing inside it is judged.
    expect(errors(vm, `<vm><name>a</name><disc type='x'><bogus/></disc></vm>`)).toEqual([
      '1:20-24 schema-element: element <disc> is not allowed inside <vm>; did you mean <disk>?',
    ]);
  });
  it('names missing attributes and elements', () => {
    expect(errors(vm, `<vm><name>a</name><disk type='file'><source file='/a'/></disk></vm>`)).toEqual([
      '1:20-24 schema-missing-element: <disk> is missing required element <target>',
    ]);
    expect(errors(vm, `<vm><name>a</name><disk type='file'><source file='/a'/><target/></disk></vm>`)).toEqual([
      "1:57-63 schema-missing-attribute: <target> is missing required attribute 'dev'",
    ]);
    expect(errors(vm, `<vm/>`)).toEqual(['1:2-4 schema-missing-element: <vm> is missing required element <name>']);
  });
  it('reports unknown attributes with a suggestion', () => {
    expect(errors(vm, `<vm><name>a</name><memory unti='KiB'>1</memory></vm>`)).toEqual([
      "1:27-37 schema-attribute: attribute 'unti' is not allowed on <memory>; did you mean 'unit'?",
    ]);
  });
  it('de-duplicates identical diagnostics', () => {
    const out = errors(vm, `<vm><name>a</name><memory unit='x'>1</memory></vm>`);
    expect(new Set(out).size).toBe(out.length);
  });
});

describe('completion data', () => {
  it('lists elements allowed at a position, attributes still allowed and attribute values', () => {
    const xml = `<vm><name>a</name><disk type='file'><source file='/a'/><target dev='sda'/></disk></vm>`;
    const doc = parseXml(xml);
    const root = doc.root!;
    const atRoot = expectedAt(vm, doc, { element: root });
    expect(atRoot.elements.map((e) => e.local).sort()).toEqual(['behavior', 'disk', 'memory']);
    expect(atRoot.elements.length).toBe(3);
    const target = root.children[1]!.children[1]!;
    const t = expectedAt(vm, doc, { element: target, attribute: 'index' });
    expect(t.attributes.map((a) => a.local)).toEqual(['index']);
    expect(t.attributeValues).toEqual([{ kind: 'datatype', description: 'an integer from 0 to 7' }]);
    const disk = root.children[1]!;
    expect(expectedAt(vm, doc, { element: disk, attribute: 'type' }).attributeValues).toEqual([
      { kind: 'literal', value: 'file' }, { kind: 'literal', value: 'block' },
    ]);
    expect(expectedAt(vm, doc, { element: disk, childIndex: 0 }).elements.map((e) => e.local)).toEqual(['source']);
  });
  it('describes what an inserted element needs: required attributes with their values, required children, emptiness', () => {
    const xml = `<vm><name>a</name></vm>`;
    const doc = parseXml(xml);
    const atRoot = expectedAt(vm, doc, { element: doc.root! });
    const template = (local: string) => atRoot.template!({ ns: '', local });
    const disk = template('disk')!;
    expect(disk.attributes.map((a) => [a.name.local, a.values])).toEqual([['type', ['file', 'block']]]);
    // both forms need a <source> (with different attributes: none is required in both) then a <target dev>
    expect(disk.children.map((c) => [c.name.local, c.attributes.map((a) => [a.name.local, a.values]), c.empty]))
      .toEqual([['source', [], true], ['target', [['dev', []]], true]]);
    expect(disk.empty).toBe(false);
    const behavior = template('behavior')!;
    expect(behavior.attributes.map((a) => [a.name.local, a.values])).toEqual([['behavior', ['none', 'omit', 'reject', 'crash']]]);
    expect(behavior.empty).toBe(true);
    const memory = template('memory')!;
    expect([memory.attributes, memory.children, memory.empty]).toEqual([[], [], false]); // optional unit, text content
    expect(template('name')).toBeUndefined(); // not allowed a second time
    const noRoot = expectedAt(vm, parseXml(''), { element: doc.root! });
    expect(noRoot.template!({ ns: '', local: 'vm' })!.children.map((c) => c.name.local)).toEqual(['name']);
  });
  it('exposes documentation annotations', () => {
    expect(documentationFor(vm, { ns: '', local: 'vm' })).toBe('A virtual machine.');
    expect(documentationFor(vm, { ns: '', local: 'target' }, { ns: '', local: 'dev' })).toBe('Guest device name.');
    expect(atRootDoc()).toBe('A virtual machine.');
  });
});

function atRootDoc(): string | undefined {
  const doc = parseXml('<vm/>');
  return expectedAt(vm, { ...doc, root: null }, { element: doc.root! }).elements[0]?.doc;
}

describe('XML parsing for the linter', () => {
  it('refuses entity declarations and never expands entities', () => {
    const decl = parseXml(`<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>`);
    expect(decl.root).toBeNull();
    expect(decl.diagnostics[0]!.code).toBe('xml-entity');
    const undef = parseXml(`<!DOCTYPE d SYSTEM "file:///etc/passwd"><d>&x;</d>`);
    expect(undef.root).toBeNull();
    expect(undef.diagnostics[0]!.message).toContain('never expanded');
    // An external DTD is skipped, not read: the document is parsed as if it had none.
    expect(parseXml(`<!DOCTYPE d SYSTEM "/nonexistent.dtd"><d a="&#65;&lt;"/>`).root!.attrs[0]!.value).toBe('A<');
  });
  it('rejects what libxml2 rejects', () => {
    for (const bad of ['<a x=1/>', '<a><b></a>', '<a x="1" x="2"/>', '<q:a/>', '<a/><b/>', '<a x="<"/>', 'text', '<a>&</a>', '<a>\u0001</a>']) {
      const d = parseXml(bad);
      expect(d.root, bad).toBeNull();
      expect(d.diagnostics.length, bad).toBe(1);
    }
  });
});
