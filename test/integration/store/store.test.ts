import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type RegistrationBinding } from '../../../src/store/index.js';
import { backends, embedded, type StoreUnderTest } from './backends.js';

function binding(
  aor: string,
  contactUri: string,
  expiresAt: Date,
  extra: Partial<RegistrationBinding> = {},
): RegistrationBinding {
  return {
    aor,
    contactUri,
    device: 'phone-201',
    line: '201',
    path: ['<sip:edge.example.net;lr>'],
    expiresAt,
    instanceId: '<urn:uuid:00000000-0000-1000-8000-000000000201>',
    callId: 'reg-1@192.0.2.10',
    cseq: 1,
    userAgent: 'Cisco-CP7960G/8.0',
    sourceAddress: '192.0.2.10',
    sourcePort: 5060,
    transport: 'udp',
    ...extra,
  };
}

const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe.each(backends)('store on $name', (backend) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await backend.open();
  });
  afterAll(() => subject?.dispose());

  it('migrates an empty database to an empty configuration', async () => {
    const rows = await subject.store.configuration.readAll();
    expect(rows.meta).toBeNull();
    expect(rows.registrar).toBeNull();
    expect(rows.partitions).toEqual([]);
    expect(rows.devices).toEqual([]);
    expect(await subject.store.registrations.list()).toEqual([]);
    expect(await subject.store.callRecords.list()).toEqual([]);
  });

  it('upserts, lists, deletes and expires registration bindings', async () => {
    const registrations = subject.store.registrations;
    await registrations.upsert(binding('sip:201@pbx', 'sip:201@192.0.2.10:5060', at(60)));
    await registrations.upsert(binding('sip:201@pbx', 'sip:201@192.0.2.11:5060', at(3600)));
    await registrations.upsert(binding('sip:202@pbx', 'sip:202@192.0.2.12:5060', at(30), { path: [] }));
    // A refresh of the same contact replaces it (RFC 3261 §10.3 step 8).
    await registrations.upsert(binding('sip:201@pbx', 'sip:201@192.0.2.10:5060', at(120), { cseq: 2 }));

    const of201 = await registrations.list('sip:201@pbx');
    expect(of201.map((b) => [b.contactUri, b.cseq, b.expiresAt.toISOString()])).toEqual([
      ['sip:201@192.0.2.10:5060', 2, at(120).toISOString()],
      ['sip:201@192.0.2.11:5060', 1, at(3600).toISOString()],
    ]);
    expect(of201[0]).toEqual(binding('sip:201@pbx', 'sip:201@192.0.2.10:5060', at(120), { cseq: 2 }));

    const expired = await registrations.expire(at(120));
    expect(expired.map((b) => b.contactUri).sort()).toEqual([
      'sip:201@192.0.2.10:5060',
      'sip:202@192.0.2.12:5060',
    ]);
    expect((await registrations.list()).map((b) => b.contactUri)).toEqual(['sip:201@192.0.2.11:5060']);

    expect(await registrations.delete('sip:201@pbx', 'sip:201@192.0.2.11:5060')).toBe(true);
    expect(await registrations.delete('sip:201@pbx', 'sip:201@192.0.2.11:5060')).toBe(false);
    await registrations.upsert(binding('sip:203@pbx', 'sip:203@a', at(60)));
    await registrations.upsert(binding('sip:203@pbx', 'sip:203@b', at(60)));
    expect(await registrations.deleteAor('sip:203@pbx')).toBe(2);
    expect(await registrations.list()).toEqual([]);
  });

  it('inserts call records and lists the newest first, bounded', async () => {
    const calls = subject.store.callRecords;
    const answered = await calls.insert({
      callId: 'a@pbx',
      calling: '201',
      called: '202',
      originalCalled: null,
      setupAt: at(0),
      answerAt: at(5),
      endAt: at(65),
      cause: 'normalClearing',
    });
    expect(answered.duration).toBe(60);
    await calls.insert({
      callId: 'b@pbx',
      calling: '203',
      called: '204',
      originalCalled: '205',
      setupAt: at(100),
      answerAt: null,
      endAt: at(130),
      cause: 'noAnswer',
    });
    const listed = await calls.list();
    expect(listed.map((r) => [r.callId, r.duration, r.originalCalled])).toEqual([
      ['b@pbx', 0, '205'],
      ['a@pbx', 60, null],
    ]);
    expect((await calls.list(1)).map((r) => r.callId)).toEqual(['b@pbx']);
    expect(await calls.list(-5)).toHaveLength(1);
  });

  it('rolls a failed transaction back', async () => {
    const failure = subject.store.withTransaction(async (tx) => {
      await tx.configuration.insert('partition', [{ name: 'doomed', description: '' }]);
      throw new Error('abort');
    });
    await expect(failure).rejects.toThrow('abort');
    expect((await subject.store.configuration.readAll()).partitions).toEqual([]);
  });
});

describe('embedded store in a data directory', () => {
  it('keeps registrations across closing and reopening', async () => {
    const first = await embedded.open();
    try {
      await first.store.registrations.upsert(binding('sip:201@pbx', 'sip:201@192.0.2.10:5060', at(3600)));
      await first.store.close();
      const reopened = await openStore({ dataDir: first.dataDir! });
      try {
        expect(await reopened.registrations.list()).toEqual([
          binding('sip:201@pbx', 'sip:201@192.0.2.10:5060', at(3600)),
        ]);
      } finally {
        await reopened.close();
      }
    } finally {
      await first.dispose();
    }
  });
});
