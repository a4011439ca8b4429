/**
 * RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests): every message of both corpora
 * with the RFC's verdict. Valid messages must parse with the right values; invalid ones must be
 * rejected for the reason the RFC gives, and the reaction must be right: a stateless 400 (the
 * failure carries the header fields with a readable Via) or a silent drop (responses, or nothing
 * left to answer). Messages that parse but must not be served are checked with
 * `checkRequestSemantics`, the check a UAS runs before processing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseSdp } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import {
  checkRequestSemantics,
  createResponseFromHeaders,
  getRoutes,
  parseContacts,
  parseMessage,
  parseViaList,
  type SemanticsOptions,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '../../../../src/sip/message/index.js';
import { testdataPath } from '../../../helpers/testdata.js';

const RFC4475 = testdataPath('sip-torture-rfc4475');
const RFC5118 = testdataPath('sip-torture-rfc5118');

type Verdict =
  | {
      /** Parses; `check` asserts the values the RFC discusses. */
      valid: (message: SipMessage, bytes: Buffer) => void;
      /** Expected answer of checkRequestSemantics (undefined: the request may be processed). */
      semantics?: { status: number; reason?: string; headers?: [string, string][] } | undefined;
      semanticsOptions?: SemanticsOptions;
    }
  | {
      /** Rejected by the parser with this rule (and header). */
      invalid: { rule: string; header?: string };
      reaction: '400' | 'drop';
    };

interface Case {
  file: string;
  section: string;
  verdict: Verdict;
}

function request(message: SipMessage): SipRequest {
  expect(message.kind).toBe('request');
  return message as SipRequest;
}

function response(message: SipMessage): SipResponse {
  expect(message.kind).toBe('response');
  return message as SipResponse;
}

function contacts(message: SipMessage) {
  const parsed = parseContacts(message);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value.map((c) => {
    if (c === '*') throw new Error('unexpected *');
    return c;
  });
}

const rfc4475: Case[] = [
  // §3.1.1 Valid messages
  {
    file: 'wsinv.dat',
    section: '3.1.1.1',
    verdict: {
      valid: (m) => {
        const r = request(m);
        expect(r.method).toBe('INVITE');
        expect(r.uri).toMatchObject({
          user: 'vivekg',
          host: 'chair-dnrc.example.com',
          params: { unknownparam: null },
        });
        expect(r.to.uri.user).toBe('vivekg');
        expect(r.to.params.tag).toBe('1918181833n');
        expect(r.from.displayName).toBe('J Rosenberg \\"');
        expect(r.from.params.tag).toBe('98asjd8');
        expect(r.headers.get('Max-Forwards')).toBe('0068');
        expect(r.cseq).toEqual({ seq: 9, method: 'INVITE' });
        expect(r.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
          ['UDP', '192.0.2.2', '390skdjuw'],
          ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
          ['UDP', '192.168.255.111', 'z9hG4bK30239'],
        ]);
        expect(r.via[0]!.protocol).toBe('SIP/2.0');
        expect(r.headers.get('Subject')).toBe('');
        expect(r.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
        expect(r.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
        const [contact] = contacts(r);
        expect(contact!.displayName).toBe('Quoted string ""');
        expect(contact!.params).toEqual({ newparam: 'newvalue', secondparam: null, q: '0.33' });
        const routes = getRoutes(r, 'route');
        expect(routes.ok && routes.value[0]!.uri.params).toEqual({
          lr: null,
          unknownwith: 'value',
          'unknown-no-value': null,
        });
        expect(r.body.length).toBe(150);
      },
      semantics: undefined,
    },
  },
  {
    file: 'intmeth.dat',
    section: '3.1.1.2',
    verdict: {
      valid: (m) => {
        const r = request(m);
        expect(r.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
        expect(r.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        expect(r.uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
        expect(r.uri.host).toBe('example.com');
        expect(r.via[0]!.branch).toBe("z9hG4bK-.!%66*_+`'~");
        expect(r.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
        expect(r.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
        expect(r.from.params["fromparam''~+*_!.-%"]).toBe('"работающий"');
        expect(r.from.params.tag).toBe("_token~1'+`*%!-.");
        expect(r.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
        expect(r.cseq.seq).toBe(139122385);
        expect(r.headers.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
      },
    },
  },
  {
    file: 'esc01.dat',
    section: '3.1.1.3',
    verdict: {
      valid: (m) => {
        const r = request(m);
        expect(r.uri.user).toBe('sips:user@example.com');
        expect(r.uri.host).toBe('example.net');
        expect(r.to.uri.user).toBe('user');
        expect(r.from.uri.user).toBe('I have spaces');
        const [contact] = contacts(r);
        expect(contact!.uri.user).toBe('caller');
        expect(contact!.uri.params).toEqual({ lr: null, name: 'value%41' });
      },
      semantics: undefined,
    },
  },
  {
    file: 'escnull.dat',
    section: '3.1.1.4',
    verdict: {
      valid: (m) => {
        expect(m.to.uri.user).toBe('null-\x00-null');
        expect(contacts(m).map((c) => c.uri.user)).toEqual(['\x00', '\x00\x00']);
      },
      semantics: undefined,
    },
  },
  {
    file: 'esc02.dat',
    section: '3.1.1.5',
    verdict: {
      valid: (m) => {
        const r = request(m);
        expect(r.method).toBe('RE%47IST%45R');
        expect(r.method).not.toBe('REGISTER');
        expect(r.from.displayName).toBe('%Z%45');
        expect(contacts(r).map((c) => c.uri.host)).toEqual(['host1.example.com', 'host3.example.com']);
        expect(r.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
      },
    },
  },
  {
    file: 'lwsdisp.dat',
    section: '3.1.1.6',
    verdict: {
      valid: (m) => {
        expect(m.from.displayName).toBe('caller');
        expect(m.from.uri.user).toBe('caller');
      },
      semantics: undefined,
    },
  },
  {
    file: 'longreq.dat',
    section: '3.1.1.7',
    verdict: {
      valid: (m, bytes) => {
        expect(bytes.length).toBeGreaterThan(3000);
        expect(m.via).toHaveLength(34);
        expect(m.via[0]!.host).toBe('sip33.example.com');
        expect(m.via[33]!.received).toBe('192.0.2.5');
        expect(m.via[33]!.branch).toMatch(/^verylong(long)+branchvalue$/);
        expect(m.to.displayName).toMatch(/^I have a user name of (extreme){10} proportion$/);
        expect(m.to.uri.port).toBe(6000);
        expect(m.to.uri.params.unknownparam1).toMatch(/^verylong(long)+value$/);
        expect(m.to.uri.params[`longparam${'name'.repeat(25)}`]).toBe('shortvalue');
        expect(m.to.uri.params[`verylong${'long'.repeat(24)}parameternamewithnovalue`]).toBeNull();
        expect(m.from.params.tag).toMatch(/^(1298)+/);
        expect(m.callId).toMatch(/^longreq\.one(really)+longcallid$/);
        expect(m.body.length).toBe(150);
      },
      semantics: undefined,
    },
  },
  {
    file: 'dblreq.dat',
    section: '3.1.1.8',
    verdict: {
      valid: (m, bytes) => {
        const r = request(m);
        expect(r.method).toBe('REGISTER');
        expect(r.callId).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
        expect(r.body.length).toBe(0);
        // The trailing INVITE is discarded (RFC 3261 §18.3): it is not written back either.
        const wire = serializeMessage(r).toString('latin1');
        expect(wire.length).toBeLessThan(bytes.length);
        expect(wire).not.toContain('INVITE');
      },
      semantics: undefined,
    },
  },
  {
    file: 'semiuri.dat',
    section: '3.1.1.9',
    verdict: {
      valid: (m) => {
        const r = request(m);
        expect(r.uri.user).toBe('user;par=u@example.net');
        expect(r.uri.host).toBe('example.com');
        expect(r.uri.params).toEqual({});
        expect(r.headers.getAll('Accept')).toHaveLength(6);
      },
      semantics: undefined,
    },
  },
  {
    file: 'transports.dat',
    section: '3.1.1.10',
    verdict: {
      valid: (m) => expect(m.via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']),
      semantics: undefined,
    },
  },
  {
    file: 'mpart01.dat',
    section: '3.1.1.11',
    verdict: {
      valid: (m, bytes) => {
        expect(m.body.length).toBe(553);
        expect(m.body.equals(bytes.subarray(bytes.length - 553))).toBe(true);
        expect(m.headers.get('Content-Type')).toBe('multipart/mixed;boundary=7a9cbec02ceef655');
        expect(m.via[0]!.rport).toBe(true);
      },
      semantics: undefined,
      semanticsOptions: { contentTypes: ['multipart/mixed'] },
    },
  },
  {
    file: 'unreason.dat',
    section: '3.1.1.12',
    verdict: {
      valid: (m) => {
        const r = response(m);
        expect(r.status).toBe(200);
        expect(r.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
      },
    },
  },
  {
    file: 'noreason.dat',
    section: '3.1.1.13',
    verdict: {
      valid: (m) => {
        const r = response(m);
        expect(r.status).toBe(100);
        expect(r.reason).toBe('');
      },
    },
  },
  // §3.1.2 Invalid messages
  {
    file: 'badinv01.dat',
    section: '3.1.2.1',
    verdict: { invalid: { rule: 'Via', header: 'via' }, reaction: '400' },
  },
  {
    file: 'clerr.dat',
    section: '3.1.2.2',
    verdict: { invalid: { rule: 'Content-Length', header: 'content-length' }, reaction: '400' },
  },
  {
    file: 'ncl.dat',
    section: '3.1.2.3',
    verdict: { invalid: { rule: 'Content-Length', header: 'content-length' }, reaction: '400' },
  },
  {
    file: 'scalar02.dat',
    section: '3.1.2.4',
    verdict: { invalid: { rule: 'CSeq', header: 'cseq' }, reaction: '400' },
  },
  // A response cannot be answered: it is dropped.
  {
    file: 'scalarlg.dat',
    section: '3.1.2.5',
    verdict: { invalid: { rule: 'CSeq', header: 'cseq' }, reaction: 'drop' },
  },
  {
    file: 'quotbal.dat',
    section: '3.1.2.6',
    verdict: { invalid: { rule: 'display-name', header: 'to' }, reaction: '400' },
  },
  {
    file: 'ltgtruri.dat',
    section: '3.1.2.7',
    verdict: { invalid: { rule: 'Request-URI' }, reaction: '400' },
  },
  {
    file: 'lwsruri.dat',
    section: '3.1.2.8',
    verdict: { invalid: { rule: 'Request-Line' }, reaction: '400' },
  },
  {
    file: 'lwsstart.dat',
    section: '3.1.2.9',
    verdict: { invalid: { rule: 'Request-Line' }, reaction: '400' },
  },
  { file: 'trws.dat', section: '3.1.2.10', verdict: { invalid: { rule: 'Request-Line' }, reaction: '400' } },
  {
    file: 'escruri.dat',
    section: '3.1.2.11',
    verdict: { invalid: { rule: 'Request-URI' }, reaction: '400' },
  },
  {
    // The Date grammar is not needed to route the request, so the parser accepts it and the
    // UAS check answers 400 (RFC 3261 §20.17: SIP-date is always GMT).
    file: 'baddate.dat',
    section: '3.1.2.12',
    verdict: {
      valid: (m) => expect(m.headers.get('Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST'),
      semantics: { status: 400, reason: 'Bad Date' },
    },
  },
  {
    // Contact is parsed on demand; the REGISTER-level check answers 400.
    file: 'regbadct.dat',
    section: '3.1.2.13',
    verdict: {
      valid: (m) => {
        const parsed = parseContacts(m);
        expect(parsed.ok).toBe(false);
        expect(!parsed.ok && parsed.error.rule).toBe('addr-spec');
      },
      semantics: { status: 400, reason: 'Bad Contact' },
    },
  },
  {
    file: 'badaspec.dat',
    section: '3.1.2.14',
    verdict: { invalid: { rule: 'name-addr', header: 'to' }, reaction: '400' },
  },
  {
    // The file has no empty line after the headers; a datagram ends there anyway.
    file: 'baddn.dat',
    section: '3.1.2.15',
    verdict: { invalid: { rule: 'display-name', header: 'from' }, reaction: '400' },
  },
  {
    file: 'badvers.dat',
    section: '3.1.2.16',
    verdict: {
      valid: (m) => expect(m.version).toBe('SIP/7.0'),
      semantics: { status: 505, reason: 'Version Not Supported' },
    },
  },
  {
    file: 'mismatch01.dat',
    section: '3.1.2.17',
    verdict: { invalid: { rule: 'CSeq', header: 'cseq' }, reaction: '400' },
  },
  {
    file: 'mismatch02.dat',
    section: '3.1.2.18',
    verdict: { invalid: { rule: 'CSeq', header: 'cseq' }, reaction: '400' },
  },
  {
    file: 'bigcode.dat',
    section: '3.1.2.19',
    verdict: { invalid: { rule: 'Status-Code' }, reaction: 'drop' },
  },
  // §3.2 Transaction layer: the branch is only the cookie, so RFC 2543 matching applies.
  {
    file: 'badbranch.dat',
    section: '3.2.1',
    verdict: { valid: (m) => expect(m.via[0]!.branch).toBe('z9hG4bK'), semantics: undefined },
  },
  // §3.3 Application layer
  {
    file: 'insuf.dat',
    section: '3.3.1',
    verdict: { invalid: { rule: 'missing-header', header: 'from' }, reaction: '400' },
  },
  {
    file: 'unkscm.dat',
    section: '3.3.2',
    verdict: {
      valid: (m) =>
        expect(request(m).uri).toMatchObject({
          scheme: 'nobodyknowsthisscheme',
          opaque: 'totallyopaquecontent',
        }),
      semantics: { status: 416, reason: 'Unsupported URI Scheme' },
    },
  },
  {
    file: 'novelsc.dat',
    section: '3.3.3',
    verdict: {
      valid: (m) =>
        expect(request(m).uri).toMatchObject({ scheme: 'soap.beep', opaque: '//192.0.2.103:3002' }),
      semantics: { status: 416 },
    },
  },
  {
    file: 'unksm2.dat',
    section: '3.3.4',
    verdict: {
      valid: (m) => {
        expect(m.to.uri).toMatchObject({ scheme: 'isbn', opaque: '2983792873' });
        expect(m.from.uri).toMatchObject({ scheme: 'http', opaque: '//www.example.com' });
        expect(contacts(m)[0]!.uri).toMatchObject({ scheme: 'name', opaque: 'John_Smith' });
      },
      semantics: undefined,
    },
  },
  {
    file: 'bext01.dat',
    section: '3.3.5',
    verdict: {
      valid: () => {},
      semantics: {
        status: 420,
        headers: [['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']],
      },
    },
  },
  {
    file: 'invut.dat',
    section: '3.3.6',
    verdict: { valid: () => {}, semantics: { status: 415, headers: [['Accept', 'application/sdp']] } },
  },
  {
    // Authentication is the registrar's business (it challenges); the message layer keeps the header.
    file: 'regaut01.dat',
    section: '3.3.7',
    verdict: {
      valid: (m) => expect(m.headers.get('Authorization')).toBe('NoOneKnowsThisScheme opaque-data=here'),
      semantics: undefined,
    },
  },
  {
    file: 'multi01.dat',
    section: '3.3.8',
    verdict: { invalid: { rule: 'CSeq', header: 'cseq' }, reaction: '400' },
  },
  {
    file: 'mcl01.dat',
    section: '3.3.9',
    verdict: { invalid: { rule: 'Content-Length', header: 'content-length' }, reaction: '400' },
  },
  {
    file: 'bcast.dat',
    section: '3.3.10',
    verdict: { valid: (m) => expect(response(m).via[1]!.host).toBe('255.255.255.255') },
  },
  {
    file: 'zeromf.dat',
    section: '3.3.11',
    verdict: { valid: (m) => expect(m.headers.get('Max-Forwards')).toBe('0'), semantics: undefined },
  },
  {
    file: 'cparam01.dat',
    section: '3.3.12',
    verdict: {
      valid: (m) => {
        const [contact] = contacts(m);
        expect(contact!.params).toEqual({ unknownparam: null });
        expect(contact!.uri.params).toEqual({});
        expect(contact!.uri.user).toBe('+19725552222');
      },
      semantics: undefined,
    },
  },
  {
    file: 'cparam02.dat',
    section: '3.3.13',
    verdict: {
      valid: (m) => {
        const [contact] = contacts(m);
        expect(contact!.params).toEqual({});
        expect(contact!.uri.params).toEqual({ unknownparam: null });
      },
      semantics: undefined,
    },
  },
  {
    file: 'regescrt.dat',
    section: '3.3.14',
    verdict: {
      valid: (m) => expect(contacts(m)[0]!.uri.headers).toEqual({ Route: '<sip:sip.example.com>' }),
      semantics: undefined,
    },
  },
  { file: 'sdp01.dat', section: '3.3.15', verdict: { valid: () => {}, semantics: { status: 406 } } },
  // §3.4 Backward compatibility
  {
    file: 'inv2543.dat',
    section: '3.4.1',
    verdict: {
      valid: (m, bytes) => {
        expect(m.via[0]!.branch).toBeUndefined();
        expect(m.headers.has('Max-Forwards')).toBe(false);
        expect(m.from.params.tag).toBeUndefined();
        // No Content-Length on a datagram: the body is the rest of it.
        expect(m.body.toString('latin1')).toBe(bytes.toString('latin1').split('\r\n\r\n')[1]);
      },
      semantics: undefined,
    },
  },
  // In the RFC's archive but in no section: no SIP-Version and a header line without colon.
  // Nothing can be answered (no header fields), so it is dropped.
  {
    file: 'test.dat',
    section: 'archive',
    verdict: { invalid: { rule: 'message-header' }, reaction: 'drop' },
  },
];

const rfc5118: Case[] = [
  {
    file: 'ipv6-good',
    section: '4.1',
    verdict: {
      valid: (m) => {
        expect(request(m).uri.host).toBe('[2001:db8::10]');
        expect(m.via[0]!.host).toBe('[2001:db8::9:1]');
        expect(contacts(m)[0]!.uri.host).toBe('[2001:db8::1]');
      },
      semantics: undefined,
    },
  },
  { file: 'ipv6-bad', section: '4.2', verdict: { invalid: { rule: 'Request-URI' }, reaction: '400' } },
  {
    file: 'port-ambiguous',
    section: '4.3',
    verdict: {
      valid: (m) => {
        expect(request(m).uri.host).toBe('[2001:db8::10:5070]');
        expect(request(m).uri.port).toBeUndefined();
      },
    },
  },
  {
    file: 'port-unambiguous',
    section: '4.3',
    verdict: {
      valid: (m) => expect(request(m).uri).toMatchObject({ host: '[2001:db8::10]', port: 5070 }),
    },
  },
  {
    file: 'via-received-param-with-delim',
    section: '4.5',
    verdict: { valid: (m) => expect(m.via[0]!.received).toBe('2001:db8::9:255'), semantics: undefined },
  },
  {
    file: 'via-received-param-no-delim',
    section: '4.5',
    verdict: { valid: (m) => expect(m.via[0]!.received).toBe('2001:db8::9:255'), semantics: undefined },
  },
  {
    file: 'ipv6-in-sdp',
    section: '4.6',
    verdict: {
      valid: (m) => {
        expect(m.body.length).toBe(241);
        expect(parseSdp(m.body.toString()).connection?.ip).toBe('2001:db8::20');
      },
      semantics: undefined,
    },
  },
  {
    file: 'mult-ip-in-header',
    section: '4.7',
    verdict: {
      valid: (m) => {
        expect(m.via.map((v) => [v.host, v.port, v.received])).toEqual([
          ['[2001:db8::9:1]', 6050, undefined],
          ['192.0.2.1', undefined, undefined],
          ['[2001:db8::9:255]', undefined, '192.0.2.200'],
        ]);
      },
      semantics: undefined,
    },
  },
  {
    file: 'mult-ip-in-sdp',
    section: '4.8',
    verdict: {
      valid: (m) => {
        const sdp = parseSdp(m.body.toString());
        expect(sdp.media.map((media) => media.connection?.ip)).toEqual(['192.0.2.1', '2001:db8::1']);
      },
      semantics: undefined,
    },
  },
  {
    file: 'ipv4-mapped-ipv6',
    section: '4.9',
    verdict: {
      valid: (m) => {
        expect(m.via[0]).toMatchObject({ host: '[::ffff:192.0.2.10]', port: 19823 });
        expect(contacts(m)[0]!.uri.host).toBe('[::ffff:192.0.2.2]');
      },
      semantics: undefined,
    },
  },
  {
    // Three colons are not an IPv6 address (the RFC 3261 ABNF bug); rejecting is the robust answer.
    file: 'ipv6-bug-abnf-3-colons',
    section: '4.10',
    verdict: { invalid: { rule: 'Request-URI' }, reaction: '400' },
  },
  {
    file: 'ipv6-correct-abnf-2-colons',
    section: '4.10',
    verdict: {
      valid: (m) => {
        expect(request(m).uri.host).toBe('[2001:db8::192.0.2.1]');
        expect(m.to.uri.host).toBe('[2001:db8::192.0.2.1]');
      },
      semantics: undefined,
    },
  },
];

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f !== 'README.md' && f !== 'SHA256SUMS')
    .sort();
}

function runCases(dir: string, cases: Case[]): void {
  it('covers every file of the corpus, and the files are the original bytes', () => {
    expect(cases.map((c) => c.file).sort()).toEqual(fixtureFiles(dir));
    for (const line of readFileSync(join(dir, 'SHA256SUMS'), 'latin1').trim().split('\n')) {
      const [hash, name] = line.split(/\s+/);
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, name!)))
          .digest('hex'),
        name,
      ).toBe(hash);
    }
  });

  for (const { file, section, verdict } of cases) {
    it(`§${section} ${file}: ${'valid' in verdict ? 'parses' : `rejected (${verdict.invalid.rule}), ${verdict.reaction}`}`, () => {
      const bytes = readFileSync(join(dir, file));
      const parsed = parseMessage(bytes);
      if ('valid' in verdict) {
        if (!parsed.ok) throw new Error(`${file}: ${parsed.error.rule}: ${parsed.error.message}`);
        verdict.valid(parsed.value, bytes);
        assertRoundTrip(parsed.value);
        if ('semantics' in verdict) {
          const answer = checkRequestSemantics(request(parsed.value), verdict.semanticsOptions);
          if (verdict.semantics === undefined) expect(answer).toBeUndefined();
          else expect(answer).toMatchObject(verdict.semantics);
        }
        return;
      }
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error).toMatchObject(verdict.invalid);
      if (verdict.reaction === 'drop') {
        expect(parsed.error.isRequest === true && parsed.error.headers !== undefined).toBe(false);
        return;
      }
      expect(parsed.error.isRequest).toBe(true);
      const headers = parsed.error.headers!;
      const vias = headers.getAll('Via');
      expect(vias.length).toBeGreaterThan(0);
      const answer = createResponseFromHeaders(headers, 400);
      expect(answer.status).toBe(400);
      expect(answer.headers.getAll('Via')).toEqual(vias);
      // A readable top Via is where the 400 goes (RFC 3261 §18.2.2).
      const top = parseViaList(answer.headers.get('Via')!);
      if (file !== 'badinv01.dat') expect(top.ok).toBe(true);
      expect(serializeMessage(answer).toString('latin1')).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    });
  }
}

/** Unchanged, the message is written back as received; changed, it re-parses to the same values. */
function assertRoundTrip(message: SipMessage): void {
  const wire = serializeMessage(message);
  const again = parseMessage(wire);
  if (!again.ok) throw new Error(`round trip: ${again.error.message}`);
  expect(again.value.via).toEqual(message.via);
  expect(again.value.from).toEqual(message.from);
  expect(again.value.to).toEqual(message.to);
  expect(again.value.cseq).toEqual(message.cseq);
  expect(again.value.body.equals(message.body)).toBe(true);
  message.headers.append('X-Touched', 'yes');
  const rewritten = parseMessage(serializeMessage(message));
  if (!rewritten.ok) throw new Error(`rewritten: ${rewritten.error.message}`);
  expect(rewritten.value.headers.get('X-Touched')).toBe('yes');
  expect(rewritten.value.via).toEqual(message.via);
  expect(rewritten.value.body.equals(message.body)).toBe(true);
  if (message.kind === 'request' && rewritten.value.kind === 'request') {
    expect(rewritten.value.uri).toEqual(message.uri);
  }
}

describe('RFC 4475 SIP torture test messages', () => runCases(RFC4475, rfc4475));
describe('RFC 5118 IPv6 torture test messages', () => runCases(RFC5118, rfc5118));

describe('RFC 4475 proxy-role verdicts', () => {
  const load = (file: string): SipRequest => {
    const parsed = parseMessage(readFileSync(join(RFC4475, file)));
    if (!parsed.ok) throw new Error(parsed.error.message);
    return request(parsed.value);
  };
  it('§3.3.5 bext01: a proxy rejects the Proxy-Require tags with 420', () => {
    expect(checkRequestSemantics(load('bext01.dat'), { role: 'proxy' })).toMatchObject({
      status: 420,
      headers: [['Unsupported', 'noProxiesSupportThis, norDoAnyProxiesSupportThis']],
    });
  });
  it('§3.3.11 zeromf: a proxy answers Max-Forwards 0 with 483', () => {
    expect(checkRequestSemantics(load('zeromf.dat'), { role: 'proxy' })?.status).toBe(483);
  });
  it('§3.3.6 invut: a UAS that understands the type accepts it', () => {
    expect(
      checkRequestSemantics(load('invut.dat'), { contentTypes: ['application/unknownformat'] }),
    ).toBeUndefined();
  });
});
