import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/sip/clock.js';
import {
  CleanupTimers,
  cleanupResolution,
  type Expirable,
  ExpiryQueue,
  MAX_CLEANUP_LATENESS_MS,
} from '../../../../src/sip/transaction/expiry-queue.js';

const DURATION = 32_000;
const RESOLUTION = 250;

function recorder(clock: FakeClock, fired: { name: string; at: number }[], name: string): Expirable {
  return { expire: () => fired.push({ name, at: clock.now() }) };
}

describe('cleanup timers on a shared FIFO', () => {
  it('fires a lone entry exactly at its deadline', () => {
    const clock = new FakeClock();
    const queue = new ExpiryQueue(clock, DURATION, RESOLUTION);
    const fired: { name: string; at: number }[] = [];
    queue.add(recorder(clock, fired, 'a'));
    clock.advance(DURATION - 1);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ name: 'a', at: DURATION }]);
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('never fires early, at most one resolution late, in order, on one clock timer', () => {
    const clock = new FakeClock();
    const queue = new ExpiryQueue(clock, DURATION, RESOLUTION);
    const fired: { name: string; at: number }[] = [];
    const deadlines = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const name = `t${i}`;
      deadlines.set(name, clock.now() + DURATION);
      queue.add(recorder(clock, fired, name));
      expect(clock.pending).toBe(1);
      clock.advance(7);
    }
    clock.advance(DURATION + RESOLUTION);
    expect(fired.map((entry) => entry.name)).toEqual([...deadlines.keys()]);
    for (const { name, at } of fired) {
      const deadline = deadlines.get(name)!;
      expect(at).toBeGreaterThanOrEqual(deadline);
      expect(at).toBeLessThanOrEqual(deadline + RESOLUTION);
    }
    // Deadlines 7 ms apart: a clock timer per quarter second, not one per entry.
    expect(new Set(fired.map((entry) => entry.at)).size).toBeLessThan(fired.length / 10);
    expect(clock.pending).toBe(0);
  });

  it('forgets cancelled entries and stops its clock timer once none is left', () => {
    const clock = new FakeClock();
    const queue = new ExpiryQueue(clock, DURATION, RESOLUTION);
    const fired: { name: string; at: number }[] = [];
    const a = queue.add(recorder(clock, fired, 'a'));
    clock.advance(10);
    const b = queue.add(recorder(clock, fired, 'b'));
    queue.add(recorder(clock, fired, 'c'));
    queue.cancel(b);
    queue.cancel(b); // twice is harmless
    queue.cancel(a);
    expect(queue.size).toBe(1);
    clock.advance(DURATION + RESOLUTION);
    expect(fired.map((entry) => entry.name)).toEqual(['c']);
    queue.cancel(a); // after it would have fired: ignored
    const d = queue.add(recorder(clock, fired, 'd'));
    queue.cancel(d);
    expect(clock.pending).toBe(0);
    clock.advance(2 * DURATION);
    expect(fired.map((entry) => entry.name)).toEqual(['c']);
  });

  it('keeps tickets valid across compaction of a long queue', () => {
    const clock = new FakeClock();
    const queue = new ExpiryQueue(clock, DURATION, RESOLUTION);
    const fired: string[] = [];
    const tickets: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      tickets.push(queue.add({ expire: () => fired.push(`t${i}`) }));
      clock.advance(1);
    }
    clock.advance(DURATION - 10_000 + 5_000); // about half have expired: the prefix is compacted
    const firedBefore = fired.length;
    expect(firedBefore).toBeGreaterThan(4_000);
    queue.cancel(tickets[9_999]!);
    queue.cancel(tickets[0]!); // already fired
    clock.advance(DURATION);
    expect(fired).toHaveLength(9_999);
    expect(fired).not.toContain('t9999');
    expect(queue.size).toBe(0);
  });

  it('handles entries added and cancelled from within expire(), and survives one that throws', () => {
    const clock = new FakeClock();
    const queue = new ExpiryQueue(clock, DURATION, RESOLUTION);
    const fired: { name: string; at: number }[] = [];
    let later = 0;
    queue.add({
      expire: () => {
        fired.push({ name: 'first', at: clock.now() });
        queue.add(recorder(clock, fired, 'added'));
        queue.cancel(later);
      },
    });
    queue.add({
      expire: () => {
        throw new Error('expire failed');
      },
    });
    later = queue.add(recorder(clock, fired, 'cancelled'));
    queue.add(recorder(clock, fired, 'after the throw'));
    expect(() => clock.advance(DURATION)).toThrow('expire failed');
    clock.advance(RESOLUTION);
    expect(fired).toEqual([
      { name: 'first', at: DURATION },
      { name: 'after the throw', at: DURATION + RESOLUTION },
    ]);
    clock.advance(DURATION);
    expect(fired.map((entry) => entry.name)).toContain('added');
    expect(fired.at(-1)?.at).toBe(2 * DURATION);
    expect(clock.pending).toBe(0);
  });

  it('clear() drops every entry and the clock timer', () => {
    const clock = new FakeClock();
    const timers = new CleanupTimers(clock);
    const fired: { name: string; at: number }[] = [];
    timers.queue(DURATION).add(recorder(clock, fired, 'j'));
    timers.queue(5_000).add(recorder(clock, fired, 'k'));
    expect(timers.queue(DURATION)).toBe(timers.queue(DURATION));
    expect(clock.pending).toBe(2);
    timers.clear();
    expect(clock.pending).toBe(0);
    clock.advance(2 * DURATION);
    expect(fired).toEqual([]);
  });

  it('scales the lateness down for short durations', () => {
    expect(cleanupResolution(64 * 500)).toBe(MAX_CLEANUP_LATENESS_MS);
    expect(cleanupResolution(800)).toBe(100);
  });
});
