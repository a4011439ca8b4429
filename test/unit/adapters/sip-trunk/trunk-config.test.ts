/** Trunk configuration: the seed's sip-ua translated, defaults, carrier address forms, refusals. */
import { describe, expect, it } from 'vitest';
import {
  carrierUri,
  checkTrunkConfigs,
  resolveTrunkConfig,
  type TrunkConfig,
} from '../../../../src/adapters/sip-trunk/index.js';
import { refreshAfterSeconds, retryAfterSeconds } from '../../../../src/adapters/sip-trunk/timing.js';
import { formatUri } from '../../../../src/sip/index.js';

/** The seed's sip-ua, ephone-dns and voice class codec 1 (docs/trunks.md shows the same). */
const SEED: TrunkConfig = {
  name: 'sp',
  proxy: 'dns:domain.test.com',
  registrar: { uri: 'dns:domain.test.com', expires: 3600, retryRegisterSeconds: 10 },
  credentials: { username: '5123781000', password: 'demo-secret' },
  numbers: [
    { number: '5123781290' },
    { number: '5123781291' },
    { number: '5123788000' },
    { number: '5123788001' },
    { number: '5123781201', register: false },
    { number: '5123781202', register: false },
  ],
  optionsKeepalive: { retries: 0 },
  inviteRetries: 2,
  codecs: ['g711ulaw'],
  hostRegistrar: true,
  supplementary: { refer: false, movedTemporarily: false },
};

describe('carrierUri', () => {
  it.each([
    ['dns:domain.test.com', 'sip:domain.test.com'],
    ['DNS:domain.test.com:5080', 'sip:domain.test.com:5080'],
    ['ipv4:172.22.1.155', 'sip:172.22.1.155'],
    ['ipv4:172.22.1.155:5060', 'sip:172.22.1.155:5060'],
    ['sip:carrier.example;transport=tcp', 'sip:carrier.example;transport=tcp'],
    ['sips:carrier.example', 'sips:carrier.example'],
    ['sip:[2001:db8::1]:5060', 'sip:[2001:db8::1]:5060'],
  ])('%s is %s', (text, expected) => {
    const uri = carrierUri(text);
    expect(uri && formatUri(uri)).toBe(expected);
  });

  it.each([
    '',
    'dns:',
    'tel:+15125551234',
    'sip:5123781000@carrier.example',
    'http://carrier.example',
    'carrier',
  ])('refuses %j', (text) => {
    expect(carrierUri(text)).toBeUndefined();
  });
});

describe('resolveTrunkConfig', () => {
  it('fills in the defaults and keeps the call-handling data as given', () => {
    const resolved = resolveTrunkConfig(SEED);
    if (!resolved.ok) throw new Error(resolved.errors.join('\n'));
    const trunk = resolved.value;
    expect(formatUri(trunk.proxy)).toBe('sip:domain.test.com');
    expect(trunk.registrar && formatUri(trunk.registrar.uri)).toBe('sip:domain.test.com');
    expect(trunk.registrar).toMatchObject({ expires: 3600, retryRegisterSeconds: 10 });
    expect(trunk.keepalive).toEqual({ intervalMs: 60_000, failuresBeforeOutOfService: 3, retries: 0 });
    expect(trunk.numbers.filter((entry) => entry.register).map((entry) => entry.number)).toEqual([
      '5123781290',
      '5123781291',
      '5123788000',
      '5123788001',
    ]);
    expect(trunk.allowedSources).toBeUndefined();
    expect(trunk.config.codecs).toEqual(['g711ulaw']);
    expect(trunk.config.supplementary).toEqual({ refer: false, movedTemporarily: false });
  });

  it('defaults the registrar expiry and retry interval', () => {
    const resolved = resolveTrunkConfig({ name: 't', proxy: 'dns:a.test', registrar: { uri: 'dns:a.test' } });
    expect(resolved.ok && resolved.value.registrar).toMatchObject({
      expires: 3600,
      retryRegisterSeconds: 10,
    });
  });

  it('turns the keepalive off with false', () => {
    const resolved = resolveTrunkConfig({ name: 't', proxy: 'dns:a.test', optionsKeepalive: false });
    expect(resolved.ok && resolved.value.keepalive).toBeUndefined();
  });

  it('names every bad field', () => {
    const resolved = resolveTrunkConfig({
      name: 'bad',
      proxy: 'carrier',
      registrar: { uri: 'dns:a.test', expires: 0, retryRegisterSeconds: 1.5 },
      credentials: { username: '', password: 'x' },
      numbers: [{ number: '512-378' }, { number: '+15125551234' }, { number: '+15125551234' }],
      optionsKeepalive: { intervalSeconds: -1, failuresBeforeOutOfService: 0, retries: 11 },
      inviteRetries: 99,
      allowedSources: ['203.0.113.0/33', 'carrier.example', '198.51.100.7'],
    });
    expect(resolved.ok).toBe(false);
    if (resolved.ok) return;
    expect(resolved.errors).toEqual([
      'trunk bad: proxy must be dns:<name>, ipv4:<address> or a sip:/sips: URI',
      'trunk bad: registrar.expires must be an integer 1..604800',
      'trunk bad: registrar.retryRegisterSeconds must be an integer 1..3600',
      'trunk bad: credentials.username must be a non-empty string',
      'trunk bad: numbers[0].number must be E.164 digits (1 to 15, optional leading +)',
      'trunk bad: numbers[2].number repeats +15125551234',
      'trunk bad: optionsKeepalive.intervalSeconds must be an integer 1..86400',
      'trunk bad: optionsKeepalive.failuresBeforeOutOfService must be an integer 1..10',
      'trunk bad: optionsKeepalive.retries must be an integer 0..10',
      'trunk bad: inviteRetries must be an integer 0..10',
      'trunk bad: allowedSources[0] must be an IPv4/IPv6 address or CIDR block',
      'trunk bad: allowedSources[1] must be an IPv4/IPv6 address or CIDR block',
    ]);
  });

  it.each([
    { name: 7, proxy: null, numbers: [{ number: 5 }], allowedSources: [null] },
    { name: 't', proxy: 'dns:a.test', registrar: null, credentials: null, numbers: 5, allowedSources: 'x' },
    { name: 't', proxy: 'dns:a.test', registrar: 'dns:a.test', credentials: [], numbers: [null, 'x'] },
    { name: 't', proxy: 'dns:a.test', optionsKeepalive: null, inviteRetries: '2', allowedSources: {} },
  ])('refuses values of the wrong type without throwing (%#)', (hostile) => {
    const resolved = resolveTrunkConfig(hostile as unknown as TrunkConfig);
    expect(resolved.ok).toBe(false);
  });

  it('reports trunk names used twice', () => {
    expect(checkTrunkConfigs([SEED, { ...SEED }])).toEqual(['trunk sp: name is used by another trunk']);
    expect(checkTrunkConfigs([SEED])).toEqual([]);
  });
});

describe('registration timing', () => {
  it('refreshes a tenth before expiry, at least 32 s before, never before half-way', () => {
    expect(refreshAfterSeconds(3600)).toBe(3240);
    expect(refreshAfterSeconds(600)).toBe(540);
    expect(refreshAfterSeconds(120)).toBe(88);
    expect(refreshAfterSeconds(60)).toBe(30);
    expect(refreshAfterSeconds(1)).toBe(1);
  });

  it('doubles the retry interval up to 30 minutes', () => {
    expect([1, 2, 3, 4].map((failures) => retryAfterSeconds(10, failures))).toEqual([10, 20, 40, 80]);
    expect(retryAfterSeconds(10, 9)).toBe(1800);
    expect(retryAfterSeconds(10, 10_000)).toBe(1800);
    // A configured interval longer than the bound is kept as it is.
    expect(retryAfterSeconds(3600, 5)).toBe(3600);
  });
});
