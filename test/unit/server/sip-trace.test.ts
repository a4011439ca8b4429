import { describe, expect, it } from 'vitest';
import { SipTrace, type TraceEntry } from '../../../src/server/sip-trace.js';
import { type Endpoint, parseMessage } from '../../../src/sip/index.js';

function message(from: string, to: string): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:${to}@127.0.0.1 SIP/2.0`,
      'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKtrace',
      `From: <sip:${from}@127.0.0.1>;tag=a`,
      `To: <sip:${to}@127.0.0.1>`,
      'Call-ID: trace-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** Plays messages into the trace the way the transport observer does. */
function play(trace: SipTrace, bytes: Buffer, remote: Endpoint): void {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) throw new Error(parsed.error.message);
  trace.deliver('in', parsed.value, bytes, remote);
}

const phone = { protocol: 'UDP' as const, address: '192.0.2.10', port: 5062 };
const other = { protocol: 'UDP' as const, address: '192.0.2.20', port: 5062 };

describe('SIP message trace', () => {
  const devices = {
    device: (name: string) =>
      name === 'SEP0008A37128E9'
        ? { addresses: new Set(['192.0.2.10:5062']), numbers: new Set(['201']) }
        : undefined,
  };

  it('counts its watchers and stops delivering to one that unsubscribed', () => {
    const trace = new SipTrace(devices, () => 42);
    const seen: TraceEntry[] = [];
    const stop = trace.subscribe({}, (entry) => seen.push(entry));
    expect(trace.watching).toBe(1);
    stop();
    expect(trace.watching).toBe(0);
    play(trace, message('300', '301'), other);
    expect(seen).toEqual([]);
  });

  it('passes every message to an unfiltered subscriber, with its wire text', () => {
    const trace = new SipTrace(devices, () => 42);
    const seen: TraceEntry[] = [];
    trace.subscribe({}, (entry) => seen.push(entry));
    const bytes = message('300', '301');
    play(trace, bytes, other);
    expect(seen).toEqual([{ at: 42, direction: 'in', remote: other, text: bytes.toString('latin1') }]);
  });

  it('filters by device: its registered address or its line numbers', () => {
    const trace = new SipTrace(devices);
    const seen: string[] = [];
    trace.subscribe({ device: 'SEP0008A37128E9' }, (entry) => seen.push(entry.text.split('\r\n')[3]!));
    play(trace, message('300', '301'), phone); // from the phone's address
    play(trace, message('300', '201'), other); // to one of its numbers
    play(trace, message('300', '301'), other); // neither
    expect(seen).toEqual(['To: <sip:301@127.0.0.1>', 'To: <sip:201@127.0.0.1>']);
  });

  it('shows nothing for an unknown device', () => {
    const trace = new SipTrace(devices);
    const seen: TraceEntry[] = [];
    trace.subscribe({ device: 'SEP000000000000' }, (entry) => seen.push(entry));
    play(trace, message('201', '202'), phone);
    expect(seen).toEqual([]);
  });
});
