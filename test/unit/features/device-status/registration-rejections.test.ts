/**
 * Each reason the registrar refuses a device for, as the phone sees it (status, Warning) and as
 * the status tracker records it, on a fake clock without sockets.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionPolicy, RegistrationAttempt } from '../../../../src/adapters/sip-line/index.js';
import { buildSnapshot } from '../../../../src/admin/index.js';
import { DeviceStatusTracker } from '../../../../src/features/device-status/index.js';
import type { ConfigRows } from '../../../../src/store/index.js';
import { emptyRows, lineRow, sipPhoneRow } from '../../../helpers/config-rows.js';
import { type Account, EPOCH, RegistrarHarness } from '../../adapters/sip-line/harness.js';

const phone = (name: string, model: string, username: string) =>
  sipPhoneRow(name, { model, sipUsername: username, sipPassword: `demo-${username}` });

/** SEP003094C2D5CA is a 7960 on line 301, SEP0008A37128E9 a 7961G-GE on 302, desk-303 has no MAC name. */
function snapshot() {
  const rows: ConfigRows = {
    ...emptyRows(),
    registrar: { expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 },
    partitions: [{ name: 'internal', description: '' }],
    lines: [lineRow('301'), lineRow('302'), lineRow('303')],
    devices: [
      phone('SEP003094C2D5CA', 'Cisco 7960', '301'),
      phone('SEP0008A37128E9', 'Cisco 7961G-GE', '302'),
      phone('desk-303', 'Cisco 7940', '303'),
    ],
    lineAppearances: [
      { device: 'SEP003094C2D5CA', button: 1, dn: '301', partition: 'internal', label: null },
      { device: 'SEP0008A37128E9', button: 1, dn: '302', partition: 'internal', label: null },
      { device: 'desk-303', button: 1, dn: '303', partition: 'internal', label: null },
    ],
  };
  return buildSnapshot(rows);
}

const account = (username: string): Account => ({ username, password: `demo-${username}` });
const instance = (mac: string) => `"<urn:uuid:00000000-0000-0000-0000-${mac}>"`;

interface Setup {
  harness: RegistrarHarness;
  tracker: DeviceStatusTracker;
  attempts: RegistrationAttempt[];
}

async function setUp(admission: Partial<AdmissionPolicy> = {}): Promise<Setup> {
  const harness = new RegistrarHarness();
  harness.snapshot = snapshot();
  harness.adapter = harness.createAdapter({ admission });
  const tracker = new DeviceStatusTracker({
    node: 'node-a',
    configuration: () => harness.snapshot,
    fetches: () => [],
    wallClock: () => EPOCH + harness.clock.now(),
  });
  const attempts: RegistrationAttempt[] = [];
  harness.adapter.on('attempt', ({ attempt }) => {
    attempts.push(attempt);
    tracker.attempt(attempt);
  });
  harness.adapter.on('registered', ({ registration, refresh }) => {
    if (!refresh) tracker.registered(registration);
  });
  harness.adapter.on('unregistered', ({ registration, reason }) =>
    tracker.unregistered(registration, reason),
  );
  await harness.adapter.start();
  return { harness, tracker, attempts };
}

/** REGISTER of line `dn` from a Cisco phone with this MAC and User-Agent. */
function ciscoRegister(setup: Setup, dn: string, mac: string, userAgent: string, as = account(dn)) {
  return setup.harness.register(
    {
      dn,
      contacts: [`<sip:${dn}@192.0.2.10:5060>;+sip.instance=${instance(mac)}`],
      extraHeaders: [['User-Agent', userAgent]],
    },
    as,
  );
}

let setup: Setup;
beforeEach(async () => {
  setup = await setUp();
});

describe('devices the registrar takes', () => {
  it('registers a configured Cisco phone and records model, load, address and the attempt', async () => {
    const response = await ciscoRegister(setup, '301', '003094C2D5CA', 'Cisco-CP7960G/8.0');
    expect(response.status).toBe(200);
    const status = setup.tracker.status('SEP003094C2D5CA');
    expect(status).toMatchObject({
      status: 'registered',
      reason: null,
      node: 'node-a',
      model: { configured: 'Cisco 7960', seen: '7960G' },
      load: '8.0',
      address: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
      lastRegistration: { result: 'accepted', status: 200, reason: null },
    });
    expect(setup.attempts.at(-1)).toMatchObject({
      device: 'SEP003094C2D5CA',
      result: 'accepted',
      expires: 3600,
    });
  });

  it('registers a phone with a name of its own, whatever MAC it carries', async () => {
    const response = await ciscoRegister(setup, '303', '00AABBCCDDEE', 'Cisco-CP7940G/8.12.00');
    expect(response.status).toBe(200);
    expect(setup.tracker.status('desk-303')?.status).toBe('registered');
  });
});

describe('rejection reasons', () => {
  it('unknown device, auto-registration off: 403 Unknown Device at once (R-REG-01, R-REG-20)', async () => {
    const response = await ciscoRegister(setup, '399', '001B54BA2B3C', 'Cisco-CP7960G/8.0', account('399'));
    expect([response.status, response.reason]).toEqual([403, 'Unknown Device']);
    expect(response.headers.get('Warning')).toContain('SEP001B54BA2B3C is not configured');
    expect(setup.tracker.status('SEP001B54BA2B3C')).toMatchObject({
      configured: false,
      status: 'rejected',
      reasonCode: 'unknown-device',
    });
    expect(setup.harness.adapter.registrations()).toEqual([]);
  });

  it('wrong model: 403 Version Error naming both models (R-REG-24)', async () => {
    const response = await ciscoRegister(setup, '301', '003094C2D5CA', 'Cisco-CP7940G/8.0');
    expect([response.status, response.reason]).toEqual([403, 'Version Error']);
    const warning = response.headers.get('Warning') ?? '';
    expect(warning).toMatch(/^399 strowger\.test "version error: .*Cisco 7960.*7940G"$/);
    expect(setup.tracker.status('SEP003094C2D5CA')).toMatchObject({
      status: 'rejected',
      reasonCode: 'version-error',
      model: { configured: 'Cisco 7960', seen: '7940G' },
    });
  });

  it('a 7961G configured as 7961G-GE does not register (R-REG-25)', async () => {
    const response = await ciscoRegister(setup, '302', '0008A37128E9', 'Cisco-CP7961G/8.5.4');
    expect(response.reason).toBe('Version Error');
  });

  it("another phone's MAC: 403 Device Name Mismatch", async () => {
    const response = await ciscoRegister(
      setup,
      '302',
      '003094C2D5CA',
      'Cisco-CP7961G-GE/8.5.4',
      account('302'),
    );
    expect([response.status, response.reason]).toEqual([403, 'Device Name Mismatch']);
    expect(setup.tracker.status('SEP0008A37128E9')?.reasonCode).toBe('mac-mismatch');
  });

  it('bad credentials: challenged again, recorded against the phone the user name belongs to', async () => {
    const response = await ciscoRegister(setup, '301', '003094C2D5CA', 'Cisco-CP7960G/8.0', {
      username: '301',
      password: 'wrong',
    });
    expect(response.status).toBe(401);
    expect(setup.tracker.status('SEP003094C2D5CA')).toMatchObject({
      status: 'rejected',
      reasonCode: 'bad-credentials',
    });
  });

  it('max-phones reached: 503 without Retry-After so that the phone tries its next node', async () => {
    setup = await setUp({ maxPhones: 1 });
    expect((await ciscoRegister(setup, '301', '003094C2D5CA', 'Cisco-CP7960G/8.0')).status).toBe(200);
    const refused = await ciscoRegister(setup, '303', '00AABBCCDDEE', 'Cisco-CP7940G/8.0');
    expect([refused.status, refused.reason]).toEqual([503, 'Too Many Phones']);
    expect(refused.headers.get('Retry-After')).toBeUndefined();
    expect(setup.tracker.status('desk-303')?.reasonCode).toBe('max-phones');
    // A phone already registered refreshes; a phone that leaves frees its place.
    expect((await ciscoRegister(setup, '301', '003094C2D5CA', 'Cisco-CP7960G/8.0')).status).toBe(200);
    const leave = await setup.harness.register(
      { dn: '301', contacts: ['<sip:301@192.0.2.10:5060>'], expires: 0 },
      account('301'),
    );
    expect(leave.status).toBe(200);
    expect((await ciscoRegister(setup, '303', '00AABBCCDDEE', 'Cisco-CP7940G/8.0')).status).toBe(200);
  });

  it('a line that is not on the phone: 403, recorded', async () => {
    const response = await ciscoRegister(setup, '302', '003094C2D5CA', 'Cisco-CP7960G/8.0', account('301'));
    expect(response.status).toBe(403);
    expect(setup.tracker.status('SEP003094C2D5CA')?.reasonCode).toBe('line-not-on-phone');
  });
});

describe('auto-registration hook', () => {
  const AUTO = { username: 'autoreg', password: 'demo-autoreg' };

  it('adds an unknown device that logs in with the auto-registration account, once', async () => {
    const added: string[] = [];
    setup = await setUp({
      autoRegistration: {
        account: AUTO,
        add: async (device) => {
          added.push(device.name);
          return { ok: true, detail: `${device.name} added with line 2000` };
        },
      },
    });
    const response = await ciscoRegister(setup, 'autoreg', '001B54BA2B3C', 'Cisco-CP7960G/8.0', AUTO);
    expect([response.status, response.reason]).toEqual([403, 'Device Added']);
    expect(response.headers.get('Warning')).toContain('SEP001B54BA2B3C added with line 2000');
    expect(added).toEqual(['SEP001B54BA2B3C']);
    expect(setup.attempts.at(-1)).toMatchObject({ result: 'added', device: 'SEP001B54BA2B3C' });
  });

  it('refuses the account for a configured device or one without a MAC, and bad account passwords', async () => {
    setup = await setUp({
      autoRegistration: { account: AUTO, add: async () => ({ ok: true, detail: 'added' }) },
    });
    const configured = await ciscoRegister(setup, 'autoreg', '003094C2D5CA', 'Cisco-CP7960G/8.0', AUTO);
    expect([configured.status, configured.reason]).toEqual([403, 'Device Configured']);
    const anonymous = await setup.harness.register({ dn: 'autoreg', contacts: ['<sip:x@192.0.2.10>'] }, AUTO);
    expect([anonymous.status, anonymous.reason]).toEqual([403, 'Unknown Device']);
    const wrong = await ciscoRegister(setup, 'autoreg', '001B54BA2B3C', 'Cisco-CP7960G/8.0', {
      username: 'autoreg',
      password: 'nope',
    });
    expect(wrong.status).toBe(401);
  });

  it('answers 503 when the device cannot be added', async () => {
    setup = await setUp({
      autoRegistration: {
        account: AUTO,
        add: async () => ({ ok: false, detail: 'no free DN in 2000–2001' }),
      },
    });
    const response = await ciscoRegister(setup, 'autoreg', '001B54BA2B3C', 'Cisco-CP7960G/8.0', AUTO);
    expect(response.status).toBe(503);
    expect(setup.tracker.status('SEP001B54BA2B3C')).toMatchObject({
      status: 'rejected',
      reasonCode: 'auto-registration-failed',
      reason: 'no free DN in 2000–2001',
    });
  });
});
