import { describe, expect, it } from 'vitest';
import { parseMessage, parseVia } from '../../../../src/sip/message/index.js';
import type { SipRequest, Via } from '../../../../src/sip/message/types.js';
import { canonicalAddress } from '../../../../src/sip/transport/address.js';
import { LocalSentBy } from '../../../../src/sip/transport/local-sent-by.js';
import {
  datagramResponseTarget,
  stampTopVia,
  streamResponseTarget,
} from '../../../../src/sip/transport/via-rules.js';

function via(text: string): Via {
  const parsed = parseVia(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function request(viaFields: string): SipRequest {
  const parsed = parseMessage(
    Buffer.from(
      `OPTIONS sip:a@b SIP/2.0\r\n${viaFields}From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\n` +
        'Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    ),
  );
  if (!parsed.ok || parsed.value.kind !== 'request') throw new Error('bad test request');
  return parsed.value;
}

describe('stampTopVia (RFC 3261 18.2.1, RFC 3581 4)', () => {
  it('adds received when the host differs and fills rport', () => {
    const r = request('Via: SIP/2.0/UDP phone.example.com;branch=z9hG4bK1;rport\r\n');
    stampTopVia(r, '192.0.2.7', 40000);
    expect(r.via[0]).toMatchObject({ host: 'phone.example.com', received: '192.0.2.7', rport: 40000 });
  });

  it('adds received with rport even when the host is the source address', () => {
    const r = request('Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport\r\n');
    stampTopVia(r, '192.0.2.7', 5060);
    expect(r.via[0]).toMatchObject({ received: '192.0.2.7', rport: 5060 });
  });

  it('leaves a Via alone when its host is the source and no rport is asked', () => {
    const r = request('Via: SIP/2.0/UDP [2001:DB8::7]:5060;branch=z9hG4bK1\r\n');
    const before = r.headers.get('via');
    stampTopVia(r, canonicalAddress('2001:db8:0:0:0:0:0:7'), 5060);
    expect(r.headers.get('via')).toBe(before);
  });

  it('changes only the top value of a comma-separated Via field', () => {
    const r = request(
      'Via: SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/UDP b.example;branch=z9hG4bK2\r\n',
    );
    stampTopVia(r, '192.0.2.7', 5060);
    expect(r.via.map((v) => [v.host, v.received])).toEqual([
      ['a.example', '192.0.2.7'],
      ['b.example', undefined],
    ]);
  });
});

describe('response targets (RFC 3261 18.2.2, RFC 3581 4)', () => {
  it('prefers maddr, then received with rport, then sent-by', () => {
    expect(datagramResponseTarget(via('SIP/2.0/UDP h:5070;maddr=239.1.1.1;received=192.0.2.1'))).toEqual({
      protocol: 'UDP',
      address: '239.1.1.1',
      port: 5070,
    });
    expect(datagramResponseTarget(via('SIP/2.0/UDP h:5070;received=192.0.2.1;rport=40000'))).toEqual({
      protocol: 'UDP',
      address: '192.0.2.1',
      port: 40000,
    });
    expect(datagramResponseTarget(via('SIP/2.0/UDP h;received=192.0.2.1'))).toEqual({
      protocol: 'UDP',
      address: '192.0.2.1',
      port: 5060,
    });
    expect(datagramResponseTarget(via('SIP/2.0/UDP [2001:db8::1]'))).toEqual({
      protocol: 'UDP',
      address: '2001:db8::1',
      port: 5060,
    });
  });

  it('reconnects a stream to received at the sent-by port', () => {
    expect(streamResponseTarget(via('SIP/2.0/TLS h;received=192.0.2.1;rport=40000'), 'TLS')).toEqual({
      protocol: 'TLS',
      address: '192.0.2.1',
      port: 5061,
    });
  });
});

describe('LocalSentBy', () => {
  const listeners = [
    { protocol: 'UDP' as const, address: '127.0.0.1', port: 5070 },
    { protocol: 'TCP' as const, address: '::1', port: 5071 },
  ];

  it('advertises the bound address, IPv6 in brackets, or the public address', () => {
    const local = new LocalSentBy(listeners);
    expect(local.viaSentBy('UDP')).toEqual({ host: '127.0.0.1', port: 5070 });
    expect(local.viaSentBy('TCP')).toEqual({ host: '[::1]', port: 5071 });
    expect(new LocalSentBy(listeners, 'pbx.example.com').viaSentBy('UDP')).toEqual({
      host: 'pbx.example.com',
      port: 5070,
    });
  });

  it('recognises its own sent-by in a response Via, in any spelling', () => {
    const local = new LocalSentBy(listeners, 'pbx.example.com');
    expect(local.isOurs(via('SIP/2.0/UDP 127.0.0.1:5070'))).toBe(true);
    expect(local.isOurs(via('SIP/2.0/TCP [0:0:0:0:0:0:0:1]:5071'))).toBe(true);
    expect(local.isOurs(via('SIP/2.0/UDP PBX.example.com:5070'))).toBe(true);
    expect(local.isOurs(via('SIP/2.0/UDP 127.0.0.1:5060'))).toBe(false);
    expect(local.isOurs(via('SIP/2.0/UDP 192.0.2.1:5070'))).toBe(false);
  });

  it('advertises an interface address for a wildcard bind', () => {
    const local = new LocalSentBy([{ protocol: 'UDP', address: '0.0.0.0', port: 5060 }]);
    const { host } = local.viaSentBy('UDP');
    expect(host).not.toBe('0.0.0.0');
    expect(local.isOurs(via(`SIP/2.0/UDP ${host}:5060`))).toBe(true);
    expect(local.isOurs(via('SIP/2.0/UDP 127.0.0.1:5060'))).toBe(true);
  });
});

describe('canonicalAddress', () => {
  it('writes one spelling per address', () => {
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('[2001:DB8:0:0::1]')).toBe('2001:db8::1');
    expect(canonicalAddress('Host.Example')).toBe('host.example');
  });
});
