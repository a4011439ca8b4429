import { describe, expect, it } from 'vitest';
import {
  type AttemptView,
  type DeviceEvidence,
  type DeviceStatus,
  diagnose,
  type FetchView,
  type TransitionView,
} from '../../../../src/features/device-status/index.js';

const PHONE = 'SEP003094C2D5CA';
const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 8, 0, second)).toISOString();
const source = { protocol: 'UDP', address: '192.0.2.10', port: 5060 };

function status(overrides: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    name: PHONE,
    configured: true,
    status: 'unknown',
    reason: null,
    reasonCode: null,
    address: null,
    node: '10.0.0.1',
    protocol: 'sip',
    model: { configured: 'Cisco 7960', seen: null },
    load: null,
    userAgent: null,
    devicePool: 'hq',
    keepaliveSeconds: 30,
    lastFetch: null,
    lastRegistration: null,
    history: [],
    ...overrides,
  };
}

function evidence(overrides: Partial<DeviceEvidence> & { status?: DeviceStatus } = {}): DeviceEvidence {
  return { status: status(), fetches: [], attempts: [], autoRegistration: false, ...overrides };
}

const fetch = (second: number, file: string, found: boolean): FetchView => ({
  at: at(second),
  file,
  found,
  via: 'tftp',
  address: '192.0.2.10',
});

const attempt = (
  second: number,
  result: AttemptView['result'],
  reason: string | null,
  detail = '',
): AttemptView => ({
  at: at(second),
  result,
  status: result === 'accepted' ? 200 : 403,
  reason,
  detail,
  source,
  line: '301',
});

const transition = (
  second: number,
  state: TransitionView['status'],
  node: string,
  reason: string | null = null,
) => ({
  at: at(second),
  status: state,
  reason,
  node,
  address: source,
});

const codes = (result: ReturnType<typeof diagnose>) => result.findings.map((finding) => finding.code);

describe('diagnose phone', () => {
  it('not configured with auto-registration off: both files not found, registration refused', () => {
    const result = diagnose(PHONE, [
      evidence({
        status: status({ configured: false, status: 'rejected', reasonCode: 'unknown-device' }),
        fetches: [fetch(1, 'SEP003094C2D5CA.cnf.xml', false), fetch(2, 'SEPDefault.cnf.xml', false)],
        attempts: [attempt(3, 'rejected', 'unknown-device', `${PHONE} is not configured`)],
      }),
    ]);
    expect(codes(result)).toEqual(['not-configured']);
    expect(result.findings[0]?.fix).toContain('add the phone SEP003094C2D5CA');
    expect(result.findings[0]?.cause).toContain('auto-registration is off');
    expect(result.steps.map((step) => [step.step, step.outcome])).toEqual([
      ['configuration file (SEP<MAC>.cnf.xml)', 'failed'],
      ['default file (SEPDefault.cnf.xml)', 'failed'],
      ['registration', 'failed'],
      ['status', 'failed'],
    ]);
    expect(result.summary).toMatch(/^SEP003094C2D5CA: the phone is not in the database/);
  });

  it('not configured, seen only as file requests (the phone never got as far as registering)', () => {
    const result = diagnose(PHONE, [
      evidence({
        status: status({ configured: false }),
        fetches: [fetch(1, 'SEP003094C2D5CA.cnf', false), fetch(2, 'SEPdefault.cnf', false)],
      }),
    ]);
    expect(codes(result)).toEqual(['not-configured']);
  });

  it('wrong model: version error, naming both models', () => {
    const detail = 'version error: SEP003094C2D5CA is configured as Cisco 7940 but the device is a 7960G';
    const result = diagnose(PHONE, [
      evidence({
        fetches: [fetch(1, 'SEP003094C2D5CA.cnf.xml', true)],
        attempts: [attempt(2, 'rejected', 'version-error', detail)],
      }),
    ]);
    expect(codes(result)).toEqual(['version-error']);
    expect(result.findings[0]).toMatchObject({ evidence: detail });
    expect(result.findings[0]?.fix).toContain('7961');
    expect(result.steps[1]?.outcome).toBe('skipped');
  });

  it('bad credentials, counted; an accepted registration since clears them', () => {
    const failures = [1, 2, 3].map((second) =>
      attempt(second, 'rejected', 'bad-credentials', 'credentials of 301 did not verify'),
    );
    const result = diagnose(PHONE, [
      evidence({ fetches: [fetch(0, 'SEP003094C2D5CA.cnf.xml', true)], attempts: failures }),
    ]);
    expect(codes(result)).toEqual(['bad-credentials']);
    expect(result.findings[0]?.evidence).toMatch(/^3 times, last: credentials of 301/);
    const healed = diagnose(PHONE, [
      evidence({
        status: status({ status: 'registered' }),
        fetches: [fetch(0, 'SEP003094C2D5CA.cnf.xml', true)],
        attempts: [...failures, attempt(4, 'accepted', null)],
      }),
    ]);
    expect(codes(healed)).toEqual([]);
    expect(healed.summary).toBe('SEP003094C2D5CA is registered on 10.0.0.1; no problem seen');
  });

  it('no TFTP request seen: check DHCP option 150 and the network', () => {
    const result = diagnose(PHONE, [evidence(), evidence({ status: status({ node: '10.0.0.2' }) })]);
    expect(codes(result)).toEqual(['no-tftp-request']);
    expect(result.findings[0]?.fix).toContain('option 150');
    expect(result.findings[0]?.evidence).toBe('no TFTP or HTTP request seen on 10.0.0.1, 10.0.0.2');
    expect(result.steps[0]?.outcome).toBe('not-seen');
  });

  it('flapping between nodes, from the histories of both: QoS trust and the keepalive interval', () => {
    const primary = evidence({
      status: status({
        status: 'registered',
        history: [
          transition(1, 'registered', '10.0.0.1'),
          transition(20, 'unregistered', '10.0.0.1', 'keepalive lost: …'),
          transition(40, 'registered', '10.0.0.1'),
        ],
      }),
      fetches: [fetch(0, 'SEP003094C2D5CA.cnf.xml', true)],
    });
    const secondary = evidence({
      status: status({
        node: '10.0.0.2',
        status: 'unregistered',
        history: [
          transition(21, 'registered', '10.0.0.2'),
          transition(41, 'unregistered', '10.0.0.2', 'unregistered by the phone'),
        ],
      }),
    });
    const result = diagnose(PHONE, [primary, secondary]);
    expect(codes(result)).toEqual(['flapping-between-nodes']);
    expect(result.findings[0]?.evidence).toBe('2 node changes: 10.0.0.1 → 10.0.0.2 → 10.0.0.1');
    expect(result.findings[0]?.fix).toContain('mls qos trust');
    expect(result.findings[0]?.fix).toContain('from 30 s');
    expect(result.nodes).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('flapping registered ⟷ unregistered on one node', () => {
    const history = [1, 2, 3].flatMap((cycle) => [
      transition(cycle * 10, 'registered', '10.0.0.1'),
      transition(cycle * 10 + 5, 'unregistered', '10.0.0.1', 'keepalive lost: no refresh'),
    ]);
    const result = diagnose(PHONE, [
      evidence({ status: status({ history }), fetches: [fetch(0, 'SEP003094C2D5CA.cnf.xml', true)] }),
    ]);
    expect(codes(result)).toEqual(['flapping']);
    expect(result.findings[0]?.fix).toContain('re-add the phone');
  });

  it('max-phones and a MAC mismatch name their own fixes', () => {
    const result = diagnose(PHONE, [
      evidence({
        fetches: [fetch(0, 'SEP003094C2D5CA.cnf.xml', true)],
        attempts: [
          attempt(1, 'rejected', 'mac-mismatch', "the credentials are SEP003094C2D5CA's"),
          attempt(2, 'rejected', 'max-phones', 'this node takes at most 1 phones'),
        ],
      }),
    ]);
    expect(codes(result)).toEqual(['mac-mismatch', 'max-phones']);
  });

  it('a device no node knows', () => {
    const result = diagnose(PHONE, []);
    expect(result.steps.at(-1)).toMatchObject({ outcome: 'not-seen', detail: 'no node knows the device' });
    expect(codes(result)).toEqual(['no-tftp-request']);
  });
});
