/**
 * The parser builds the first Via field, From, To and CSeq while it validates them; later Via
 * fields and the Request-URI are validated without building and built on first read by the
 * same readers. These tests hold the readers to the full parsers' verdicts, check that in-place
 * reading respects field bounds, and that views and lazily sliced values read back right.
 */
import { describe, expect, it } from 'vitest';
import { cseqIn } from '../../../../src/sip/message/cseq.js';
import {
  formatNameAddr,
  formatUri,
  getRoutes,
  parseContacts,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseViaList,
  type SipMessage,
} from '../../../../src/sip/message/index.js';
import { nameAddrIn } from '../../../../src/sip/message/name-addr.js';
import { readUri } from '../../../../src/sip/message/uri.js';
import { readViaList } from '../../../../src/sip/message/via.js';
import { fieldValues } from './hostile-values.js';

const OPTIONS = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
  'Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKdef;received=192.0.2.9',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: call-1@192.0.2.1',
  'CSeq: 7 OPTIONS',
  'Subject: lunch',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function parse(text: string): SipMessage {
  const parsed = parseMessage(Buffer.from(text, 'latin1'));
  if (!parsed.ok) throw new Error(`${parsed.error.rule}: ${parsed.error.message}`);
  return parsed.value;
}

function rejection(text: string): { rule: string; header?: string } {
  const parsed = parseMessage(Buffer.from(text, 'latin1'));
  if (parsed.ok) throw new Error('expected a rejection');
  return { rule: parsed.error.rule, header: parsed.error.header };
}

describe('validators agree with the building parsers', () => {
  const values = fieldValues();

  it('on every torture header value, cut, spliced and with stray quotes and spaces', () => {
    expect(values.length).toBeGreaterThan(10000);
    const disagreements: string[] = [];
    let accepted = 0;
    for (const value of values) {
      // Each value is also read in place inside a larger string, as the parser reads it.
      const framed = `X${value}\r\n"<>;`;
      const end = 1 + value.length;
      const via = parseViaList(value).ok;
      const nameAddr = parseNameAddr(value).ok;
      const uri = parseUri(value).ok;
      const verdicts = [
        readViaList(value, 0, value.length, undefined) === via,
        readViaList(framed, 1, end, undefined) === via,
        (nameAddrIn(value, 0, value.length) !== undefined) === nameAddr,
        (nameAddrIn(framed, 1, end) !== undefined) === nameAddr,
        readUri(framed, 1, end, undefined) >= 0 === uri,
        (cseqIn(framed, 1, end) !== undefined) === parseCSeq(value).ok,
      ];
      if (verdicts.includes(false)) disagreements.push(`${JSON.stringify(value)}: ${verdicts.join(' ')}`);
      if (via || nameAddr || uri) accepted++;
    }
    expect(disagreements).toEqual([]);
    // The generated values must exercise both verdicts.
    expect(accepted).toBeGreaterThan(values.length / 20);
    expect(accepted).toBeLessThan(values.length);
  });
});

describe('in-place validation', () => {
  it('rejects a malformed Via in any field, not only the top one', () => {
    expect(rejection(OPTIONS.replace('SIP/2.0/TCP proxy.example.com', 'SIP/2.0/TCP proxy example'))).toEqual({
      rule: 'Via',
      header: 'via',
    });
    expect(rejection(OPTIONS.replace('branch=z9hG4bKdef', 'branch=z9hG4bKdef, '))).toEqual({
      rule: 'Via',
      header: 'via',
    });
    expect(rejection(OPTIONS.replace('received=192.0.2.9', 'received=192.0.2.300'))).toEqual({
      rule: 'Via',
      header: 'via',
    });
  });

  it('stops at the end of the field: a quote or > on a later line does not close it', () => {
    const quote = OPTIONS.replace(
      '"Alice" <sip:alice@example.com>;tag=1',
      '"Alice <sip:alice@example.com>;tag=1',
    ).replace('Subject: lunch', 'Subject: "');
    expect(rejection(quote)).toEqual({ rule: 'display-name', header: 'from' });
    const angle = OPTIONS.replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com').replace(
      'Subject: lunch',
      'Subject: >',
    );
    expect(rejection(angle)).toEqual({ rule: 'name-addr', header: 'to' });
    const via = OPTIONS.replace('SIP/2.0/UDP 192.0.2.1:5060', 'SIP/2.0/UDP [2001:db8::1:5060').replace(
      'Subject: lunch',
      'Subject: ]',
    );
    expect(rejection(via)).toEqual({ rule: 'Via', header: 'via' });
  });

  it('validates a folded value as unfolded', () => {
    const folded = parse(
      OPTIONS.replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>\r\n ;tag=x'),
    );
    expect(folded.to.params.tag).toBe('x');
    expect(
      rejection(OPTIONS.replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>\r\n ;tag=')),
    ).toEqual({ rule: 'name-addr', header: 'to' });
  });

  it('rejects a Request-URI with headers, whatever their names', () => {
    expect(
      rejection(OPTIONS.replace('sip:bob@example.com SIP', 'sip:bob@example.com?__proto__=x SIP')),
    ).toEqual({ rule: 'Request-URI', header: undefined });
  });
});

describe('views built on first read', () => {
  it('builds the same views the full parsers build', () => {
    const m = parse(OPTIONS);
    const vias = parseViaList('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport');
    expect(vias.ok && m.via[0]).toEqual(vias.ok && vias.value[0]);
    expect(m.via.map((v) => [v.transport, v.host, v.received])).toEqual([
      ['UDP', '192.0.2.1', undefined],
      ['TCP', 'proxy.example.com', '192.0.2.9'],
    ]);
    expect(formatNameAddr(m.from)).toBe('"Alice" <sip:alice@example.com>;tag=1');
    expect(m.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
    if (m.kind !== 'request') throw new Error('request expected');
    expect(formatUri(m.uri)).toBe('sip:bob@example.com');
  });

  it('reads a header changed before the first read of its view', () => {
    const m = parse(OPTIONS);
    m.headers.set('From', '<sip:carol@example.com>;tag=2');
    expect(m.from.uri.user).toBe('carol');
    expect(m.to.uri.user).toBe('bob');
  });

  it('drops the views the parser built once the headers change', () => {
    const m = parse(OPTIONS);
    m.headers.removeFirst('Via');
    expect(m.via.map((v) => v.host)).toEqual(['proxy.example.com']);
    m.headers.set('CSeq', '8 OPTIONS');
    expect(m.cseq).toEqual({ seq: 8, method: 'OPTIONS' });
    m.headers.set('To', '<sip:carol@example.com>');
    expect(m.to.uri.user).toBe('carol');
  });

  it('reads names, transports and hosts in any letter case', () => {
    const m = parse(
      OPTIONS.replace(
        'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
        'SIP/2.0/udp EDGE.Example.com;BRANCH=z9hG4bKabc;RPort;Foo=Bar',
      ).replace('<sip:alice@example.com>;tag=1', '<sip:alice@Example.COM;Transport=TCP;LR;%6Dy=%41>;TAG=1'),
    );
    expect(m.via[0]).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'edge.example.com',
      branch: 'z9hG4bKabc',
      rport: true,
      params: { foo: 'Bar' },
    });
    expect(m.from.uri.host).toBe('example.com');
    expect(m.from.uri.params).toEqual({ transport: 'TCP', lr: null, my: 'A' });
    expect(m.from.params).toEqual({ tag: '1' });
  });

  it('keeps a parameter named __proto__ as a parameter', () => {
    const m = parse(OPTIONS.replace(';tag=1', ';tag=1;__proto__'));
    expect(Object.keys(m.from.params)).toEqual(['tag', '__proto__']);
    expect(Object.getPrototypeOf(m.from.params)).toBe(Object.prototype);
    expect(formatNameAddr(m.from)).toBe('"Alice" <sip:alice@example.com>;tag=1;__proto__');
  });
});

describe('values sliced on first read', () => {
  it('reads every value right, in any order, before and after a change', () => {
    const m = parse(OPTIONS);
    expect(m.headers.get('Subject')).toBe('lunch');
    m.headers.prepend('Via', 'SIP/2.0/UDP edge.example.com;branch=z9hG4bKe');
    expect(m.headers.getAll('Via')).toEqual([
      'SIP/2.0/UDP edge.example.com;branch=z9hG4bKe',
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
      'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKdef;received=192.0.2.9',
    ]);
    m.headers.removeFirst('Via');
    m.headers.remove('Subject');
    expect(m.headers.fields().map((f) => `${f.name}: ${f.value}`)).toEqual(
      OPTIONS.split('\r\n')
        .slice(1, -2)
        .filter((line) => !line.startsWith('Subject')),
    );
  });

  it('gives a clone its own values', () => {
    const m = parse(OPTIONS);
    const copy = m.headers.clone();
    copy.set('Subject', 'dinner');
    expect(m.headers.get('Subject')).toBe('lunch');
    expect(copy.get('Subject')).toBe('dinner');
    expect(copy.get('Call-ID')).toBe('call-1@192.0.2.1');
  });
});

describe('Contact and Route lists read in place', () => {
  const withFields = (...fields: string[]): SipMessage =>
    parse(OPTIONS.replace('Subject: lunch', fields.join('\r\n')));

  it('reads every element of every field, with or without commas', () => {
    const m = withFields(
      'Contact: "A, B" <sip:a@example.com>;q=0.5',
      'Contact: <sip:b@example.com>, sip:c@example.com;expires=60',
      'Record-Route: <sip:p1.example.com;lr>',
      'Record-Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>',
    );
    const contacts = parseContacts(m);
    expect(contacts.ok && contacts.value.map((c) => (c === '*' ? c : formatNameAddr(c)))).toEqual([
      '"A, B" <sip:a@example.com>;q=0.5',
      '<sip:b@example.com>',
      '<sip:c@example.com>;expires=60',
    ]);
    const routes = getRoutes(m, 'record-route');
    expect(routes.ok && routes.value.map((r) => r.uri.host)).toEqual([
      'p1.example.com',
      'p2.example.com',
      'p3.example.com',
    ]);
  });

  it('reports an unbalanced field before an earlier malformed element, as the full split does', () => {
    const m = withFields('Contact: <sip:a@example.com>;q=', 'Contact: "B <sip:b@example.com>');
    const contacts = parseContacts(m);
    expect(contacts.ok ? undefined : contacts.error.message).toBe('Contact: unbalanced quotes or <>');
    const star = withFields('Contact: *', 'Contact: <sip:b@example.com');
    const starred = parseContacts(star);
    expect(starred.ok ? undefined : starred.error.message).toBe('Contact: unbalanced quotes or <>');
    const alone = withFields('Contact: *', 'Contact: <sip:b@example.com>');
    const refused = parseContacts(alone);
    expect(refused.ok ? undefined : refused.error.message).toBe('Contact: * must be the only Contact');
    const route = getRoutes(withFields('Route: <sip:p1.example.com;lr>;x="'), 'route');
    expect(route.ok ? undefined : route.error.message).toBe('Route: unbalanced quotes or <>');
  });
});
