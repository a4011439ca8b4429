/** Headers parsed only on request: Contact (RFC 3261 §20.10), Route and Record-Route (§20.30, §20.34). */
import { skipSpace, skipSpaceBack } from './chars.js';
import { fail, lastReadFailure } from './failure.js';
import { HeaderFields } from './headers.js';
import { nameAddrIn } from './name-addr.js';
import { commaListRanges } from './params.js';
import type { Contact, NameAddr, Result, SipHeaders, SipMessage } from './types.js';

/**
 * The list elements of every field of a header, found in place: element k is
 * texts[k][ranges[2k], ranges[2k + 1]). A received value that was never read is the header block.
 */
interface Elements {
  texts: string[];
  ranges: number[];
}

/**
 * The elements of header `rule` (its canonical name), whose key is `header`. Quickly, a field
 * without a comma is one element without scanning its quotes and brackets: the name-addr reader
 * checks those, and `exactly` reports any failure as the full split (which also refuses
 * unbalanced quotes and brackets) would.
 */
function elementsOf(headers: SipHeaders, rule: string, header: string, quick: boolean): Result<Elements> {
  const elements: Elements = { texts: [], ranges: [] };
  if (!(headers instanceof HeaderFields)) {
    for (const value of headers.getAll(rule)) {
      const failure = addElements(
        value,
        0,
        value.length,
        quick && value.indexOf(',') < 0,
        elements,
        rule,
        header,
      );
      if (failure !== undefined) return failure;
    }
    return { ok: true, value: elements };
  }
  // The next comma at or after the field, found once for all the fields before it: fields read
  // in place share the header block, and searching it from every field would be quadratic.
  let commaIn = '';
  let comma = -1;
  for (let i = 0; i < headers.size; i++) {
    if (headers.keyAt(i) !== header) continue;
    const text = headers.textOf(i);
    const start = headers.valueStart(i);
    const end = headers.valueEnd(i);
    if (quick && (text !== commaIn || comma < start)) {
      commaIn = text;
      comma = text.indexOf(',', start);
      if (comma < 0) comma = text.length;
    }
    const failure = addElements(text, start, end, quick && comma >= end, elements, rule, header);
    if (failure !== undefined) return failure;
  }
  return { ok: true, value: elements };
}

/** Adds the elements of the field text[start, end); `single` says that it has no comma. */
function addElements(
  text: string,
  start: number,
  end: number,
  single: boolean,
  elements: Elements,
  rule: string,
  header: string,
): Result<never> | undefined {
  const ranges = elements.ranges;
  const first = ranges.length;
  if (single) {
    const from = skipSpace(text, start, end);
    ranges.push(from, skipSpaceBack(text, end, from));
  } else if (!commaListRanges(text, start, end, ranges)) {
    return fail(rule, `${rule}: unbalanced quotes or <>`, undefined, header);
  }
  for (let k = first; k < ranges.length; k += 2) {
    if (ranges[k] === ranges[k + 1]) return fail(rule, `${rule}: empty list element`, undefined, header);
    elements.texts.push(text);
  }
  return undefined;
}

/** `failure`, unless the full split of the header fails first (see `elementsOf`). */
function exactly<T>(headers: SipHeaders, rule: string, header: string, failure: Result<T>): Result<T> {
  const exact = elementsOf(headers, rule, header, false);
  return exact.ok ? failure : exact;
}

function parseAll(elements: Elements, rule: string, header: string): Result<NameAddr[]> {
  const out: NameAddr[] = [];
  const { texts, ranges } = elements;
  for (let k = 0; k < texts.length; k++) {
    const parsed = nameAddrIn(texts[k]!, ranges[2 * k]!, ranges[2 * k + 1]!);
    if (parsed === undefined) {
      const { error } = lastReadFailure();
      return fail(error.rule, `${rule}: ${error.message}`, undefined, header);
    }
    out.push(parsed);
  }
  return { ok: true, value: out };
}

/** Whether element k is the wildcard `*`. */
function isStar(elements: Elements, k: number): boolean {
  const start = elements.ranges[2 * k]!;
  return elements.ranges[2 * k + 1] === start + 1 && elements.texts[k]!.charCodeAt(start) === 0x2a;
}

/**
 * Every Contact of the message, in order. `*` is returned as '*' and only valid alone
 * (RFC 3261 §10.2.2). An empty list (no Contact) is ok. Never throws.
 */
export function parseContacts(message: SipMessage): Result<Contact[]> {
  const headers = message.headers;
  const elements = elementsOf(headers, 'Contact', 'contact', true);
  if (!elements.ok) return exactly(headers, 'Contact', 'contact', elements);
  const count = elements.value.texts.length;
  for (let k = 0; k < count; k++) {
    if (!isStar(elements.value, k)) continue;
    if (count === 1) return { ok: true, value: ['*'] };
    const failure = fail('Contact', 'Contact: * must be the only Contact', undefined, 'contact');
    return exactly(headers, 'Contact', 'contact', failure);
  }
  const contacts = parseAll(elements.value, 'Contact', 'contact');
  return contacts.ok ? contacts : exactly(headers, 'Contact', 'contact', contacts);
}

/** Every Route or Record-Route entry, in order (RFC 3261 §20.30, §20.34). Never throws. */
export function getRoutes(message: SipMessage, which: 'route' | 'record-route'): Result<NameAddr[]> {
  const rule = which === 'route' ? 'Route' : 'Record-Route';
  const headers = message.headers;
  const elements = elementsOf(headers, rule, which, true);
  if (!elements.ok) return exactly(headers, rule, which, elements);
  const routes = parseAll(elements.value, rule, which);
  return routes.ok ? routes : exactly(headers, rule, which, routes);
}
