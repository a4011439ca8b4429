/**
 * The parser records where the common forms of Via, From and To lie while it validates them,
 * and builds those views from the records on first read, as long as no later parse has
 * reused them; afterwards the full readers build them. Either way the views must be the same.
 */
import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  parseNameAddr,
  parseViaList,
  type SipMessage,
} from '../../../../src/sip/message/index.js';

function message(fields: { via?: string; from?: string; to?: string } = {}): Buffer {
  const text = [
    'SIP/2.0 200 OK',
    `Via: ${fields.via ?? 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1;rport=5060;received=192.0.2.10'}`,
    'Via: SIP/2.0/TCP 203.0.113.9;branch=z9hG4bK-2',
    `From: ${fields.from ?? '"Alice" <sip:alice@Example.COM:5070;transport=udp;lr>;tag=1;x=2'}`,
    `To: ${fields.to ?? '<sips:bob@example.com>;tag=9'}`,
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return Buffer.from(text, 'latin1');
}

function parsed(bytes: Buffer): SipMessage {
  const result = parseMessage(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The views as JSON, key order included. */
function views(m: SipMessage): string {
  return JSON.stringify([m.via, m.from, m.to]);
}

/** What the full readers make of the same values. */
function fullReaderViews(m: SipMessage): string {
  const vias = m.headers
    .fields()
    .filter((field) => field.name === 'Via')
    .flatMap(({ value }) => {
      const read = parseViaList(value);
      if (!read.ok) throw new Error(read.error.message);
      return read.value;
    });
  const from = parseNameAddr(m.headers.get('From')!);
  const to = parseNameAddr(m.headers.get('To')!);
  if (!from.ok || !to.ok) throw new Error('invalid name-addr');
  return JSON.stringify([vias, from.value, to.value]);
}

describe('views recorded while parsing', () => {
  it('are read as the full readers read them', () => {
    const m = parsed(message());
    expect(views(m)).toBe(fullReaderViews(m));
  });

  it('are read by the full readers once a later parse took the records over', () => {
    const first = parsed(message());
    const second = parsed(message({ from: '<sip:carol@example.org>;tag=77', to: '<sip:dave@example.org>' }));
    expect(views(first)).toBe(fullReaderViews(first));
    expect(views(second)).toBe(fullReaderViews(second));
    expect(first.from.uri.user).toBe('alice');
    expect(second.from.uri.user).toBe('carol');
  });

  it('survive a later parse that fails', () => {
    const m = parsed(message());
    expect(parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n')).ok).toBe(false);
    expect(views(m)).toBe(fullReaderViews(m));
  });

  it('of two messages with the same bytes are the same', () => {
    const bytes = message();
    const first = parsed(bytes);
    const second = parsed(Buffer.from(bytes));
    expect(views(first)).toBe(views(second));
    expect(views(first)).toBe(fullReaderViews(first));
  });

  it('are built by the full reader when a value has more parameters than are recorded', () => {
    const params = Array.from({ length: 100 }, (_, k) => `;p${k}=${k}`).join('');
    const m = parsed(message({ from: `<sip:alice@example.com${params}>${params};tag=1` }));
    expect(views(m)).toBe(fullReaderViews(m));
    expect(Object.keys(m.from.uri.params)).toHaveLength(100);
    expect(Object.keys(m.from.params)).toHaveLength(101);
  });

  it('follow the header fields once they change', () => {
    const m = parsed(message());
    m.headers.set('From', '<sip:eve@example.net>;tag=5');
    expect(m.from.uri.user).toBe('eve');
    expect(m.to.uri.scheme).toBe('sips');
    expect(m.via[0]?.branch).toBe('z9hG4bK-1');
  });
});
