/** Headers parsed only on request: Contact (RFC 3261 §20.10), Route and Record-Route (§20.30, §20.34). */
import { fail } from './failure.js';
import { getFieldValues } from './field-values.js';
import { parseNameAddr } from './name-addr.js';
import { splitCommaList } from './params.js';
import type { Contact, NameAddr, Result, SipMessage } from './types.js';

function elementsOf(message: SipMessage, name: string, rule: string): Result<string[]> {
  const elements: string[] = [];
  for (const field of getFieldValues(message.headers, name)) {
    const parts = splitCommaList(field);
    if (parts === undefined)
      return fail(rule, `${rule}: unbalanced quotes or <>`, undefined, name.toLowerCase());
    for (const part of parts) {
      if (part.length === 0) return fail(rule, `${rule}: empty list element`, undefined, name.toLowerCase());
      elements.push(part);
    }
  }
  return { ok: true, value: elements };
}

function parseAll(elements: string[], rule: string, header: string): Result<NameAddr[]> {
  const out: NameAddr[] = [];
  for (const element of elements) {
    const parsed = parseNameAddr(element);
    if (!parsed.ok) return fail(parsed.error.rule, `${rule}: ${parsed.error.message}`, undefined, header);
    out.push(parsed.value);
  }
  return { ok: true, value: out };
}

/**
 * Every Contact of the message, in order. `*` is returned as '*' and only valid alone
 * (RFC 3261 §10.2.2). An empty list (no Contact) is ok. Never throws.
 */
export function parseContacts(message: SipMessage): Result<Contact[]> {
  const elements = elementsOf(message, 'Contact', 'Contact');
  if (!elements.ok) return elements;
  if (elements.value.includes('*')) {
    if (elements.value.length > 1)
      return fail('Contact', 'Contact: * must be the only Contact', undefined, 'contact');
    return { ok: true, value: ['*'] };
  }
  return parseAll(elements.value, 'Contact', 'contact');
}

/** Every Route or Record-Route entry, in order (RFC 3261 §20.30, §20.34). Never throws. */
export function getRoutes(message: SipMessage, which: 'route' | 'record-route'): Result<NameAddr[]> {
  const rule = which === 'route' ? 'Route' : 'Record-Route';
  const elements = elementsOf(message, rule, rule);
  if (!elements.ok) return elements;
  return parseAll(elements.value, rule, which);
}
