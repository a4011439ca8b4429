/** Headers parsed only on request: Contact (RFC 3261 §20.10), Route and Record-Route (§20.30, §20.34). */
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

function elementsOf(headers: SipHeaders, name: string, rule: string): Result<Elements> {
  const elements: Elements = { texts: [], ranges: [] };
  const header = name.toLowerCase();
  if (headers instanceof HeaderFields) {
    for (let i = 0; i < headers.size; i++) {
      if (headers.keyAt(i) !== header) continue;
      const failure = addElements(
        headers.textOf(i),
        headers.valueStart(i),
        headers.valueEnd(i),
        elements,
        rule,
        header,
      );
      if (failure !== undefined) return failure;
    }
  } else {
    for (const value of headers.getAll(name)) {
      const failure = addElements(value, 0, value.length, elements, rule, header);
      if (failure !== undefined) return failure;
    }
  }
  return { ok: true, value: elements };
}

function addElements(
  text: string,
  start: number,
  end: number,
  elements: Elements,
  rule: string,
  header: string,
): Result<never> | undefined {
  const ranges = elements.ranges;
  const first = ranges.length;
  if (!commaListRanges(text, start, end, ranges))
    return fail(rule, `${rule}: unbalanced quotes or <>`, undefined, header);
  for (let k = first; k < ranges.length; k += 2) {
    if (ranges[k] === ranges[k + 1]) return fail(rule, `${rule}: empty list element`, undefined, header);
    elements.texts.push(text);
  }
  return undefined;
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
  const elements = elementsOf(message.headers, 'Contact', 'Contact');
  if (!elements.ok) return elements;
  const count = elements.value.texts.length;
  for (let k = 0; k < count; k++) {
    if (!isStar(elements.value, k)) continue;
    if (count > 1) return fail('Contact', 'Contact: * must be the only Contact', undefined, 'contact');
    return { ok: true, value: ['*'] };
  }
  return parseAll(elements.value, 'Contact', 'contact');
}

/** Every Route or Record-Route entry, in order (RFC 3261 §20.30, §20.34). Never throws. */
export function getRoutes(message: SipMessage, which: 'route' | 'record-route'): Result<NameAddr[]> {
  const rule = which === 'route' ? 'Route' : 'Record-Route';
  const elements = elementsOf(message.headers, rule, rule);
  if (!elements.ok) return elements;
  return parseAll(elements.value, rule, which);
}
