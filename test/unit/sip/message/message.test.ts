/** The message model, serialiser, builders and sub-grammars beyond the torture corpora. */
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  createResponseFromHeaders,
  formatNameAddr,
  formatUri,
  formatVia,
  generateBranch,
  generateTag,
  HeaderFields,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  reasonPhrase,
  type SipMessage,
  serializeMessage,
  splitCommaList,
} from '../../../../src/sip/message/index.js';

const OPTIONS = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
  'Max-Forwards: 70',
  'f: <sip:alice@example.com>;tag=1',
  't: <sip:bob@example.com>',
  'i: call-1@192.0.2.1',
  'CSeq: 7 OPTIONS',
  'Timestamp: 54',
  'Supported: replaces, timer',
  'l: 5',
  '',
  'hello',
].join('\r\n');

function parse(text: string | Buffer): SipMessage {
  const parsed = parseMessage(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  if (!parsed.ok) throw new Error(`${parsed.error.rule}: ${parsed.error.message}`);
  return parsed.value;
}

describe('parseMessage', () => {
  it('maps compact names, looks headers up case-insensitively and splits lists', () => {
    const m = parse(OPTIONS);
    expect(m.headers.get('Call-ID')).toBe('call-1@192.0.2.1');
    expect(m.headers.get('CALL-ID')).toBe('call-1@192.0.2.1');
    expect(m.headers.get('i')).toBe('call-1@192.0.2.1');
    expect(m.headers.getAll('k')).toEqual(['replaces', 'timer']);
    expect(m.via[0]).toMatchObject({
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5060,
      branch: 'z9hG4bKabc',
      rport: true,
    });
    expect(m.body.toString()).toBe('hello');
  });

  it('skips leading CRLFs (RFC 3261 §7.5) and discards octets beyond Content-Length (§18.3)', () => {
    const m = parse(`\r\n\r\n${OPTIONS}trailing`);
    expect(m.body.toString()).toBe('hello');
    expect(serializeMessage(m).toString('latin1')).toBe(OPTIONS);
  });

  it('takes the rest of the datagram as body without Content-Length', () => {
    const m = parse(OPTIONS.replace('l: 5\r\n', '').replace('hello', 'the rest'));
    expect(m.body.toString()).toBe('the rest');
    expect(serializeMessage(m).toString('latin1')).toContain('Content-Length: 8\r\n\r\nthe rest');
  });

  it('accepts bare LF line ends but rejects a bare CR', () => {
    expect(parse(OPTIONS.replaceAll('\r\n', '\n')).callId).toBe('call-1@192.0.2.1');
    const bad = parseMessage(Buffer.from(OPTIONS.replace('Timestamp: 54', 'Timestamp: 5\r4')));
    expect(bad.ok).toBe(false);
  });

  it('keeps unread and folded values apart until an edit reads them all', () => {
    // Only the folded Supported field becomes a string; the fields before it stay in the block.
    const m = parse(OPTIONS.replace('Supported: replaces, timer', 'Supported: replaces,\r\n timer'));
    expect(m.headers.get('Supported')).toBe('replaces, timer');
    m.headers.set('Timestamp', '55');
    expect(m.headers.get('Timestamp')).toBe('55');
    expect(m.headers.get('Max-Forwards')).toBe('70');
    expect(m.headers.getAll('k')).toEqual(['replaces', 'timer']);
    const wire = serializeMessage(m).toString('latin1');
    expect(wire).toContain('Max-Forwards: 70\r\nf: <sip:alice@example.com>;tag=1\r\n');
    expect(wire).toContain('Timestamp: 55\r\nSupported: replaces, timer\r\n');
  });

  it('parses a message after one with many header fields as if it came first', () => {
    const many = Array.from({ length: 400 }, (_, i) => `X-Field-${i}: ${i}`).join('\r\n');
    const big = parse(OPTIONS.replace('Timestamp: 54', many));
    expect(big.headers.get('X-Field-399')).toBe('399');
    const m = parse(OPTIONS);
    expect(m.headers.get('X-Field-0')).toBeUndefined();
    expect((m.headers as HeaderFields).size).toBe(9);
    expect(serializeMessage(m).toString('latin1')).toBe(OPTIONS);
  });

  it('reads views after parsing from the message, not from the datagram, which the caller may reuse', () => {
    const data = Buffer.from(
      OPTIONS.replace('v: ', 'v: SIP/2.0/TCP 198.51.100.4;branch=z9hG4bKtop\r\nv: '),
      'latin1',
    );
    const m = parse(data);
    data.fill(0x20);
    expect(m.via.map((via) => via.host)).toEqual(['198.51.100.4', '192.0.2.1']);
    expect(m.headers.get('Supported')).toBe('replaces, timer');
  });

  it('rejects messages above maxSize before parsing', () => {
    const result = parseMessage(Buffer.from(OPTIONS), { maxSize: 64 });
    expect(!result.ok && result.error.rule).toBe('message-size');
  });

  it('rejects a Max-Forwards above 255 with the header fields for a 400', () => {
    const result = parseMessage(Buffer.from(OPTIONS.replace('Max-Forwards: 70', 'Max-Forwards: 256')));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ rule: 'Max-Forwards', header: 'max-forwards', isRequest: true });
    const answer = createResponseFromHeaders(result.error.headers!, 400);
    const wire = serializeMessage(answer).toString('latin1');
    expect(wire).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(wire).toContain('Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n');
    expect(wire).toMatch(/\r\nTo: <sip:bob@example.com>;tag=[0-9a-f]{16}\r\n/);
  });
});

describe('typed views and serialisation', () => {
  it('re-reads a typed view after its header changed', () => {
    const m = parse(OPTIONS);
    expect(m.via).toHaveLength(1);
    m.headers.prepend('Via', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp');
    expect(m.via.map((v) => v.host)).toEqual(['proxy.example.com', '192.0.2.1']);
    m.headers.set('To', '<sip:carol@example.com>');
    expect(m.to.uri.user).toBe('carol');
    m.headers.removeFirst('Via');
    expect(m.via).toHaveLength(1);
  });

  it('writes an unchanged message back byte for byte, sharing the datagram', () => {
    const bytes = Buffer.from(OPTIONS, 'latin1');
    const m = parse(bytes);
    const wire = serializeMessage(m);
    expect(wire.equals(bytes)).toBe(true);
    expect(wire.buffer).toBe(bytes.buffer);
  });

  it('rewrites Content-Length in place when the body changes', () => {
    const m = parse(OPTIONS);
    m.body = Buffer.from('a longer body');
    const wire = serializeMessage(m).toString('latin1');
    expect(wire).toContain('\r\nl: 13\r\n\r\na longer body');
    expect(wire).not.toContain('l: 5');
  });

  it('sees an in-place change of the Request-URI', () => {
    const m = parse(OPTIONS);
    if (m.kind !== 'request') throw new Error('request expected');
    m.uri.host = 'example.net';
    expect(serializeMessage(m).toString('latin1')).toMatch(/^OPTIONS sip:bob@example.net SIP\/2.0\r\n/);
  });

  it('keeps the received spelling of an unchanged Request-URI', () => {
    const m = parse(OPTIONS.replace('sip:bob@example.com', 'sip:Bob@EXAMPLE.com;Transport=UDP'));
    if (m.kind !== 'request') throw new Error('request expected');
    expect(m.uri).toMatchObject({ user: 'Bob', host: 'example.com', params: { transport: 'UDP' } });
    m.headers.append('X-Extra', '1');
    expect(serializeMessage(m).toString('latin1')).toMatch(/^OPTIONS sip:Bob@EXAMPLE.com;Transport=UDP SIP/);
  });

  it('refuses header values that would inject fields', () => {
    const headers = new HeaderFields();
    expect(() => headers.set('Subject', 'a\r\nVia: evil')).toThrow(TypeError);
    expect(() => headers.append('Bad Name', 'x')).toThrow(TypeError);
  });
});

describe('builders', () => {
  const invite = createRequest({
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    from: '"Alice" <sip:alice@example.com>;tag=a1',
    to: 'sip:bob@example.com',
    callId: 'c1',
    cseq: 1,
    via: [
      {
        protocol: 'SIP/2.0',
        transport: 'UDP',
        host: '192.0.2.1',
        port: 5060,
        params: {},
        branch: 'z9hG4bK1',
      },
    ],
    contact: '<sip:alice@192.0.2.1>',
    headers: [['Supported', 'timer']],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });

  it('creates a request that serialises and parses back', () => {
    const wire = serializeMessage(invite).toString();
    expect(wire).toBe(
      [
        'INVITE sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
        'Max-Forwards: 70',
        'From: "Alice" <sip:alice@example.com>;tag=a1',
        'To: <sip:bob@example.com>',
        'Call-ID: c1',
        'CSeq: 1 INVITE',
        'Contact: <sip:alice@192.0.2.1>',
        'Supported: timer',
        'Content-Type: application/sdp',
        'Content-Length: 5',
        '',
        'v=0\r\n',
      ].join('\r\n'),
    );
    expect(parse(Buffer.from(wire)).cseq).toEqual({ seq: 1, method: 'INVITE' });
  });

  it('writes non-ASCII values as UTF-8 and a head larger than its reused buffer whole', () => {
    const display = 'Zoë Ångström 電話';
    const long = 'x'.repeat(40_000);
    const request = createRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      from: `"${display}" <sip:zoe@example.com>;tag=z1`,
      to: 'sip:bob@example.com',
      callId: 'c2',
      cseq: 7,
      via: invite.via,
      headers: [
        ['Subject', 'Grüße'],
        ['X-Padding', long],
      ],
    });
    const wire = serializeMessage(request);
    const text = wire.toString('utf8');
    expect(text).toContain(`From: "${display}" <sip:zoe@example.com>;tag=z1\r\n`);
    expect(text).toContain('Subject: Grüße\r\n');
    expect(text).toContain(`X-Padding: ${long}\r\n`);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    const back = parse(wire);
    expect(back.headers.get('X-Padding')).toBe(long);
    expect(back.cseq).toEqual({ seq: 7, method: 'MESSAGE' });
    // The next message written after the large one is not left with any of it.
    expect(serializeMessage(invite).toString()).not.toContain('x'.repeat(10));
  });

  it('throws on arguments that are not SIP (programming errors)', () => {
    expect(() =>
      createRequest({
        method: 'BAD METHOD',
        uri: 'sip:a@b',
        from: 'sip:a@b',
        to: 'sip:a@b',
        callId: 'x',
        cseq: 1,
      }),
    ).toThrow(TypeError);
    expect(() =>
      createRequest({
        method: 'BYE',
        uri: 'sip:a@b c',
        from: 'sip:a@b',
        to: 'sip:a@b',
        callId: 'x',
        cseq: 1,
      }),
    ).toThrow(TypeError);
    expect(() =>
      createRequest({
        method: 'BYE',
        uri: 'sip:a@b',
        from: 'sip:a@b',
        to: 'sip:a@b',
        callId: 'x',
        cseq: 2 ** 32,
      }),
    ).toThrow(TypeError);
  });

  it('creates responses per RFC 3261 §8.2.6', () => {
    const m = parse(OPTIONS);
    if (m.kind !== 'request') throw new Error('request expected');
    const trying = createResponse(m, 100);
    expect(trying.headers.get('Timestamp')).toBe('54');
    expect(trying.to.params.tag).toBeUndefined();
    const ok = createResponse(m, 200, undefined, {
      toTag: 'xyz',
      headers: [['Allow', 'INVITE, ACK']],
    });
    expect(ok.reason).toBe('OK');
    expect(ok.to.params.tag).toBe('xyz');
    expect(ok.headers.has('Timestamp')).toBe(false);
    expect(ok.via).toEqual(m.via);
    expect(ok.cseq).toEqual(m.cseq);
    expect(parse(serializeMessage(ok)).headers.getAll('Allow')).toEqual(['INVITE', 'ACK']);
  });

  it('generates identifiers with the RFC 3261 cookie and enough randomness', () => {
    expect(generateBranch()).toMatch(/^z9hG4bK[0-9a-f]{24}$/);
    expect(generateTag()).not.toBe(generateTag());
    expect(reasonPhrase(489)).toBe('Bad Event');
    expect(reasonPhrase(599)).toBe('Server Error');
  });
});

describe('URI, Via, name-addr', () => {
  it('escapes per RFC 3261 §25 on output and unescapes on input', () => {
    const uri = parseUri('sip:a%20b@example.com;p=%41?Subject=hi%20there');
    expect(uri.ok && uri.value).toMatchObject({
      user: 'a b',
      params: { p: 'A' },
      headers: { Subject: 'hi there' },
    });
    if (uri.ok) expect(formatUri(uri.value)).toBe('sip:a%20b@example.com;p=A?Subject=hi%20there');
    expect(formatUri({ scheme: 'sip', user: 'x@y:z', host: 'h', params: {}, headers: {} })).toBe(
      'sip:x%40y%3Az@h',
    );
  });

  it('parses tel: and keeps other schemes opaque', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({
      ok: true,
      value: { scheme: 'tel', user: '+1-201-555-0123', host: '', params: { 'phone-context': 'example.com' } },
    });
    expect(parseUri('urn:service:sos')).toMatchObject({
      ok: true,
      value: { scheme: 'urn', opaque: 'service:sos' },
    });
    expect(parseUri('sip:a@[::1:').ok).toBe(false);
    expect(parseUri('sip:a@host:99999').ok).toBe(false);
  });

  it('treats parameters after an addr-spec as header parameters (RFC 3261 §20.10)', () => {
    const na = parseNameAddr('sip:bob@example.com;tag=x;lr');
    expect(na.ok && na.value).toMatchObject({ uri: { params: {} }, params: { tag: 'x', lr: null } });
    if (na.ok) expect(formatNameAddr(na.value)).toBe('<sip:bob@example.com>;tag=x;lr');
    const quoted = parseNameAddr('"A \\"B\\"" <sip:a@b>');
    expect(quoted.ok && quoted.value.displayName).toBe('A "B"');
    if (quoted.ok) expect(formatNameAddr(quoted.value)).toBe('"A \\"B\\"" <sip:a@b>');
  });

  it('formats and parses a Via with rport and received', () => {
    const via = parseVia(
      'SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;received=192.0.2.9;rport=4000;ttl=3',
    );
    expect(via.ok && via.value).toMatchObject({
      host: '[2001:db8::1]',
      port: 5061,
      received: '192.0.2.9',
      rport: 4000,
      params: { ttl: '3' },
    });
    if (via.ok)
      expect(formatVia(via.value)).toBe(
        'SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;ttl=3;received=192.0.2.9;rport=4000',
      );
    expect(parseVia('SIP/2.0/UDP host;received=not-an-ip').ok).toBe(false);
  });

  it('splits comma lists outside quotes and angle brackets', () => {
    expect(splitCommaList('"a, b" <sip:x@y;p=1,2>, <sip:z@w>')).toEqual([
      '"a, b" <sip:x@y;p=1,2>',
      '<sip:z@w>',
    ]);
    expect(splitCommaList('"unterminated, x')).toBeUndefined();
  });
});
