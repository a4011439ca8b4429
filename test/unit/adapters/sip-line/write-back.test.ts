/**
 * Write-back persistence: REGISTERs answered from memory, their rows written by a flush the fake
 * clock drives, one row per binding whatever happened to it in between, and at a clean stop.
 */
import { describe, expect, it } from 'vitest';
import { type BindingChange, LocationService } from '../../../../src/adapters/sip-line/location-service.js';
import { FakeClock } from '../../../../src/sip/index.js';
import {
  EPOCH,
  MemoryRegistrations,
  PHONE_201,
  PHONE_202,
  RecordingLogger,
  RegistrarHarness,
} from './harness.js';

const CONTACT = '<sip:phone@192.0.2.10:5060>';
const INTERVAL_MS = 1000;

/** Lets the store write a flush started: the batcher waits for pending I/O before each write. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function writeBackService(
  store: MemoryRegistrations,
  options: { clock?: FakeClock; logger?: RecordingLogger; maxPending?: number } = {},
) {
  const clock = options.clock ?? new FakeClock();
  return new LocationService({
    persistence: store,
    clock,
    wallClock: () => EPOCH + clock.now(),
    logger: options.logger ?? new RecordingLogger(),
    domain: 'strowger.test',
    maxBindingsPerLine: 10,
    mode: 'write-back',
    writeBack: { intervalMs: INTERVAL_MS, maxPending: options.maxPending ?? 100 },
    maxPendingPerLine: 16,
    emit: () => {},
  });
}

function update(dn: string, cseq: number, options: { port?: number; expires?: number } = {}): BindingChange {
  const contact = 'sip:phone@192.0.2.10:5060';
  return {
    line: { dn, partition: 'internal' },
    phone: `phone-${dn}`,
    request: {
      kind: 'update',
      contacts: [{ contact, contactKey: contact, instanceId: null, expires: options.expires ?? 3600 }],
    },
    callId: 'one-call',
    cseq,
    userAgent: null,
    path: [],
    source: { protocol: 'UDP', address: '192.0.2.10', port: options.port ?? 5060 },
  };
}

function removal(dn: string, cseq: number): BindingChange {
  return { ...update(dn, cseq), request: { kind: 'remove-all' } };
}

describe('write-back through the adapter', () => {
  it('answers 200 before the row is written, and writes it once the interval has passed', async () => {
    const harness = new RegistrarHarness({ persistence: 'write-back', writeBackIntervalMs: INTERVAL_MS });
    await harness.adapter.start();
    const response = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(response.status).toBe(200);
    expect(harness.adapter.lookup('201')).toHaveLength(1);
    expect(harness.store.rows.size).toBe(0);
    harness.clock.advance(INTERVAL_MS - 1);
    await settle();
    expect(harness.store.rows.size).toBe(0);
    harness.clock.advance(1);
    await settle();
    expect([...harness.store.rows.values()].map((row) => row.line)).toEqual(['201']);
  });

  it('writes what waits at a clean stop, so a restart restores it', async () => {
    const harness = new RegistrarHarness({ persistence: 'write-back', writeBackIntervalMs: INTERVAL_MS });
    await harness.adapter.start();
    await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    await harness.register({ dn: '202', contacts: [CONTACT] }, PHONE_202);
    expect(harness.store.rows.size).toBe(0);
    await harness.adapter.stop();
    expect(harness.store.batches).toEqual([{ upserts: 2, deletes: 0 }]);
    expect(harness.clock.pending).toBe(0);

    const restarted = harness.createAdapter({ persistence: 'write-back' });
    await restarted.start();
    expect(restarted.registrations().map((view) => view.dn)).toEqual(['201', '202']);
  });

  it('loses at most what changed since the last flush when the node dies without stopping', async () => {
    const harness = new RegistrarHarness({ persistence: 'write-back', writeBackIntervalMs: INTERVAL_MS });
    await harness.adapter.start();
    await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    harness.clock.advance(INTERVAL_MS);
    await settle();
    await harness.register({ dn: '202', contacts: [CONTACT] }, PHONE_202);

    // A crash: the old adapter is never stopped; a new one starts over the same store.
    const restarted = harness.createAdapter({ persistence: 'write-back' });
    await restarted.start();
    expect(restarted.registrations().map((view) => view.dn)).toEqual(['201']);
  });

  it('still writes the row before the 200 in write-through mode', async () => {
    const harness = new RegistrarHarness({ persistence: 'write-through' });
    await harness.adapter.start();
    const response = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(response.status).toBe(200);
    expect([...harness.store.rows.values()].map((row) => row.line)).toEqual(['201']);
    expect(harness.clock.pending).toBeLessThanOrEqual(1); // the expiry timer, no flush
  });
});

describe('write-back in the location service', () => {
  it('keeps only the latest state of a binding changed many times between two flushes', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = writeBackService(store, { clock });
    for (const [cseq, port] of [
      [1, 5060],
      [2, 5070],
      [3, 5080],
    ] as const)
      expect((await location.change(update('201', cseq, { port }))).ok).toBe(true);
    expect(location.unwritten).toBe(1);
    clock.advance(INTERVAL_MS);
    await settle();
    expect(store.batches).toEqual([{ upserts: 1, deletes: 0 }]);
    expect([...store.rows.values()].map((row) => [row.cseq, row.sourcePort])).toEqual([[3, 5080]]);
  });

  it('writes a binding added and removed between two flushes as its removal alone', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = writeBackService(store, { clock });
    await location.change(update('201', 1));
    await location.change(removal('201', 2));
    expect(location.lookup('201')).toEqual([]);
    clock.advance(INTERVAL_MS);
    await settle();
    expect(store.batches).toEqual([{ upserts: 0, deletes: 1 }]);
  });

  it('writes the removal of an expired binding at the next flush', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = writeBackService(store, { clock });
    await location.change(update('201', 1, { expires: 60 }));
    clock.advance(INTERVAL_MS);
    await settle();
    expect(store.rows.size).toBe(1);
    clock.advance(60_000);
    await settle();
    expect(location.lookup('201')).toEqual([]);
    expect(store.rows.size).toBe(0);
  });

  it('refuses new bindings with 503 once the backlog is full, coalesces the waiting ones, logs once', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    const location = writeBackService(store, { clock, logger, maxPending: 2 });
    expect((await location.change(update('201', 1))).ok).toBe(true);
    expect((await location.change(update('202', 1))).ok).toBe(true);
    const busy = { ok: false, status: 503, reason: 'Registrar Busy', retryAfter: 1 };
    expect(await location.change(update('203', 1))).toEqual(busy);
    expect(await location.change(update('204', 1))).toEqual(busy);
    // A binding already waiting may change again: the backlog does not grow.
    expect((await location.change(update('201', 2, { port: 5070 }))).ok).toBe(true);
    expect(location.lookup('203')).toEqual([]);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/falls behind/);

    clock.advance(INTERVAL_MS);
    await settle();
    expect(store.rows.size).toBe(2);
    expect((await location.change(update('203', 1))).ok).toBe(true);
  });

  it('keeps the changes of a failed flush, behind newer ones, and writes them at the next', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    const location = writeBackService(store, { clock, logger });
    await location.change(update('201', 1));
    await location.change(update('202', 1));
    store.failing = true;
    clock.advance(INTERVAL_MS);
    await settle();
    expect(location.unwritten).toBe(2);
    await location.change(update('201', 2, { port: 5070 }));
    clock.advance(INTERVAL_MS);
    await settle();
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);

    store.failing = false;
    clock.advance(INTERVAL_MS);
    await settle();
    expect(location.unwritten).toBe(0);
    expect([...store.rows.values()].map((row) => [row.line, row.sourcePort])).toEqual([
      ['201', 5070],
      ['202', 5060],
    ]);
    expect(logger.lines.at(-1)?.message).toBe('registrations written again');
  });

  it('rejects the stop when the last flush fails, and nothing stays armed', async () => {
    const store = new MemoryRegistrations();
    const clock = new FakeClock();
    const location = writeBackService(store, { clock });
    await location.change(update('201', 1));
    store.failing = true;
    await expect(location.stop()).rejects.toThrow('database unavailable');
    expect(clock.pending).toBe(0);
  });
});
