/**
 * SIP message parsing throughput: Strowger's parser against the npm `sip` package and sip.js
 * 0.21, measured in the same run on the same messages (a typical INVITE with SDP and a 200 OK).
 *
 * Fairness: every parser produces its parsed message from the bytes. `sip` is given the Buffer
 * (it converts to a string itself), sip.js a string (its transports hand it strings).
 * Strowger's "lazy" row splits the header fields and validates the start line, the Request-URI,
 * every Via, From, To, Call-ID, CSeq, Max-Forwards and Content-Length, which is all the RFC 4475
 * verdicts need; while validating it builds the first Via field, From, To, Call-ID and CSeq (the
 * views every server reads), while the Request-URI and later Vias are built on first read and
 * other header values sliced out only when read. The "typed" row also reads every view and
 * parses Contact and Record-Route, which the peers parse eagerly.
 *
 * Run: npx tsx bench/sip-parse.bench.ts
 */
import sip from 'sip';
import { LoggerFactory, Parser } from 'sip.js/lib/core/index.js';
import { getRoutes, parseContacts, parseMessage } from '../src/sip/message/index.js';
import { compareThroughput, lastResult, printTable } from './lib/measure.js';

const INVITE = [
  'INVITE sip:2001@pbx.example.com;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---4d6f3a2b1c0e9f8a;rport',
  'Via: SIP/2.0/TCP 203.0.113.9:5060;branch=z9hG4bKnashds8',
  'Max-Forwards: 68',
  'Record-Route: <sip:203.0.113.9;lr>, <sip:198.51.100.7;lr;ftag=8f2a>',
  'Contact: "Alice" <sip:1001@192.0.2.10:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-00aabbccddee>"',
  'To: <sip:2001@pbx.example.com>',
  'From: "Alice Example" <sip:1001@pbx.example.com>;tag=2c3d4e5f',
  'Call-ID: 5f9c2a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60@192.0.2.10',
  'CSeq: 102 INVITE',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE, UPDATE',
  'Supported: replaces, timer, 100rel',
  'User-Agent: Example Phone 4.2.1',
  'Session-Expires: 1800;refresher=uac',
  'Content-Type: application/sdp',
  'Content-Length: 256',
  '',
  '',
].join('\r\n');
const SDP = [
  'v=0',
  'o=- 3912345678 3912345678 IN IP4 192.0.2.10',
  's=Example',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 16384 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---4d6f3a2b1c0e9f8a;rport=5060;received=192.0.2.10',
  'Record-Route: <sip:203.0.113.9;lr>',
  'Contact: <sip:2001@192.0.2.20:5060;transport=udp>',
  'To: <sip:2001@pbx.example.com>;tag=9a8b7c6d',
  'From: "Alice Example" <sip:1001@pbx.example.com>;tag=2c3d4e5f',
  'Call-ID: 5f9c2a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60@192.0.2.10',
  'CSeq: 102 INVITE',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS',
  'Supported: replaces, timer',
  'Server: Example PBX',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const inviteText = INVITE.replace('Content-Length: 256', `Content-Length: ${Buffer.byteLength(SDP)}`) + SDP;
const messages = [
  { name: 'INVITE', bytes: Buffer.from(inviteText, 'latin1') },
  { name: '200 OK', bytes: Buffer.from(OK, 'latin1') },
];

const logger = new LoggerFactory().getLogger('bench');

function ours(bytes: Buffer): unknown {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function oursTyped(bytes: Buffer): unknown {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const m = parsed.value;
  return [m.via, m.from, m.to, m.callId, m.cseq, parseContacts(m), getRoutes(m, 'record-route')];
}

function npmSip(bytes: Buffer): unknown {
  const parsed = sip.parse(bytes);
  if (parsed === undefined) throw new Error('sip failed');
  return parsed;
}

function sipJs(text: string): unknown {
  const parsed = Parser.parseMessage(text, logger);
  if (parsed === undefined) throw new Error('sip.js failed');
  return parsed;
}

console.log(
  `node ${process.version}; INVITE ${messages[0]!.bytes.length} bytes, 200 OK ${messages[1]!.bytes.length} bytes`,
);
const rows: Array<Array<string | number>> = [];
const ratios: string[] = [];
for (const { name, bytes } of messages) {
  const text = bytes.toString('latin1');
  const measured = compareThroughput({
    'strowger (lazy)': () => ours(bytes),
    'strowger (typed)': () => oursTyped(bytes),
    'sip 0.0.6': () => npmSip(bytes),
    'sip.js 0.21': () => sipJs(text),
  });
  const results = Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, v.median])) as Record<
    'strowger (lazy)' | 'strowger (typed)' | 'sip 0.0.6' | 'sip.js 0.21',
    number
  >;
  const fastestPeer = Math.max(results['sip 0.0.6'], results['sip.js 0.21']);
  for (const [parser, perSecond] of Object.entries(results)) {
    rows.push([name, parser, perSecond, `${(perSecond / fastestPeer).toFixed(2)}x`]);
  }
  ratios.push(
    `${name}: lazy ${(results['strowger (lazy)'] / fastestPeer).toFixed(2)}x, typed ${(results['strowger (typed)'] / fastestPeer).toFixed(2)}x the fastest peer`,
  );
}
printTable(['message', 'parser', 'msgs/s (median)', 'vs fastest peer'], rows);
for (const line of ratios) console.log(line);
void lastResult();
