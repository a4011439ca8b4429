import { describe, expect, it } from 'vitest';
import type { CrudResult } from '../../../../src/admin/index.js';
import {
  type AutoRegistrationSettings,
  checkAutoRegistrationSettings,
  createAutoRegistration,
  type PhoneWriter,
} from '../../../../src/features/auto-registration/index.js';

const SETTINGS: AutoRegistrationSettings = {
  enabled: true,
  account: { username: 'autoreg', password: 'demo-autoreg-pass' },
  directoryNumbers: { first: '0200', last: '0202' },
  partition: 'internal',
  devicePool: 'hq',
  callingSearchSpace: null,
};

/** A configuration service in memory: lines by DN, phones by name; `refusePhones` fails phone creation. */
class MemoryWriter implements PhoneWriter {
  readonly lines = new Map<string, unknown>();
  readonly phones = new Map<string, { name: string; model: string; lines?: { dn: string }[] }>();
  refusePhones = false;
  /** DNs another writer takes just before this one asks for them. */
  readonly takenBehindOurBack = new Set<string>();

  async create(kind: 'line' | 'phone', input: object): Promise<CrudResult<unknown>> {
    if (kind === 'line') {
      const { dn } = input as { dn: string };
      if (this.lines.has(dn) || this.takenBehindOurBack.has(dn))
        return { ok: false, reason: 'exists', message: `line ${dn} exists`, details: [] };
      this.lines.set(dn, input);
      return { ok: true, version: 1, changes: [], object: input };
    }
    if (this.refusePhones) return { ok: false, reason: 'invalid', message: 'model: unknown', details: [] };
    const phone = input as { name: string; model: string; lines?: { dn: string }[] };
    this.phones.set(phone.name, phone);
    return { ok: true, version: 1, changes: [], object: input };
  }

  async remove(_kind: 'line', key: string): Promise<CrudResult<never>> {
    this.lines.delete(key.split('/')[1] ?? '');
    return { ok: true, version: 1, changes: [], object: undefined };
  }

  configuration() {
    return { phones: this.phones, lines: new Map([['internal', this.lines]]) };
  }
}

function setUp(writer = new MemoryWriter()) {
  const auto = createAutoRegistration({
    settings: SETTINGS,
    writer,
    configuration: () => writer.configuration(),
    maxQueued: 2,
  });
  return { writer, auto };
}

const device = (mac: string, model: string | null = '7960G') => ({ name: `SEP${mac}`, identity: { model } });

describe('auto-registration', () => {
  it('gives each new phone the next free DN of the range, zero-padded, skipping numbers taken', async () => {
    const { writer, auto } = setUp();
    writer.lines.set('0200', {});
    writer.takenBehindOurBack.add('0201');
    expect(await auto.add(device('001B54BA2B3C'))).toEqual({
      ok: true,
      detail: 'SEP001B54BA2B3C added with directory number 0202',
    });
    expect(writer.phones.get('SEP001B54BA2B3C')).toMatchObject({
      model: 'Cisco 7960G',
      protocol: 'sip',
      devicePool: 'hq',
      sip: { username: 'SEP001B54BA2B3C', password: expect.stringMatching(/^[\w-]{24}$/) },
      lines: [{ dn: '0202', partition: 'internal', button: 1 }],
    });
    expect(await auto.add(device('001B54BA2B3D'))).toEqual({
      ok: false,
      detail: 'no free directory number in 0200–0202',
    });
  });

  it('runs additions one at a time, so two phones at once get different DNs; an existing phone is not added twice', async () => {
    const { writer, auto } = setUp();
    const results = await Promise.all([
      auto.add(device('000000000001', null)),
      auto.add(device('000000000002')),
      auto.add(device('000000000001', null)),
    ]);
    expect(results.map((result) => result.detail)).toEqual([
      'SEP000000000001 added with directory number 0200',
      'SEP000000000002 added with directory number 0201',
      'SEP000000000001 exists',
    ]);
    expect(writer.phones.get('SEP000000000001')?.model).toBe('SIP phone');
  });

  it('refuses beyond its queue, and removes the line of a phone that could not be created', async () => {
    const { writer, auto } = setUp();
    const burst = await Promise.all(
      ['000000000001', '000000000002', '000000000003', '000000000004', '000000000005'].map((mac) =>
        auto.add(device(mac)),
      ),
    );
    // One in progress and two waiting (maxQueued 2): the other two are refused.
    expect(burst.filter((result) => result.detail === 'auto-registration is busy')).toHaveLength(2);

    const refused = setUp();
    refused.writer.refusePhones = true;
    expect(await refused.auto.add(device('00000000000A'))).toEqual({
      ok: false,
      detail: 'SEP00000000000A not created: model: unknown',
    });
    expect(refused.writer.lines.size).toBe(0);
    expect(writer.lines.size).toBe(3);
  });

  it('checks its settings', () => {
    expect(checkAutoRegistrationSettings(SETTINGS)).toEqual([]);
    expect(
      checkAutoRegistrationSettings({
        ...SETTINGS,
        account: { username: 'autoreg', password: 'short' },
        directoryNumbers: { first: '300', last: '2000' },
        partition: '',
      }),
    ).toEqual([
      'directoryNumbers: first and last must be numbers with the same count of digits',
      'account: a user name and a password of at least 8 characters are needed',
      'partition: required',
    ]);
    expect(
      checkAutoRegistrationSettings({ ...SETTINGS, directoryNumbers: { first: '2999', last: '2000' } }),
    ).toEqual(['directoryNumbers: first must not be above last']);
    expect(() =>
      createAutoRegistration({
        settings: { ...SETTINGS, partition: '' },
        writer: new MemoryWriter(),
        configuration: () => ({ phones: new Map(), lines: new Map() }),
      }),
    ).toThrow(/partition/);
  });
});
