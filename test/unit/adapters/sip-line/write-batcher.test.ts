import { describe, expect, it } from 'vitest';
import {
  type RowChange,
  type RowKey,
  WriteBatcher,
} from '../../../../src/adapters/sip-line/write-batcher.js';
import type { RegistrationBinding } from '../../../../src/store/index.js';

function row(aor: string, contactUri: string, cseq = 1): RegistrationBinding {
  return {
    aor,
    contactUri,
    device: null,
    line: null,
    path: [],
    expiresAt: new Date(0),
    instanceId: null,
    callId: 'c',
    cseq,
    userAgent: null,
    sourceAddress: '192.0.2.10',
    sourcePort: 5060,
    transport: 'UDP',
  };
}

const upsert = (aor: string, contact: string, cseq = 1): RowChange => ({
  kind: 'upsert',
  row: row(aor, contact, cseq),
});
const remove = (aor: string, contactUri: string): RowChange => ({ kind: 'delete', aor, contactUri });

/**
 * A store whose writes finish when the test says so, and an event loop turned by hand: `turn()`
 * runs what the batcher deferred until pending I/O was read.
 */
class Harness {
  readonly writes: {
    upserts: RegistrationBinding[];
    deletes: RowKey[];
    finish: (error?: Error) => void;
  }[] = [];
  private deferred: (() => void)[] = [];
  readonly batcher: WriteBatcher;

  constructor(limits = { maxBatch: 500, maxQueued: 5000 }) {
    this.batcher = new WriteBatcher(
      (upserts, deletes) =>
        new Promise<void>((resolve, reject) => {
          this.writes.push({ upserts, deletes, finish: (error) => (error ? reject(error) : resolve()) });
        }),
      limits,
      (task) => this.deferred.push(task),
    );
  }

  /** Lets promise callbacks settle, runs the deferred tasks, and lets their callbacks settle. */
  async turn(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const tasks = this.deferred;
    this.deferred = [];
    for (const task of tasks) task();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

/** Resolves to the settled state of `promise` without waiting for it. */
async function state(promise: Promise<void>): Promise<'pending' | 'resolved' | 'rejected'> {
  let result: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (result = 'resolved'),
    () => (result = 'rejected'),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return result;
}

describe('WriteBatcher', () => {
  it('writes nothing until pending I/O is read, then everything submitted meanwhile at once', async () => {
    const { batcher, writes, turn } = bind(new Harness());
    const first = batcher.submit([upsert('sip:201@pbx', 'sip:a')]);
    const second = batcher.submit([upsert('sip:202@pbx', 'sip:b'), remove('sip:202@pbx', 'sip:old')]);
    expect(writes).toHaveLength(0);
    await turn();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.upserts.map((r) => r.aor)).toEqual(['sip:201@pbx', 'sip:202@pbx']);
    expect(writes[0]!.deletes).toEqual([{ aor: 'sip:202@pbx', contactUri: 'sip:old' }]);
    expect(await state(first)).toBe('pending');
    writes[0]!.finish();
    expect([await state(first), await state(second)]).toEqual(['resolved', 'resolved']);
  });

  it('collects what arrives during a write into the next one, answered only when that one commits', async () => {
    const { batcher, writes, turn } = bind(new Harness());
    const first = batcher.submit([upsert('sip:201@pbx', 'sip:a')]);
    await turn();
    const later = [202, 203, 204].map((line) => batcher.submit([upsert(`sip:${line}@pbx`, 'sip:a')]));
    expect(batcher.queued).toBe(3);
    writes[0]!.finish();
    expect(await state(first)).toBe('resolved');
    expect(await state(later[0]!)).toBe('pending');
    await turn();
    expect(writes).toHaveLength(2);
    expect(writes[1]!.upserts).toHaveLength(3);
    writes[1]!.finish();
    for (const promise of later) expect(await state(promise)).toBe('resolved');
    expect(batcher.queued).toBe(0);
  });

  it('keeps one change per row, the latest submitted', async () => {
    const { batcher, writes, turn } = bind(new Harness());
    void batcher.submit([upsert('sip:201@pbx', 'sip:a', 1), upsert('sip:201@pbx', 'sip:b', 1)]);
    void batcher.submit([upsert('sip:201@pbx', 'sip:a', 2), remove('sip:201@pbx', 'sip:b')]);
    void batcher.submit([remove('sip:202@pbx', 'sip:c')]);
    void batcher.submit([upsert('sip:202@pbx', 'sip:c', 7)]);
    await turn();
    expect(writes[0]!.upserts.map((r) => [r.aor, r.contactUri, r.cseq])).toEqual([
      ['sip:201@pbx', 'sip:a', 2],
      ['sip:202@pbx', 'sip:c', 7],
    ]);
    expect(writes[0]!.deletes).toEqual([{ aor: 'sip:201@pbx', contactUri: 'sip:b' }]);
  });

  it('bounds a write without splitting a submission; a larger submission goes alone', async () => {
    const { batcher, writes, turn } = bind(new Harness({ maxBatch: 3, maxQueued: 100 }));
    const changes = (line: number, count: number) =>
      Array.from({ length: count }, (_, i) => upsert(`sip:${line}@pbx`, `sip:${i}`));
    void batcher.submit(changes(201, 2));
    void batcher.submit(changes(202, 2));
    void batcher.submit(changes(203, 5));
    void batcher.submit(changes(204, 1));
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await turn();
      sizes.push(writes[i]!.upserts.length);
      writes[i]!.finish();
      await turn();
    }
    expect(sizes).toEqual([2, 2, 5]);
    await turn();
    expect(writes[3]!.upserts).toHaveLength(1);
  });

  it('refuses new work beyond the backlog bound, the write in flight not counted; submit always queues', async () => {
    const { batcher, writes, turn } = bind(new Harness({ maxBatch: 10, maxQueued: 2 }));
    expect(batcher.tryWrite([upsert('sip:1@pbx', 'sip:a'), upsert('sip:2@pbx', 'sip:a')])).toBeDefined();
    await turn();
    expect(writes).toHaveLength(1);
    expect(batcher.tryWrite([upsert('sip:3@pbx', 'sip:a')])).toBeDefined();
    expect(batcher.tryWrite([upsert('sip:4@pbx', 'sip:a')])).toBeDefined();
    expect(batcher.tryWrite([upsert('sip:5@pbx', 'sip:a')])).toBeUndefined();
    expect(batcher.tryWrite([])).toBeDefined();
    const expiry = batcher.submit([remove('sip:6@pbx', 'sip:a')]);
    expect(batcher.queued).toBe(3);
    writes[0]!.finish();
    await turn();
    writes[1]!.finish();
    expect(await state(expiry)).toBe('resolved');
  });

  it('rejects every submitter of a failed write, and goes on with the next batch', async () => {
    const { batcher, writes, turn } = bind(new Harness());
    const failed = [
      batcher.submit([upsert('sip:1@pbx', 'sip:a')]),
      batcher.submit([remove('sip:2@pbx', 'sip:a')]),
    ];
    await turn();
    const next = batcher.submit([upsert('sip:3@pbx', 'sip:a')]);
    writes[0]!.finish(new Error('database unavailable'));
    for (const promise of failed) await expect(promise).rejects.toThrow('database unavailable');
    await turn();
    writes[1]!.finish();
    expect(await state(next)).toBe('resolved');
  });

  it('resolves an empty submission at once, writing nothing', async () => {
    const { batcher, writes, turn } = bind(new Harness());
    expect(await state(batcher.submit([]))).toBe('resolved');
    await turn();
    expect(writes).toHaveLength(0);
  });
});

function bind(harness: Harness) {
  return { batcher: harness.batcher, writes: harness.writes, turn: () => harness.turn() };
}
