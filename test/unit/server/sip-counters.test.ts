import { describe, expect, it } from 'vitest';
import { SipMessageCounters } from '../../../src/server/sip-counters.js';
import { parseMessage, type SipMessage } from '../../../src/sip/index.js';

function message(startLine: string, method: string): SipMessage {
  const text = [
    startLine,
    'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKcount',
    'From: <sip:a@127.0.0.1>;tag=a',
    'To: <sip:b@127.0.0.1>',
    'Call-ID: count-1',
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text, 'latin1'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe('SIP message counters', () => {
  it('counts requests by direction and method, responses by the method they answer and status', () => {
    const counters = new SipMessageCounters();
    counters.count('in', message('REGISTER sip:127.0.0.1 SIP/2.0', 'REGISTER'));
    counters.count('in', message('REGISTER sip:127.0.0.1 SIP/2.0', 'REGISTER'));
    counters.count('out', message('SIP/2.0 401 Unauthorized', 'REGISTER'));
    expect(counters.stats()).toEqual({
      requests: [{ direction: 'in', method: 'REGISTER', count: 2 }],
      responses: [{ direction: 'out', method: 'REGISTER', status: 401, count: 1 }],
    });
  });

  it('counts methods it does not know as other, so a peer cannot grow the table', () => {
    const counters = new SipMessageCounters();
    counters.count('in', message('XYZZY sip:127.0.0.1 SIP/2.0', 'XYZZY'));
    counters.count('in', message('PLUGH sip:127.0.0.1 SIP/2.0', 'PLUGH'));
    expect(counters.stats().requests).toEqual([{ direction: 'in', method: 'other', count: 2 }]);
  });
});
