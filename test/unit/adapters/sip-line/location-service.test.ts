/** Group commit in the location service: what shares a store write, and what a failed one means. */
import { describe, expect, it } from 'vitest';
import { type BindingChange, LocationService } from '../../../../src/adapters/sip-line/location-service.js';
import { buildSnapshot } from '../../../../src/admin/index.js';
import { FakeClock, silentLogger } from '../../../../src/sip/index.js';
import type { RegistrationBinding } from '../../../../src/store/index.js';
import { emptyRows } from '../../../helpers/config-rows.js';
import {
  contactsOf,
  demoSnapshot,
  EPOCH,
  MemoryRegistrations,
  PHONE_201,
  PHONE_202,
  RecordingLogger,
  RegistrarHarness,
} from './harness.js';

const CONTACT = '<sip:phone@192.0.2.10:5060>';

describe('REGISTERs through the adapter', () => {
  it('writes REGISTERs of different lines that arrive together in one store write', async () => {
    const harness = new RegistrarHarness();
    await harness.adapter.start();
    const responses = await Promise.all([
      harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201),
      harness.register({ dn: '202', contacts: [CONTACT] }, PHONE_202),
      harness.register({ dn: '205', contacts: [CONTACT] }, PHONE_201),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(responses.map((response) => contactsOf(response).length)).toEqual([1, 1, 1]);
    expect(harness.store.batches).toEqual([{ upserts: 3, deletes: 0 }]);
    expect(harness.store.rows.size).toBe(3);
  });

  it('answers 500 to every REGISTER of a failed write and binds none of them', async () => {
    const harness = new RegistrarHarness();
    await harness.adapter.start();
    await harness.register({ dn: '202', contacts: [CONTACT], callId: 'kept', cseq: 1 }, PHONE_202);
    harness.store.failing = true;
    const responses = await Promise.all([
      harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201),
      harness.register({ dn: '202', contacts: ['*'], expires: 0, callId: 'kept', cseq: 3 }, PHONE_202),
    ]);
    expect(responses.map((response) => response.status)).toEqual([500, 500]);
    expect(harness.adapter.registrations().map((view) => view.dn)).toEqual(['202']);
    harness.store.failing = false;
    const retried = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(retried.status).toBe(200);
    expect(harness.adapter.registrations().map((view) => view.dn)).toEqual(['201', '202']);
  });
});

/** A store whose writes wait until released. */
class HeldRegistrations extends MemoryRegistrations {
  private held: (() => void)[] = [];

  override async applyBatch(
    upserts: readonly RegistrationBinding[],
    deletes: readonly Pick<RegistrationBinding, 'aor' | 'contactUri'>[],
  ): Promise<void> {
    await new Promise<void>((resolve) => this.held.push(resolve));
    return super.applyBatch(upserts, deletes);
  }

  /** Lets the next write go on, once the event loop has started it. */
  async release(): Promise<void> {
    for (let turn = 0; turn < 10 && this.held.length === 0; turn++)
      await new Promise((resolve) => setImmediate(resolve));
    const held = this.held;
    this.held = [];
    for (const resolve of held) resolve();
  }
}

function service(
  store: MemoryRegistrations,
  writeLimits = { maxBatch: 500, maxQueued: 5000 },
  clock = new FakeClock(),
) {
  return new LocationService({
    persistence: store,
    clock,
    wallClock: () => EPOCH + clock.now(),
    logger: silentLogger,
    domain: 'strowger.test',
    maxBindingsPerLine: 10,
    maxPendingPerLine: 16,
    writeLimits,
    emit: () => {},
  });
}

function update(
  dn: string,
  cseq: number,
  contact = 'sip:phone@192.0.2.10:5060',
  expires = 3600,
): BindingChange {
  return {
    line: { dn, partition: 'internal' },
    phone: `phone-${dn}`,
    request: {
      kind: 'update',
      contacts: [{ contact, contactKey: contact, instanceId: null, expires }],
    },
    callId: 'one-call',
    cseq,
    userAgent: null,
    path: [],
    source: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
  };
}

describe('LocationService', () => {
  it('refuses with 503 a change that would overfill the store backlog, and keeps the others', async () => {
    const store = new HeldRegistrations();
    const location = service(store, { maxBatch: 500, maxQueued: 2 });
    const accepted = [location.change(update('201', 1)), location.change(update('202', 1))];
    const refused = await location.change(update('203', 1));
    expect(refused).toEqual({ ok: false, status: 503, reason: 'Registrar Busy', retryAfter: 1 });
    await store.release();
    const results = await Promise.all(accepted);
    expect(results.map((result) => result.ok)).toEqual([true, true]);
    expect(location.lookup('203')).toEqual([]);
    expect(store.batches).toEqual([{ upserts: 2, deletes: 0 }]);
  });

  it("keeps one line's changes in order: the later waits for the earlier's write and wins", async () => {
    const store = new HeldRegistrations();
    const location = service(store);
    const first = location.change(update('201', 2));
    const second = location.change(update('201', 3, 'sip:phone@192.0.2.10:5062'));
    const other = location.change(update('202', 1));
    await store.release();
    expect((await first).ok).toBe(true);
    expect((await other).ok).toBe(true);
    await store.release();
    expect((await second).ok).toBe(true);
    expect(store.batches).toEqual([
      { upserts: 2, deletes: 0 },
      { upserts: 1, deletes: 0 },
    ]);
    expect(location.lookup('201').map((binding) => [binding.contact, binding.cseq])).toEqual([
      ['sip:phone@192.0.2.10:5060', 2],
      ['sip:phone@192.0.2.10:5062', 3],
    ]);
  });

  it('deletes the rows of bindings dropped at restore in bounded batches', async () => {
    const store = new MemoryRegistrations();
    const writer = service(store);
    await Promise.all(Array.from({ length: 7 }, (_, i) => writer.change(update(String(301 + i), 1))));
    const restored = service(store, { maxBatch: 3, maxQueued: 3 });
    const empty = buildSnapshot(emptyRows());
    expect(await restored.restore(empty)).toEqual({ restored: 0, dropped: 7 });
    expect(store.rows.size).toBe(0);
    expect(store.batches.slice(1)).toEqual([
      { upserts: 0, deletes: 3 },
      { upserts: 0, deletes: 3 },
      { upserts: 0, deletes: 1 },
    ]);
  });
});

describe('LocationService refreshes', () => {
  /** The stored expiry of the one row, in seconds after the fake clock's start. */
  const storedExpiry = (store: MemoryRegistrations) =>
    ([...store.rows.values()][0]?.expiresAt.getTime() ?? Number.NaN) / 1000 - EPOCH / 1000;

  it('leaves the row alone while its expiry is at least half the granted interval away', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = service(store, undefined, clock);
    await location.change(update('201', 1));
    clock.advance(1_799_000);
    const refreshed = await location.change(update('201', 2));
    expect(refreshed.ok).toBe(true);
    expect(store.batches).toEqual([{ upserts: 1, deletes: 0 }]);
    expect(storedExpiry(store)).toBe(3600);
    const [binding] = location.lookup('201');
    expect([binding?.cseq, binding?.expiresAt]).toEqual([2, 1_799_000 + 3_600_000]);
  });

  it('leaves the row alone for a refresh under a new Call-ID, which memory keeps', async () => {
    const store = new MemoryRegistrations();
    const location = service(store);
    await location.change(update('201', 7));
    const refreshed = await location.change({ ...update('201', 1), callId: 'next-call' });
    expect(refreshed.ok).toBe(true);
    expect(store.batches).toHaveLength(1);
    expect([...store.rows.values()].map((row) => [row.callId, row.cseq])).toEqual([['one-call', 7]]);
    expect(location.lookup('201').map((binding) => [binding.callId, binding.cseq])).toEqual([
      ['next-call', 1],
    ]);
  });

  it('writes the refresh once the stored expiry is less than half the interval away', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = service(store, undefined, clock);
    await location.change(update('201', 1));
    clock.advance(1_801_000);
    await location.change(update('201', 2));
    expect(store.batches).toEqual([
      { upserts: 1, deletes: 0 },
      { upserts: 1, deletes: 0 },
    ]);
    expect(storedExpiry(store)).toBe(1801 + 3600);
    expect([...store.rows.values()][0]?.cseq).toBe(2);
  });

  it('writes a refresh granted less time than the row holds', async () => {
    const store = new MemoryRegistrations();
    const location = service(store);
    await location.change(update('201', 1));
    await location.change(update('201', 2, undefined, 600));
    expect(store.batches).toHaveLength(2);
    expect(storedExpiry(store)).toBe(600);
  });

  it('writes a refresh from another source address, with the new address', async () => {
    const store = new MemoryRegistrations();
    const location = service(store);
    await location.change(update('201', 1));
    const moved = update('201', 2);
    await location.change({ ...moved, source: { ...moved.source, port: 5070 } });
    expect(store.batches).toHaveLength(2);
    expect([...store.rows.values()][0]?.sourcePort).toBe(5070);
  });

  it('restores a binding whose refreshes were not written with the stored, earlier expiry', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = service(store, undefined, clock);
    await location.change(update('201', 1));
    clock.advance(1_000_000);
    await location.change(update('201', 2));
    const restarted = service(store, undefined, clock);
    const snapshot = demoSnapshot();
    expect(await restarted.restore(snapshot)).toEqual({ restored: 1, dropped: 0 });
    expect(restarted.lookup('201').map((binding) => binding.expiresAt)).toEqual([3_600_000]);
  });
});

describe('LocationService store upkeep', () => {
  /** A store that counts its VACUUMs. */
  class VacuumedRegistrations extends MemoryRegistrations {
    vacuums = 0;
    async vacuum(): Promise<void> {
      this.vacuums++;
    }
  }

  it('vacuums the store once every so many rows written, and logs it', async () => {
    const store = new VacuumedRegistrations();
    const logger = new RecordingLogger();
    const clock = new FakeClock();
    const location = new LocationService({
      persistence: store,
      clock,
      wallClock: () => EPOCH + clock.now(),
      logger,
      domain: 'strowger.test',
      maxBindingsPerLine: 10,
      maxPendingPerLine: 16,
      vacuumEveryRows: 3,
      emit: () => {},
    });
    await location.change(update('201', 1));
    await location.change(update('202', 1));
    expect(store.vacuums).toBe(0);
    await location.change(update('203', 1));
    await location.change(update('204', 1));
    expect(store.vacuums).toBe(1);
    expect(logger.lines.filter((line) => line.message === 'registrations table vacuumed')).toHaveLength(1);
    await location.change(update('205', 1));
    await location.change(update('206', 1));
    expect(store.vacuums).toBe(2);
  });
});
