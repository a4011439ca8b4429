/**
 * Reading and writing the Call-Info that negotiates Cisco `dtmf-relay sip-notify`.
 */
import { describe, expect, it } from 'vitest';
import {
  negotiatedDuration,
  notifyRelayHeader,
  readNotifyRelay,
  relaysByNotify,
} from '../../../../src/adapters/sip-trunk/calls/notify-relay.js';
import { type NameAddr, parseMessage, type SipMessage } from '../../../../src/sip/index.js';

function responseWith(...callInfo: string[]): SipMessage {
  const text = [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
    'From: <sip:201@192.0.2.1>;tag=a',
    'To: <sip:5125551234@192.0.2.2>;tag=b',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...callInfo.map((value) => `Call-Info: ${value}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok) throw new Error('test message does not parse');
  return parsed.value;
}

const cisco = (method: string) => `<sip:192.0.2.2:5060>;method="${method}"`;

describe('readNotifyRelay', () => {
  it('reads what IOS writes, in any case, with its Duration', () => {
    expect(readNotifyRelay(responseWith(cisco('NOTIFY;Event=telephone-event;Duration=700')))).toEqual({
      maxDurationMs: 700,
    });
    expect(readNotifyRelay(responseWith(cisco('Notify;Event=Telephone-Event;Duration=1500')))).toEqual({
      maxDurationMs: 1500,
    });
  });

  it('takes the default 2000 ms without a usable Duration, and bounds the one given', () => {
    expect(readNotifyRelay(responseWith(cisco('NOTIFY;Event=telephone-event')))).toEqual({
      maxDurationMs: 2000,
    });
    expect(readNotifyRelay(responseWith(cisco('NOTIFY;Event=telephone-event;Duration=x')))).toEqual({
      maxDurationMs: 2000,
    });
    expect(readNotifyRelay(responseWith(cisco('NOTIFY;Event=telephone-event;Duration=5')))).toEqual({
      maxDurationMs: 100,
    });
    expect(readNotifyRelay(responseWith(cisco('NOTIFY;Event=telephone-event;Duration=999999')))).toEqual({
      maxDurationMs: 0xffff,
    });
  });

  it('finds the NOTIFY entry among others of the same header', () => {
    const message = responseWith(
      '<http://192.0.2.2/photo.png>;purpose=icon',
      `<http://192.0.2.2/card>;purpose=card, ${cisco('NOTIFY;Event=telephone-event;Duration=900')}`,
    );
    expect(readNotifyRelay(message)).toEqual({ maxDurationMs: 900 });
  });

  it('reads nothing from other methods, other events, malformed or oversized entries', () => {
    for (const value of [
      cisco('INFO;Event=telephone-event'),
      cisco('NOTIFY;Event=dialog'),
      cisco('NOTIFY'),
      '<sip:192.0.2.2;method="NOTIFY;Event=telephone-event"',
      'sip:192.0.2.2;method="NOTIFY;Event=telephone-event"',
      '<sip:192.0.2.2>;method=NOTIFY',
      `<sip:${'a'.repeat(600)}.test>;method="NOTIFY;Event=telephone-event"`,
    ])
      expect(readNotifyRelay(responseWith(value)), value.slice(0, 60)).toBeUndefined();
    expect(readNotifyRelay(responseWith())).toBeUndefined();
  });

  it('looks at the first eight entries only', () => {
    const icons = Array.from({ length: 8 }, () => '<http://192.0.2.2/i.png>;purpose=icon');
    expect(readNotifyRelay(responseWith(...icons, cisco('NOTIFY;Event=telephone-event')))).toBeUndefined();
    expect(readNotifyRelay(responseWith(...icons.slice(1), cisco('NOTIFY;Event=telephone-event')))).toEqual({
      maxDurationMs: 2000,
    });
  });
});

describe('negotiation and our announcement', () => {
  it('uses the lower of the two max-durations', () => {
    expect(negotiatedDuration(undefined)).toBe(2000);
    expect(negotiatedDuration({ maxDurationMs: 700 })).toBe(700);
    expect(negotiatedDuration({ maxDurationMs: 3000 })).toBe(2000);
  });

  it('announces from the Contact’s host, port and transport, without its user', () => {
    const contact: NameAddr = {
      uri: {
        scheme: 'sip',
        user: '5123781291',
        host: '[2001:db8::1]',
        port: 5062,
        params: { transport: 'tcp' },
        headers: {},
      },
      params: {},
    };
    expect(notifyRelayHeader(contact, 700)).toEqual([
      'Call-Info',
      '<sip:[2001:db8::1]:5062;transport=tcp>;method="NOTIFY;Event=telephone-event;Duration=700"',
    ]);
  });

  it('knows a sip-notify trunk by its configured dtmfRelay', () => {
    expect(relaysByNotify({ dtmfRelay: 'sip-notify' })).toBe(true);
    expect(relaysByNotify({ dtmfRelay: 'rtp-nte' })).toBe(false);
    expect(relaysByNotify({})).toBe(false);
  });
});
