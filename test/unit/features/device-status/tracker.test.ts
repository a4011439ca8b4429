import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AttemptInput,
  type ConfiguredDevices,
  DeviceStatusTracker,
  type FetchInput,
} from '../../../../src/features/device-status/index.js';

const EPOCH = Date.UTC(2030, 0, 1);
const PHONE = 'SEP003094C2D5CA';
const source = (address = '192.0.2.10', port = 5060) => ({ protocol: 'UDP', address, port });

let now: number;
let configuration: ConfiguredDevices;
let fetchLog: Map<string, FetchInput[]>;
let tracker: DeviceStatusTracker;

function configure(...names: string[]): void {
  configuration = {
    phones: new Map(
      names.map((name) => [name, { name, model: 'Cisco 7960', protocol: 'sip' as const, devicePool: 'hq' }]),
    ),
  };
}

function attempt(overrides: Partial<AttemptInput> = {}): AttemptInput {
  return {
    at: now,
    device: PHONE,
    identity: { model: '7960G', load: '8.0', userAgent: 'Cisco-CP7960G/8.0' },
    source: source(),
    line: '301',
    result: 'accepted',
    status: 200,
    reason: null,
    detail: 'update',
    ...overrides,
  };
}

const binding = (address?: string) => ({
  phone: PHONE,
  source: source(address),
  userAgent: 'Cisco-CP7960G/8.0',
});

beforeEach(() => {
  now = EPOCH;
  configure(PHONE, 'SEP0008A37128E9');
  fetchLog = new Map();
  tracker = new DeviceStatusTracker({
    node: '10.0.0.1',
    configuration: () => configuration,
    fetches: (device) => fetchLog.get(device) ?? [],
    keepaliveSeconds: (pool) => (pool === 'hq' ? 90 : 30),
    wallClock: () => now,
    maxStrangers: 2,
    historyLength: 4,
    attemptsKept: 3,
  });
});

describe('device status transitions', () => {
  it('lists every configured phone, unknown until seen', () => {
    expect(tracker.list().map((status) => [status.name, status.status, status.reason])).toEqual([
      ['SEP0008A37128E9', 'unknown', 'not seen since the node started'],
      [PHONE, 'unknown', 'not seen since the node started'],
    ]);
    expect(tracker.status('SEP111111111111')).toBeUndefined();
  });

  it('registered with the first binding, unregistered when the last goes', () => {
    tracker.registered(binding());
    tracker.registered(binding());
    tracker.attempt(attempt());
    expect(tracker.status(PHONE)).toMatchObject({ status: 'registered', keepaliveSeconds: 90, load: '8.0' });
    now += 1000;
    tracker.unregistered(binding(), 'removed');
    expect(tracker.status(PHONE)?.status).toBe('registered');
    tracker.unregistered(binding(), 'removed');
    expect(tracker.status(PHONE)).toMatchObject({
      status: 'unregistered',
      reason: 'unregistered by the phone',
    });
  });

  it('an expired binding is a lost keepalive', () => {
    tracker.registered(binding());
    now += 3_600_000;
    tracker.unregistered(binding(), 'expired');
    const status = tracker.status(PHONE);
    expect(status?.status).toBe('unregistered');
    expect(status?.reason).toMatch(/^keepalive lost/);
    expect(status?.history.map((transition) => [transition.status, transition.at])).toEqual([
      ['registered', new Date(EPOCH).toISOString()],
      ['unregistered', new Date(EPOCH + 3_600_000).toISOString()],
    ]);
  });

  it('a rejection shows while nothing is registered, but does not undo a live registration', () => {
    tracker.attempt(
      attempt({ result: 'rejected', status: 403, reason: 'version-error', detail: 'version error: …' }),
    );
    expect(tracker.status(PHONE)).toMatchObject({ status: 'rejected', reasonCode: 'version-error' });
    tracker.registered(binding());
    tracker.attempt(attempt({ result: 'rejected', status: 401, reason: 'bad-credentials', detail: 'x' }));
    expect(tracker.status(PHONE)).toMatchObject({
      status: 'registered',
      reasonCode: null,
      lastRegistration: { reason: 'bad-credentials' },
    });
  });

  it('records a move to another address while registered (failover, R-REG-37)', () => {
    tracker.registered(binding('192.0.2.10'));
    tracker.unregistered(binding('192.0.2.10'), 'removed');
    tracker.registered(binding('192.0.2.10'));
    tracker.registered(binding('192.0.2.99'));
    const history = tracker.status(PHONE)?.history ?? [];
    expect(history.map((t) => [t.status, t.address?.address, t.node])).toEqual([
      ['registered', '192.0.2.10', '10.0.0.1'],
      ['unregistered', '192.0.2.10', '10.0.0.1'],
      ['registered', '192.0.2.10', '10.0.0.1'],
      ['registered', '192.0.2.99', '10.0.0.1'],
    ]);
  });

  it('shows the last file the phone fetched', () => {
    fetchLog.set(PHONE, [
      {
        file: 'SEP003094C2D5CA.cnf.xml',
        found: true,
        remote: { address: '192.0.2.10' },
        at: new Date(EPOCH),
        via: 'tftp',
      },
    ]);
    expect(tracker.status(PHONE)?.lastFetch).toEqual({
      at: new Date(EPOCH).toISOString(),
      file: 'SEP003094C2D5CA.cnf.xml',
      found: true,
      via: 'tftp',
      address: '192.0.2.10',
    });
  });

  it('a device added by auto-registration keeps its record once configured', () => {
    const added = 'SEP001B54BA2B3C';
    tracker.attempt(attempt({ device: added, result: 'added', status: 403, detail: 'added with line 2000' }));
    expect(tracker.status(added)).toMatchObject({ configured: false, status: 'unregistered' });
    configure(PHONE, added);
    tracker.registered({ ...binding(), phone: added });
    expect(tracker.status(added)).toMatchObject({ configured: true, status: 'registered' });
    expect(tracker.status(added)?.history.map((t) => t.status)).toEqual(['unregistered', 'registered']);
  });
});

describe('bounds', () => {
  it('keeps the last transitions and attempts only', () => {
    for (let index = 0; index < 10; index++) {
      tracker.registered(binding());
      tracker.attempt(attempt({ detail: `attempt ${index}` }));
      tracker.unregistered(binding(), 'expired');
    }
    const status = tracker.status(PHONE);
    expect(status?.history).toHaveLength(4);
    expect(tracker.evidence(PHONE)?.attempts.map((a) => a.detail)).toEqual([
      'attempt 7',
      'attempt 8',
      'attempt 9',
    ]);
    expect(status?.lastRegistration?.detail).toBe('attempt 9');
  });

  it('keeps each attempt with its own time and source once the oldest are written over', () => {
    for (let index = 0; index < 5; index++) {
      tracker.attempt(attempt({ at: EPOCH + index * 1000, source: source('192.0.2.10', 5060 + index) }));
    }
    const attempts = tracker.evidence(PHONE)?.attempts ?? [];
    expect(attempts.map((a) => [a.at, a.source.port])).toEqual([
      ['2030-01-01T00:00:02.000Z', 5062],
      ['2030-01-01T00:00:03.000Z', 5063],
      ['2030-01-01T00:00:04.000Z', 5064],
    ]);
    expect(tracker.status(PHONE)?.address).toEqual(source('192.0.2.10', 5064));
  });

  it('remembers a bounded number of devices that are not configured, least recently seen first out', () => {
    for (const device of ['SEP000000000001', 'SEP000000000002', 'SEP000000000003'])
      tracker.attempt(attempt({ device, result: 'rejected', status: 403, reason: 'unknown-device' }));
    expect(tracker.status('SEP000000000001')).toBeUndefined();
    expect(tracker.list().map((status) => status.name)).toEqual([
      'SEP000000000002',
      'SEP000000000003',
      'SEP0008A37128E9',
      PHONE,
    ]);
  });

  it('drops attempts that name no device', () => {
    tracker.attempt(attempt({ device: null }));
    expect(tracker.list()).toHaveLength(2);
  });
});
