import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/sip/clock.js';
import type { Uri } from '../../../../src/sip/message/types.js';
import { createResolver } from '../../../../src/sip/resolver/resolver.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { FakeDns, naptr, srv, type Zone } from './fake-dns.js';

const ALL: TransportProtocol[] = ['UDP', 'TCP', 'TLS'];

function uri(host: string, fields: Partial<Uri> = {}): Uri {
  return { scheme: 'sip', host, params: {}, headers: {}, ...fields };
}

function setup(zone: Zone, random = () => 0) {
  const dns = new FakeDns(zone);
  const clock = new FakeClock();
  const resolver = createResolver({ dns, clock, random, cacheTtlCapMs: 60_000 });
  return { dns, clock, resolver };
}

describe('numeric targets and explicit ports (RFC 3263 §4.1, §4.2)', () => {
  it('sends to a numeric IPv4 address over UDP on 5060 without any DNS query', async () => {
    const { dns, resolver } = setup({});
    expect(await resolver.resolve(uri('192.0.2.1'), { supportedTransports: ALL })).toEqual([
      { protocol: 'UDP', address: '192.0.2.1', port: 5060 },
    ]);
    expect(dns.queries).toEqual([]);
  });

  it('strips IPv6 brackets and keeps the port', async () => {
    const { resolver } = setup({});
    expect(
      await resolver.resolve(uri('[2001:db8::1]', { port: 5080 }), { supportedTransports: ALL }),
    ).toEqual([{ protocol: 'UDP', address: '2001:db8::1', port: 5080 }]);
  });

  it('uses TLS on 5061 for a sips URI and TCP when UDP is not supported', async () => {
    const { resolver } = setup({});
    expect(
      await resolver.resolve(uri('192.0.2.1', { scheme: 'sips' }), { supportedTransports: ALL }),
    ).toEqual([{ protocol: 'TLS', address: '192.0.2.1', port: 5061 }]);
    expect(await resolver.resolve(uri('192.0.2.1'), { supportedTransports: ['TCP'] })).toEqual([
      { protocol: 'TCP', address: '192.0.2.1', port: 5060 },
    ]);
  });

  it('looks up only A/AAAA for a name with a port', async () => {
    const { dns, resolver } = setup({
      a: { 'pbx.example': ['192.0.2.7'] },
      aaaa: { 'pbx.example': ['2001:db8::7'] },
    });
    expect(await resolver.resolve(uri('pbx.example', { port: 5070 }), { supportedTransports: ALL })).toEqual([
      { protocol: 'UDP', address: '192.0.2.7', port: 5070 },
      { protocol: 'UDP', address: '2001:db8::7', port: 5070 },
    ]);
    expect(dns.queries.sort()).toEqual(['A pbx.example', 'AAAA pbx.example']);
  });

  it('honours maddr over the host', async () => {
    const { resolver } = setup({});
    const target = uri('pbx.example', { params: { maddr: '198.51.100.9' } });
    expect(await resolver.resolve(target, { supportedTransports: ALL })).toEqual([
      { protocol: 'UDP', address: '198.51.100.9', port: 5060 },
    ]);
  });
});

describe('transport= parameter', () => {
  it('uses the named transport, SRV first', async () => {
    const { resolver } = setup({
      srv: { '_sip._tcp.pbx.example': [srv(0, 0, 5090, 'tcp.pbx.example')] },
      a: { 'tcp.pbx.example': ['192.0.2.20'] },
    });
    expect(
      await resolver.resolve(uri('pbx.example', { params: { transport: 'TCP' } }), {
        supportedTransports: ALL,
      }),
    ).toEqual([{ protocol: 'TCP', address: '192.0.2.20', port: 5090 }]);
  });

  it('falls back to A records on the default port when there is no SRV', async () => {
    const { resolver } = setup({ a: { 'pbx.example': ['192.0.2.21'] } });
    const target = uri('pbx.example', { scheme: 'sips', params: { transport: 'tcp' } });
    expect(await resolver.resolve(target, { supportedTransports: ALL })).toEqual([
      { protocol: 'TLS', address: '192.0.2.21', port: 5061 },
    ]);
  });

  it('gives nothing for an unsupported or impossible transport', async () => {
    const { resolver } = setup({});
    expect(
      await resolver.resolve(uri('192.0.2.1', { params: { transport: 'sctp' } }), {
        supportedTransports: ALL,
      }),
    ).toEqual([]);
    expect(
      await resolver.resolve(uri('192.0.2.1', { params: { transport: 'tls' } }), {
        supportedTransports: ['UDP'],
      }),
    ).toEqual([]);
    // RFC 3261 §26.2.2: SIPS never runs over UDP.
    expect(
      await resolver.resolve(uri('192.0.2.1', { scheme: 'sips', params: { transport: 'udp' } }), {
        supportedTransports: ALL,
      }),
    ).toEqual([]);
  });

  it('sends ws targets to the WebSocket port', async () => {
    const { resolver } = setup({});
    expect(
      await resolver.resolve(uri('192.0.2.1', { params: { transport: 'ws' } }), {
        supportedTransports: ['WS', 'UDP'],
      }),
    ).toEqual([{ protocol: 'WS', address: '192.0.2.1', port: 80 }]);
  });
});

describe('NAPTR (RFC 3263 §4.1)', () => {
  const zone: Zone = {
    naptr: {
      'carrier.example': [
        naptr(20, 10, 'SIP+D2U', '_sip._udp.carrier.example'),
        naptr(10, 20, 'SIP+D2T', '_sip._tcp.carrier.example'),
        naptr(10, 10, 'SIPS+D2T', '_sips._tcp.carrier.example'),
        naptr(5, 10, 'SIP+D2S', '_sip._sctp.carrier.example'),
        naptr(1, 1, 'SIP+D2U', 'not-srv.carrier.example', 'a'),
      ],
    },
    srv: {
      '_sip._udp.carrier.example': [srv(0, 0, 5060, 'udp.carrier.example')],
      '_sip._tcp.carrier.example': [srv(0, 0, 5060, 'tcp.carrier.example')],
      '_sips._tcp.carrier.example': [srv(0, 0, 5061, 'tls.carrier.example')],
    },
    a: {
      'udp.carrier.example': ['203.0.113.1'],
      'tcp.carrier.example': ['203.0.113.2'],
      'tls.carrier.example': ['203.0.113.3'],
    },
  };

  it('follows supported services in order then preference, skipping SCTP and non-"s" flags', async () => {
    const { resolver } = setup(zone);
    expect(await resolver.resolve(uri('carrier.example'), { supportedTransports: ALL })).toEqual([
      { protocol: 'TLS', address: '203.0.113.3', port: 5061 },
      { protocol: 'TCP', address: '203.0.113.2', port: 5060 },
      { protocol: 'UDP', address: '203.0.113.1', port: 5060 },
    ]);
  });

  it('keeps only what the caller supports, and only secure services for sips', async () => {
    const { resolver } = setup(zone);
    expect(await resolver.resolve(uri('carrier.example'), { supportedTransports: ['UDP'] })).toEqual([
      { protocol: 'UDP', address: '203.0.113.1', port: 5060 },
    ]);
    expect(
      await resolver.resolve(uri('carrier.example', { scheme: 'sips' }), { supportedTransports: ALL }),
    ).toEqual([{ protocol: 'TLS', address: '203.0.113.3', port: 5061 }]);
  });

  it('maps SIP+D2W to WebSocket', async () => {
    const { resolver } = setup({
      naptr: { 'ws.example': [naptr(10, 10, 'SIP+D2W', '_sip._ws.ws.example')] },
      srv: { '_sip._ws.ws.example': [srv(0, 0, 8080, 'edge.ws.example')] },
      a: { 'edge.ws.example': ['203.0.113.80'] },
    });
    expect(await resolver.resolve(uri('ws.example'), { supportedTransports: ['WS'] })).toEqual([
      { protocol: 'WS', address: '203.0.113.80', port: 8080 },
    ]);
  });
});

describe('SRV without NAPTR (RFC 3263 §4.1, RFC 2782)', () => {
  it('queries each supported transport and orders by priority', async () => {
    const { dns, resolver } = setup({
      srv: {
        '_sip._udp.pbx.example': [
          srv(20, 0, 5060, 'backup.pbx.example'),
          srv(10, 0, 5060, 'main.pbx.example'),
        ],
        '_sip._tcp.pbx.example': [srv(10, 0, 5062, 'main.pbx.example')],
      },
      a: { 'main.pbx.example': ['192.0.2.10'], 'backup.pbx.example': ['192.0.2.11'] },
    });
    expect(await resolver.resolve(uri('pbx.example'), { supportedTransports: ['UDP', 'TCP'] })).toEqual([
      { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
      { protocol: 'UDP', address: '192.0.2.11', port: 5060 },
      { protocol: 'TCP', address: '192.0.2.10', port: 5062 },
    ]);
    expect(dns.queries).toContain('NAPTR pbx.example');
    expect(dns.queries).not.toContain('SRV _sips._tcp.pbx.example');
  });

  it('takes a "." target as "no service here", without falling back to A records', async () => {
    const { resolver } = setup({
      srv: { '_sip._udp.pbx.example': [srv(0, 0, 0, '.')] },
      a: { 'pbx.example': ['192.0.2.5'] },
    });
    expect(await resolver.resolve(uri('pbx.example'), { supportedTransports: ['UDP'] })).toEqual([]);
  });
});

describe('address records only', () => {
  it('uses UDP on 5060 for sip and TLS on 5061 for sips', async () => {
    const { resolver } = setup({ a: { 'pbx.example': ['192.0.2.30'] } });
    expect(await resolver.resolve(uri('pbx.example'), { supportedTransports: ALL })).toEqual([
      { protocol: 'UDP', address: '192.0.2.30', port: 5060 },
    ]);
    expect(
      await resolver.resolve(uri('pbx.example', { scheme: 'sips' }), { supportedTransports: ALL }),
    ).toEqual([{ protocol: 'TLS', address: '192.0.2.30', port: 5061 }]);
  });

  it('gives nothing for an unknown name, a non-SIP scheme or an empty host', async () => {
    const { resolver } = setup({});
    expect(await resolver.resolve(uri('nowhere.example'), { supportedTransports: ALL })).toEqual([]);
    expect(
      await resolver.resolve(uri('', { scheme: 'tel', user: '+15551234' }), { supportedTransports: ALL }),
    ).toEqual([]);
    expect(await resolver.resolve(uri(''), { supportedTransports: ALL })).toEqual([]);
  });

  it('treats a transient DNS failure as no records without caching it', async () => {
    const zone: Zone = { a: { 'pbx.example': ['192.0.2.31'] }, failing: { 'pbx.example': 'ETIMEOUT' } };
    const { dns, resolver } = setup(zone);
    expect(await resolver.resolve(uri('pbx.example', { port: 5060 }), { supportedTransports: ALL })).toEqual(
      [],
    );
    delete zone.failing;
    expect(await resolver.resolve(uri('pbx.example', { port: 5060 }), { supportedTransports: ALL })).toEqual([
      { protocol: 'UDP', address: '192.0.2.31', port: 5060 },
    ]);
    expect(dns.queries.filter((query) => query === 'A pbx.example')).toHaveLength(2);
  });
});

describe('cache', () => {
  it('reuses answers until the TTL (capped) runs out, including negative ones', async () => {
    const { dns, clock, resolver } = setup({ a: { 'pbx.example': ['192.0.2.40'] }, ttl: 30 });
    const resolveIt = () => resolver.resolve(uri('pbx.example'), { supportedTransports: ['UDP'] });
    await resolveIt();
    const first = dns.queries.length;
    await resolveIt();
    expect(dns.queries.length).toBe(first);
    clock.advance(30_001);
    await resolveIt();
    // The A answer expired (TTL 30 s); the negative NAPTR, SRV and AAAA answers are held for the 60 s cap.
    expect(dns.queries.slice(first)).toEqual(['A pbx.example']);
    clock.advance(30_000);
    await resolveIt();
    expect(dns.queries.slice(first + 1).sort()).toEqual([
      'A pbx.example',
      'AAAA pbx.example',
      'NAPTR pbx.example',
      'SRV _sip._udp.pbx.example',
    ]);
  });

  it('shares one query between concurrent resolutions', async () => {
    const { dns, resolver } = setup({ a: { 'pbx.example': ['192.0.2.41'] } });
    await Promise.all(
      [1, 2, 3].map(() => resolver.resolve(uri('pbx.example', { port: 5060 }), { supportedTransports: ALL })),
    );
    expect(dns.queries.filter((query) => query === 'A pbx.example')).toHaveLength(1);
  });

  it('bounds the target list against a hostile zone', async () => {
    const many = Array.from({ length: 500 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
    const { resolver } = setup({ a: { 'pbx.example': many } });
    const targets = await resolver.resolve(uri('pbx.example'), { supportedTransports: ['UDP'] });
    expect(targets).toHaveLength(16);
  });
});
