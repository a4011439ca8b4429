/**
 * Inbound access control: exact addresses and CIDR blocks (IPv4, IPv6, IPv4-mapped), the default
 * allow list of resolved proxy addresses, and 403 for sources outside every trunk.
 */
import { describe, expect, it } from 'vitest';
import {
  createTrunkAdapter,
  parseSourceRule,
  SourceAllowList,
  type TrunkConfig,
} from '../../../../src/adapters/sip-trunk/index.js';
import {
  createRequest,
  FakeClock,
  type IncomingRequest,
  type SipLogger,
  type SipResponse,
} from '../../../../src/sip/index.js';
import { FakeStack, fixedResolver, settle, udp } from './fake-carrier.js';

function allowList(...rules: string[]): SourceAllowList {
  return new SourceAllowList(
    rules.map((text) => {
      const rule = parseSourceRule(text);
      if (!rule) throw new Error(`bad rule ${text}`);
      return rule;
    }),
  );
}

describe('source allow list', () => {
  it('matches exact IPv4 addresses and CIDR blocks', () => {
    const list = allowList('198.51.100.7', '203.0.113.0/24', '10.0.0.0/8');
    expect(list.has('198.51.100.7')).toBe(true);
    expect(list.has('198.51.100.8')).toBe(false);
    expect(list.has('203.0.113.0')).toBe(true);
    expect(list.has('203.0.113.255')).toBe(true);
    expect(list.has('203.0.114.1')).toBe(false);
    expect(list.has('10.255.1.2')).toBe(true);
    expect(list.has('11.0.0.1')).toBe(false);
  });

  it('matches IPv6 blocks and IPv4-mapped IPv6 sources', () => {
    const list = allowList('2001:db8::/32', '[2001:db8:ffff::1]', '192.0.2.0/25');
    expect(list.has('2001:db8:1234::5')).toBe(true);
    expect(list.has('2001:0db8:0000::1')).toBe(true);
    expect(list.has('2001:db9::1')).toBe(false);
    expect(list.has('::ffff:192.0.2.100')).toBe(true);
    expect(list.has('::ffff:192.0.2.200')).toBe(false);
  });

  it('treats /0 as everything of its family only', () => {
    const list = allowList('0.0.0.0/0');
    expect(list.has('203.0.113.9')).toBe(true);
    expect(list.has('2001:db8::1')).toBe(false);
  });

  it('never matches or throws on what is not an address', () => {
    const list = allowList('0.0.0.0/0', '::/0');
    for (const address of [
      '',
      'carrier.example',
      '1.2.3',
      '999.1.1.1',
      '2001:db8::1/64',
      ' 1.2.3.4',
      '\u0000',
    ]) {
      expect(list.has(address)).toBe(false);
    }
  });

  it.each(['203.0.113.0/33', '2001:db8::/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/08x', 'host/24', ''])(
    'refuses the rule %j',
    (text) => {
      expect(parseSourceRule(text)).toBeUndefined();
    },
  );
});

function incoming(address: string): IncomingRequest & { replies: SipResponse[] } {
  const request = createRequest({
    method: 'INVITE',
    uri: 'sip:5123781290@192.0.2.1',
    from: '<sip:caller@carrier.example>;tag=1',
    to: '<sip:5123781290@192.0.2.1>',
    callId: 'inbound-1',
    cseq: 1,
  });
  const replies: SipResponse[] = [];
  return {
    request,
    info: { source: udp(address), local: udp('192.0.2.1'), receivedAt: 0 },
    dialog: undefined,
    get answered() {
      return replies.length > 0;
    },
    replies,
    reply(status) {
      const response = { status } as SipResponse;
      replies.push(response);
      return response;
    },
    accept() {
      throw new Error('not used');
    },
    onCancel() {},
  };
}

describe('trunk inbound access', () => {
  const carrier: TrunkConfig = { name: 'sp', proxy: 'dns:domain.test.com', optionsKeepalive: false };
  const peer: TrunkConfig = {
    name: 'branch',
    proxy: 'ipv4:198.51.100.7',
    optionsKeepalive: false,
    allowedSources: ['198.51.100.0/28'],
  };

  async function adapterFor(...trunks: TrunkConfig[]) {
    const warnings: string[] = [];
    const logger: SipLogger = {
      debug() {},
      info() {},
      error() {},
      warn: (_fields, message) => warnings.push(message),
    };
    const adapter = createTrunkAdapter({
      stack: new FakeStack(),
      trunks: () => trunks,
      clock: new FakeClock(),
      logger,
      resolver: fixedResolver([udp('203.0.113.10'), udp('203.0.113.20'), udp('2001:db8::10')]),
    });
    adapter.start();
    await settle();
    return { adapter, warnings };
  }

  it('trusts the resolved proxy addresses by default and the configured blocks otherwise', async () => {
    const { adapter } = await adapterFor(carrier, peer);
    expect(adapter.isTrustedSource({ address: '203.0.113.10' })).toBe('sp');
    expect(adapter.isTrustedSource({ address: '203.0.113.20' })).toBe('sp');
    expect(adapter.isTrustedSource({ address: '2001:db8::10' })).toBe('sp');
    expect(adapter.isTrustedSource({ address: '203.0.113.11' })).toBeUndefined();
    expect(adapter.isTrustedSource({ address: '198.51.100.9' })).toBe('branch');
    expect(adapter.isTrustedSource({ address: '198.51.100.7' })).toBe('branch');
    expect(adapter.isTrustedSource({ address: '198.51.100.16' })).toBeUndefined();
    await adapter.stop();
    expect(adapter.isTrustedSource({ address: '203.0.113.10' })).toBeUndefined();
  });

  it('keeps trusting the last resolved addresses while the proxy does not resolve', async () => {
    const clock = new FakeClock();
    const stack = new FakeStack();
    const adapter = createTrunkAdapter({
      stack,
      clock,
      trunks: () => [
        { ...carrier, optionsKeepalive: { intervalSeconds: 30, failuresBeforeOutOfService: 1 } },
      ],
      resolver: fixedResolver([udp('203.0.113.10')], []),
    });
    adapter.start();
    await settle();
    stack.next('OPTIONS').respond(408);
    await settle();
    // The failure wrapped around the single target, so the proxy was resolved again: to nothing.
    expect(adapter.status()[0]).toMatchObject({ state: 'out-of-service', targets: [] });
    expect(adapter.isTrustedSource({ address: '203.0.113.10' })).toBe('sp');
    await adapter.stop();
  });

  it('replaces the default with the configured list', async () => {
    // The branch's proxy resolves to the same addresses as the carrier's here; only its /28 counts.
    const { adapter } = await adapterFor(peer);
    expect(adapter.isTrustedSource({ address: '203.0.113.10' })).toBeUndefined();
    expect(adapter.isTrustedSource({ address: '198.51.100.1' })).toBe('branch');
    await adapter.stop();
  });

  it('admits carriers by source and refuses everyone else with 403, logging a flood once', async () => {
    const { adapter, warnings } = await adapterFor(carrier);
    const fromCarrier = incoming('203.0.113.10');
    expect(adapter.admitInbound(fromCarrier)).toEqual({ trunk: 'sp', by: 'source' });
    expect(fromCarrier.replies).toEqual([]);

    for (let i = 0; i < 100; i++) {
      const stranger = incoming('192.0.2.66');
      expect(adapter.admitInbound(stranger)).toBeUndefined();
      expect(stranger.replies.map((response) => response.status)).toEqual([403]);
    }
    expect(warnings.filter((message) => message.includes('refused'))).toHaveLength(1);
  });

  it('lets an authenticator admit, challenge or leave the 403', async () => {
    const { adapter } = await adapterFor(carrier);
    const admitted = incoming('192.0.2.66');
    expect(adapter.admitInbound(admitted, () => ({ trunk: 'sp' }))).toEqual({
      trunk: 'sp',
      by: 'credentials',
    });
    expect(admitted.replies).toEqual([]);

    const challenged = incoming('192.0.2.66');
    const verdict = adapter.admitInbound(challenged, (request) => {
      request.reply(407);
      return 'answered';
    });
    expect(verdict).toBeUndefined();
    expect(challenged.replies.map((response) => response.status)).toEqual([407]);

    const refused = incoming('192.0.2.66');
    expect(adapter.admitInbound(refused, () => undefined)).toBeUndefined();
    expect(refused.replies.map((response) => response.status)).toEqual([403]);
  });
});
