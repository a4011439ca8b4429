import { describe, expect, it } from 'vitest';
import { PortPool } from '../../../src/media/port-pool.js';

describe('port pool', () => {
  it('hands out even/odd pairs inside the range and reuses released pairs last', () => {
    const pool = new PortPool(20001, 20010);
    expect(pool.capacity).toBe(4); // 20002, 20004, 20006, 20008 (20010 has no odd partner in range)
    const first = pool.take()!;
    expect(first).toEqual({ rtp: 20002, rtcp: 20003 });
    pool.give(first);
    expect(pool.take()!.rtp).toBe(20004);
    expect(pool.take()!.rtp).toBe(20006);
    expect(pool.take()!.rtp).toBe(20008);
    expect(pool.take()!.rtp).toBe(20002);
    expect(pool.take()).toBeNull();
    expect(pool.used).toBe(4);
  });

  it('ignores giving back a pair twice or one it never gave', () => {
    const pool = new PortPool(30000, 30003);
    const pair = pool.take()!;
    pool.give(pair);
    pool.give(pair);
    pool.give({ rtp: 40000, rtcp: 40001 });
    expect(pool.available).toBe(2);
    expect(pool.used).toBe(0);
  });

  it('stays compact through many cycles', () => {
    const pool = new PortPool(10000, 10099);
    for (let i = 0; i < 100000; i++) pool.give(pool.take()!);
    expect(pool.available).toBe(50);
    expect(pool.used).toBe(0);
  });

  it('rejects a bad range', () => {
    expect(() => new PortPool(100, 10)).toThrow(RangeError);
    expect(() => new PortPool(0, 10)).toThrow(RangeError);
    expect(() => new PortPool(1, 70000)).toThrow(RangeError);
  });
});
