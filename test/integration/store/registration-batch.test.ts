/**
 * RegistrationRepository.applyBatch on each backend: many upserts and deletes in one call, every
 * column surviving the trip (arrays, nulls, timestamps, large counters), all or nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrationBinding } from '../../../src/store/index.js';
import { backends, type StoreUnderTest } from './backends.js';

const t0 = Date.parse('2030-01-01T00:00:00.000Z');

function binding(line: number, extra: Partial<RegistrationBinding> = {}): RegistrationBinding {
  return {
    aor: `sip:${line}@pbx`,
    contactUri: `sip:${line}@192.0.2.10:5060;transport=udp`,
    device: `phone-${line}`,
    line: String(line),
    path: [],
    expiresAt: new Date(t0 + line * 1000),
    instanceId: null,
    callId: `reg-${line}@192.0.2.10`,
    cseq: 1,
    userAgent: null,
    sourceAddress: '192.0.2.10',
    sourcePort: 5060,
    transport: 'UDP',
    ...extra,
  };
}

const byKey = (a: RegistrationBinding, b: RegistrationBinding) =>
  a.aor === b.aor ? (a.contactUri < b.contactUri ? -1 : 1) : a.aor < b.aor ? -1 : 1;

describe.each(backends)('registration batches on $name', (backend) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await backend.open();
  });
  afterAll(() => subject?.dispose());
  beforeEach(async () => {
    const rows = await subject.store.registrations.list();
    await subject.store.registrations.applyBatch([], rows);
  });

  it('writes a batch of 500 rows and reads every column back as written', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => binding(2001 + i));
    rows[7] = binding(2008, {
      path: ['<sip:edge.example.net;lr>', '<sip:"quoted",comma@core.example.net;lr>'],
      instanceId: '<urn:uuid:00000000-0000-1000-8000-000000000201>',
      userAgent: 'Cisco-CP7960G/8.0 "quoted" \\ back\u00e9',
      cseq: 2 ** 40,
      expiresAt: new Date(t0 + 123),
    });
    await subject.store.registrations.applyBatch(rows, []);
    expect(await subject.store.registrations.list()).toEqual([...rows].sort(byKey));
  });

  it('replaces every column of an existing row and deletes others in the same call', async () => {
    await subject.store.registrations.applyBatch([binding(1), binding(2), binding(3)], []);
    const refreshed = binding(1, {
      device: null,
      line: null,
      path: ['<sip:p1;lr>'],
      callId: 'other',
      cseq: 9,
      sourcePort: 5070,
      transport: 'TCP',
      expiresAt: new Date(t0 + 3_600_000),
    });
    await subject.store.registrations.applyBatch(
      [refreshed],
      [
        { aor: 'sip:2@pbx', contactUri: binding(2).contactUri },
        { aor: 'sip:9@pbx', contactUri: 'sip:nobody' },
      ],
    );
    expect(await subject.store.registrations.list()).toEqual([refreshed, binding(3)]);
  });

  it('deletes many rows by key, leaving other contacts of the same AOR', async () => {
    const other = binding(5, { contactUri: 'sip:5@192.0.2.99' });
    await subject.store.registrations.applyBatch([binding(4), binding(5), other], []);
    await subject.store.registrations.applyBatch(
      [],
      [
        { aor: 'sip:4@pbx', contactUri: binding(4).contactUri },
        { aor: 'sip:5@pbx', contactUri: binding(5).contactUri },
      ],
    );
    expect(await subject.store.registrations.list()).toEqual([other]);
  });

  it('writes nothing of a batch that fails, deletes included', async () => {
    await subject.store.registrations.applyBatch([binding(6)], []);
    // A NOT NULL column left empty makes the upsert fail after the delete ran.
    const broken = { ...binding(7), callId: null } as unknown as RegistrationBinding;
    await expect(
      subject.store.registrations.applyBatch(
        [binding(8), broken],
        [{ aor: 'sip:6@pbx', contactUri: binding(6).contactUri }],
      ),
    ).rejects.toThrow();
    expect(await subject.store.registrations.list()).toEqual([binding(6)]);
  });
});
