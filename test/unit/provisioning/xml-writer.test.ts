import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { element, escapeText, serializeXml } from '../../../src/provisioning/xml-writer.js';

describe('xml writer', () => {
  it('writes nested elements, attributes and empty elements', () => {
    const xml = serializeXml(
      element('device', [
        element('member', [element('name', 'a')], { priority: 0 }),
        undefined,
        element('empty'),
      ]),
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <member priority="0">\n    <name>a</name>\n  </member>\n  <empty/>\n</device>\n',
    );
  });

  it('escapes markup and drops characters XML 1.0 forbids', () => {
    expect(escapeText('a & b <c> "d"')).toBe('a &amp; b &lt;c&gt; "d"');
    expect(escapeText('bell\u0007 nul\u0000 lone\ud800 pair😀 ok\tkept')).toBe(
      'bell nul lone pair😀 ok\tkept',
    );
    const hostile = 'x"/><evil a="\u0001\n';
    const xml = serializeXml(element('root', [element('value', hostile)], { label: hostile }));
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      trimValues: false,
    }).parse(xml);
    expect(parsed.root.value).toBe('x"/><evil a="\n');
    // XML 1.0 §3.3.3 would turn a literal line break in an attribute into a space: it is a reference.
    expect(xml).toContain('label="x&quot;/&gt;&lt;evil a=&quot;&#10;"');
    expect(parsed.root['@label']).toBe('x"/><evil a="&#10;');
  });
});
