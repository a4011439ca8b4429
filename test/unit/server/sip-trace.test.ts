import { describe, expect, it } from 'vitest';
import { SipTrace, type TraceEntry } from '../../../src/server/sip-trace.js';
import { type Endpoint, type MessageObserver, parseMessage } from '../../../src/sip/index.js';
import type { MeteredTransportLayer } from '../../../src/sip/transport/types.js';

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

/** Only `observe` matters to the trace: it records the observer so the test can play traffic. */
function fakeTransport(): {
  transport: MeteredTransportLayer;
  play(bytes: Buffer, remote: Endpoint): void;
  observed(): boolean;
} {
  let observer: MessageObserver | undefined;
  const transport = {
    observe: (o: MessageObserver | undefined) => (observer = o),
  } as unknown as MeteredTransportLayer;
  return {
    transport,
    observed: () => observer !== undefined,
    play: (bytes, remote) => {
      const parsed = parseMessage(bytes);
      if (!parsed.ok) throw new Error(parsed.error.message);
      observer?.('in', parsed.value, bytes, remote);
    },
  };
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

  it('observes the transport only while someone watches', () => {
    const wire = fakeTransport();
    const trace = new SipTrace(wire.transport, devices, () => 42);
    expect(wire.observed()).toBe(false);
    const stop = trace.subscribe({}, () => {});
    expect(wire.observed()).toBe(true);
    stop();
    expect(wire.observed()).toBe(false);
  });

  it('passes every message to an unfiltered subscriber, with its wire text', () => {
    const wire = fakeTransport();
    const trace = new SipTrace(wire.transport, devices, () => 42);
    const seen: TraceEntry[] = [];
    trace.subscribe({}, (entry) => seen.push(entry));
    const bytes = message('300', '301');
    wire.play(bytes, other);
    expect(seen).toEqual([{ at: 42, direction: 'in', remote: other, text: bytes.toString('latin1') }]);
  });

  it('filters by device: its registered address or its line numbers', () => {
    const wire = fakeTransport();
    const trace = new SipTrace(wire.transport, devices);
    const seen: string[] = [];
    trace.subscribe({ device: 'SEP0008A37128E9' }, (entry) => seen.push(entry.text.split('\r\n')[3]!));
    wire.play(message('300', '301'), phone); // from the phone's address
    wire.play(message('300', '201'), other); // to one of its numbers
    wire.play(message('300', '301'), other); // neither
    expect(seen).toEqual(['To: <sip:301@127.0.0.1>', 'To: <sip:201@127.0.0.1>']);
  });

  it('shows nothing for an unknown device', () => {
    const wire = fakeTransport();
    const trace = new SipTrace(wire.transport, devices);
    const seen: TraceEntry[] = [];
    trace.subscribe({ device: 'SEP000000000000' }, (entry) => seen.push(entry));
    wire.play(message('201', '202'), phone);
    expect(seen).toEqual([]);
  });
});
