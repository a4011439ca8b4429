/**
 * While it parses a message, the parser reads the common forms of Via, From, To, CSeq and the
 * Request-URI in one pass over the received octets and leaves every other form to the full
 * readers. The standalone parse functions never see octets, so they always take the full
 * readers: these tests hold the octet readers to them on common forms, their near misses and
 * every hostile torture value, in verdict, failure wording, views and their key order.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseViaList,
  type Result,
  type SipMessage,
  serializeMessage,
} from '../../../../src/sip/message/index.js';
import { readUri, URI_WITH_HEADERS } from '../../../../src/sip/message/uri.js';
import { fieldValues } from './hostile-values.js';

const FIELDS = {
  via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc',
  from: '"Alice" <sip:alice@example.com>;tag=1',
  to: '<sip:bob@example.com>',
  cseq: '1 INVITE',
};

function response(field: keyof typeof FIELDS, value: string): Buffer {
  const fields = { ...FIELDS, [field]: value };
  const text = [
    'SIP/2.0 200 OK',
    `Via: ${fields.via}`,
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    'Call-ID: c1',
    `CSeq: ${fields.cseq}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return Buffer.from(text, 'latin1');
}

function request(uri: string): Buffer {
  const text = [
    `OPTIONS ${uri} SIP/2.0`,
    `Via: ${FIELDS.via}`,
    `From: ${FIELDS.from}`,
    `To: ${FIELDS.to}`,
    'Call-ID: c1',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return Buffer.from(text, 'latin1');
}

/** The outcome of a parse as one string: the failure's rule and wording, or the view in JSON (key order included). */
function outcome<T>(parsed: Result<T>, prefix = ''): string {
  return parsed.ok ? JSON.stringify(parsed.value) : `${parsed.error.rule} | ${prefix}${parsed.error.message}`;
}

function messageOutcome(bytes: Buffer, view: (message: SipMessage) => unknown): string {
  const parsed = parseMessage(bytes);
  return parsed.ok ? JSON.stringify(view(parsed.value)) : `${parsed.error.rule} | ${parsed.error.message}`;
}

/** What the full readers make of a value as a field of the message: trimmed of SP and HTAB, read as UTF-8 when it is. */
function expectedField(field: keyof typeof FIELDS, value: string): string {
  const octets = Buffer.from(value.replace(/^[ \t]+|[ \t]+$/g, ''), 'latin1');
  const trimmed = octets.toString(isUtf8(octets) ? 'utf8' : 'latin1');
  if (field === 'via') return outcome(parseViaList(trimmed), 'Via: ');
  if (field === 'cseq') return outcome(parseCSeq(trimmed), 'CSeq: ');
  return outcome(parseNameAddr(trimmed), field === 'from' ? 'From: ' : 'To: ');
}

function parsedField(field: keyof typeof FIELDS, value: string): string {
  return messageOutcome(response(field, value), (message) => message[field]);
}

function expectedRequestUri(uri: string): string {
  if (/[^\x00-\x7f]/.test(uri)) return 'Request-URI | raw non-ASCII octets in Request-URI';
  const read = readUri(uri, 0, uri.length, undefined);
  if (read === URI_WITH_HEADERS) return 'Request-URI | Request-URI must not contain headers';
  const parsed = parseUri(uri);
  return parsed.ok ? JSON.stringify(parsed.value) : `Request-URI | Request-URI: ${parsed.error.message}`;
}

function parsedRequestUri(uri: string): string {
  return messageOutcome(request(uri), (message) => (message.kind === 'request' ? message.uri : undefined));
}

const VIAS = [
  'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1;rport=5060;received=192.0.2.10',
  'SIP/2.0/TCP Host.Example.COM;branch=z9hG4bKx;rport',
  'SIP/2.0/udp 192.0.2.1;branch=z9hG4bKx',
  'SIP/2.0/WSS 192.0.2.1;BRANCH=z9hG4bKx;RPort=1;Received=192.0.2.2',
  'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx;maddr=192.0.2.3',
  'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx',
  'SIP/2.0/UDP 192.0.2.1;received=2001:db8::1;branch=z9hG4bKx',
  'SIP/2.0/UDP 192.0.2.1;received=[2001:db8::1];branch=z9hG4bKx',
  'SIP/2.0/UDP 192.0.2.1:05060;branch=z9hG4bKx',
  'SIP/2.0/UDP 192.0.2.1:000005060;branch=z9hG4bKx',
  'SIP/2.0/UDP 192.0.2.1;rport=000005060;branch=z9hG4bKx',
  'SIP/2.0/UDP a;branch=z9hG4bK1;branch=z9hG4bK2;rport=1;rport',
  'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b:5061;branch=z9hG4bK2',
  'SIP/2.0/UDP a;branch=z9hG4bK1 ,SIP/2.0/TCP b',
  'SIP / 2.0 / UDP a;branch=z9hG4bK1',
  'SIP/2.0/UDP  a ; branch = z9hG4bK1',
  'SIP/2.0/UDP a;branch="z9hG4bK1"',
  'SIP/2.0/UDP a;branch',
  'SIP/2.0/UDP a;received',
  'SIP/2.0/UDP a;received=300.1.1.1',
  'SIP/2.0/UDP a;rport=70000',
  'SIP/2.0/UDP a;rport=x',
  'SIP/2.0/UDP a:99999',
  'SIP/2.0/UDP a:',
  'SIP/2.0/UDP a;;branch=z9hG4bK1',
  'SIP/2.0/UDP a;branch=',
  'SIP/2.0/UDP a;=1',
  'SIP/2.0/UDP a,',
  'SIP/2.0/UDP',
  'SIP/2.0/UDP ',
  'SIP/2.0/ a',
];

const NAME_ADDRS = [
  '"Alice Example" <sip:1001@pbx.example.com>;tag=2c3d4e5f',
  '<sip:2001@PBX.example.com:5070;transport=UDP;LR>;Tag=x;expires=60',
  '<sips:host.example.com>',
  '<sip:host.example.com;lr>',
  '"" <sip:a@b>',
  '"A"<sip:a@b>',
  'Bob <sip:bob@b.example>;tag=1',
  'sip:bob@b.example;tag=1',
  '"A \\"q\\"" <sip:a@b>',
  '<sip:a%40b@c>',
  '<sip:a@c;x%41=1>',
  '<sip:a:pw@c>',
  '<sip:a@c?subject=x>',
  '<sip:a@b@c>',
  '<sip:a@[::1]:5060>',
  '<tel:+1-555-0100>;tag=1',
  '<SIP:a@c>',
  '<urn:service:sos>',
  '<sip:a@c>;+sip.instance="<urn:uuid:1>"',
  '<sip:a@c>;p="a\\"b"',
  '<sip:a@c>;tag="x',
  '<sip:a@c>;tag=',
  '<sip:a@c>;tag',
  '<sip:a@c>;=x',
  '<sip:a@c> ;tag=1',
  '<sip:a@c>;tag=1 ',
  '<sip:a@c>x',
  '<sip:a@c',
  '<sip:@c>;tag=1',
  '<sip:a@>',
  '<sip:a@c:70000>',
  '<sip:a@c:>',
  '<sip:a@c;=1>',
  '<sip:a@c;x=>',
  '<sip:>',
  '<sips>',
  '"x <sip:a@c>',
];

const CSEQS = [
  '102 INVITE',
  '4294967295 BYE',
  '4294967296 BYE',
  '0000000001 ACK',
  '00000000001 ACK',
  '1 invite',
  '1 X-Custom.Method!',
  '1  INVITE',
  '1\tINVITE',
  '1 INVITE ',
  '1 INV ITE',
  '1 INV@TE',
  '1INVITE',
  '1 ',
  '1',
  ' INVITE',
  '-1 INVITE',
  'x INVITE',
];

const REQUEST_URIS = [
  'sip:2001@pbx.example.com;transport=udp',
  'sip:bob@Example.COM:5070',
  'sips:b',
  'SIP:a@b',
  'sip:a@b;x',
  'sip:a@b;=x',
  'sip:a@b;x=',
  'sip:a@b:99999',
  'sip:a@b?x=y',
  'sip:a@[::1]',
  'sip:a%20b@c',
  'sip:a:b@c',
  'tel:+15550100',
  'urn:service:sos',
  'sip:',
  'sip:a@',
  'sip:a@b>',
];

describe('common forms read from the octets', () => {
  it('read Via fields as the full reader does', () => {
    for (const via of VIAS) expect(parsedField('via', via), via).toBe(expectedField('via', via));
  });

  it('read From and To as the full reader does', () => {
    for (const value of NAME_ADDRS) {
      expect(parsedField('from', value), value).toBe(expectedField('from', value));
      expect(parsedField('to', value), value).toBe(expectedField('to', value));
    }
  });

  it('read CSeq as the full reader does', () => {
    for (const value of CSEQS) expect(parsedField('cseq', value), value).toBe(expectedField('cseq', value));
  });

  it('check a Request-URI as the full reader does', () => {
    for (const uri of REQUEST_URIS) expect(parsedRequestUri(uri), uri).toBe(expectedRequestUri(uri));
  });

  it('agree with the full readers on every hostile torture value', () => {
    const disagreements: string[] = [];
    let accepted = 0;
    for (const value of fieldValues()) {
      for (const field of ['via', 'from', 'to', 'cseq'] as const) {
        const expected = expectedField(field, value);
        if (parsedField(field, value) !== expected) disagreements.push(`${field} ${JSON.stringify(value)}`);
        if (!expected.includes(' | ')) accepted++;
      }
      if (!/[ \t]/.test(value) && value.length > 0 && parsedRequestUri(value) !== expectedRequestUri(value)) {
        disagreements.push(`Request-URI ${JSON.stringify(value)}`);
      }
    }
    expect(disagreements).toEqual([]);
    // The values must exercise both verdicts.
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('Status-Line', () => {
  const outcomeOf = (line: string): string => {
    const text = `${line}\r\nVia: ${FIELDS.via}\r\nFrom: ${FIELDS.from}\r\nTo: ${FIELDS.to}\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n`;
    const parsed = parseMessage(Buffer.from(text, 'latin1'));
    if (!parsed.ok) return parsed.error.rule;
    const m = parsed.value;
    return m.kind === 'response' ? `${m.version} ${m.status} [${m.reason}]` : 'request';
  };

  it('is read in the octets in its common form and by the full check otherwise, with the same verdicts', () => {
    const cases: Array<[string, string]> = [
      ['SIP/2.0 200 OK', 'SIP/2.0 200 [OK]'],
      ['SIP/2.0 180 Ringing', 'SIP/2.0 180 [Ringing]'],
      ['SIP/2.0 699 ', 'SIP/2.0 699 []'],
      ['SIP/2.0 100', 'SIP/2.0 100 []'],
      ['SIP/2.0 486 Busy  Here ', 'SIP/2.0 486 [Busy  Here ]'],
      ['sip/2.0 200 OK', 'SIP/2.0 200 [OK]'],
      ['SIP/02.0 200 OK', 'SIP/02.0 200 [OK]'],
      ['SIP/2.0 099 Low', 'Status-Code'],
      ['SIP/2.0 700 High', 'Status-Code'],
      ['SIP/2.0 2000 OK', 'Status-Code'],
      ['SIP/2.0 20 OK', 'Status-Code'],
      ['SIP/2.0 2x0 OK', 'Status-Code'],
      ['SIP/2.0  200 OK', 'Status-Code'],
      ['SIP/2.0\t200 OK', 'SIP-Version'],
      ['SIP/2.0', 'SIP-Version'],
    ];
    for (const [line, expected] of cases) expect(outcomeOf(line), line).toBe(expected);
  });
});

describe('header block framing', () => {
  const lines = ['SIP/2.0 200 OK', `Via: ${FIELDS.via}`, `From: ${FIELDS.from}`, `To: ${FIELDS.to}`];
  const tail = ['Call-ID: c1', 'CSeq: 1 INVITE'];

  it('ends a CRLF header block at its empty line, whatever the body holds', () => {
    const body = 'v=0\r\r\n\n\r\n\r\n';
    const text = `${[...lines, ...tail, `Content-Length: ${body.length}`].join('\r\n')}\r\n\r\n${body}`;
    const parsed = parseMessage(Buffer.from(text, 'latin1'));
    expect(parsed.ok && parsed.value.body.toString('latin1')).toBe(body);
  });

  it('reads the fields of a message with a large body, and writes it back unchanged', () => {
    const body = 'a=x\r\n'.repeat(600);
    const text = `${[...lines, 'Subject: big', ...tail, `Content-Length: ${body.length}`].join('\r\n')}\r\n\r\n${body}`;
    const parsed = parseMessage(Buffer.from(text, 'latin1'));
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.headers.get('Subject')).toBe('big');
    expect(parsed.value.to.uri.user).toBe('bob');
    expect(parsed.value.body.toString('latin1')).toBe(body);
    parsed.value.headers.set('Subject', 'changed');
    expect(serializeMessage(parsed.value).toString('latin1')).toBe(
      text.replace('Subject: big', 'Subject: changed'),
    );
  });

  it('tolerates bare LF line ends only when no CRLFCRLF closes the block', () => {
    const lf = parseMessage(Buffer.from(`${[...lines, ...tail].join('\n')}\n\nbody`, 'latin1'));
    expect(lf.ok && lf.value.body.toString('latin1')).toBe('body');
    const mixed = parseMessage(
      Buffer.from(`${lines.join('\r\n')}\n${tail.join('\r\n')}\r\n\r\nbody`, 'latin1'),
    );
    expect(mixed.ok && mixed.value.callId).toBe('c1');
    const emptyLine = parseMessage(
      Buffer.from(`${lines.join('\r\n')}\n\n${tail.join('\r\n')}\r\n\r\n`, 'latin1'),
    );
    expect(emptyLine.ok ? 'parsed' : emptyLine.error.message).toBe('empty line inside the header block');
  });

  it('rejects a bare CR in the header block wherever the block ends', () => {
    for (const end of ['\r\n\r\n', '\n\n', '']) {
      const text = `${[...lines, 'Subject: a\rb', ...tail].join('\r\n')}${end}`;
      const parsed = parseMessage(Buffer.from(text, 'latin1'));
      expect(
        parsed.ok ? 'parsed' : `${parsed.error.message} at ${parsed.error.offset}`,
        JSON.stringify(end),
      ).toBe(`bare CR in the header block at ${text.indexOf('\rb')}`);
    }
  });

  it('reads a bare CR after an LF-only block as part of the body', () => {
    const parsed = parseMessage(Buffer.from(`${[...lines, ...tail].join('\n')}\n\na\rb`, 'latin1'));
    expect(parsed.ok && parsed.value.body.toString('latin1')).toBe('a\rb');
  });
});
