/**
 * A small XML writer for the configuration files: an element tree and a serialiser that escapes
 * text and attributes (XML 1.0 §2.4, §3.3.3) and drops characters XML 1.0 does not allow at all
 * (§2.2 Char), so no configured value can make a phone's file ill-formed.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number>> | undefined;
  /** Text content, or child elements; undefined children are left out. */
  readonly content: string | readonly (XmlElement | undefined)[];
}

export type XmlContent = string | number | boolean | null | readonly (XmlElement | undefined)[];

/** `<name attributes>content</name>`; null content is an empty element. */
export function element(
  name: string,
  content: XmlContent = '',
  attributes?: Readonly<Record<string, string | number>>,
): XmlElement {
  return {
    name,
    attributes,
    content:
      typeof content === 'object' && content !== null ? content : content === null ? '' : String(content),
  };
}

// XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_SPECIAL = /[&<>]/g;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/g;
const ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // §3.3.3: literal white space in attributes is normalised to a space; references survive.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const entity = (character: string) => ENTITY[character] ?? '';

export function escapeText(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(TEXT_SPECIAL, entity);
}

function escapeAttribute(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(ATTRIBUTE_SPECIAL, entity);
}

/** The document: an XML declaration, then the root element indented by two spaces a level. */
export function serializeXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  write(root, '', out);
  return out.join('');
}

function write(node: XmlElement, indent: string, out: string[]): void {
  let open = `${indent}<${node.name}`;
  if (node.attributes) {
    for (const [key, value] of Object.entries(node.attributes))
      open += ` ${key}="${escapeAttribute(String(value))}"`;
  }
  if (typeof node.content === 'string') {
    out.push(node.content === '' ? `${open}/>\n` : `${open}>${escapeText(node.content)}</${node.name}>\n`);
    return;
  }
  out.push(`${open}>\n`);
  const inner = `${indent}  `;
  for (const child of node.content) if (child) write(child, inner, out);
  out.push(`${indent}</${node.name}>\n`);
}
