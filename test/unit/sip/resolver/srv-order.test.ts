import { describe, expect, it } from 'vitest';
import { orderSrvRecords } from '../../../../src/sip/resolver/srv-order.js';
import { srv } from './fake-dns.js';

describe('orderSrvRecords (RFC 2782)', () => {
  const records = [
    srv(10, 60, 5060, 'a'),
    srv(10, 40, 5060, 'b'),
    srv(5, 0, 5060, 'c'),
    srv(10, 0, 5060, 'z'),
  ];

  it('puts lower priorities first and lets weight 0 win only a zero draw', () => {
    expect(orderSrvRecords(records, () => 0).map((r) => r.name)).toEqual(['c', 'z', 'a', 'b']);
  });

  it('picks by running sum of weights', () => {
    // Draws in [0, 101): 0.99 → 99 > 60 selects b, then a (only weighted record left), then z.
    expect(orderSrvRecords(records, () => 0.99).map((r) => r.name)).toEqual(['c', 'b', 'a', 'z']);
    // 0.5 → 50 ≤ 60 selects a, then 0.5 of 41 → 20 ≤ 40 selects b.
    expect(orderSrvRecords(records, () => 0.5).map((r) => r.name)).toEqual(['c', 'a', 'b', 'z']);
  });

  it('spreads load in proportion to weight', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    let aFirst = 0;
    const runs = 2000;
    for (let i = 0; i < runs; i++)
      if (orderSrvRecords(records.slice(0, 2), random)[0]!.name === 'a') aFirst++;
    expect(aFirst / runs).toBeGreaterThan(0.5);
    expect(aFirst / runs).toBeLessThan(0.7);
  });

  it('drops "." targets', () => {
    expect(orderSrvRecords([srv(0, 0, 0, '.')], Math.random)).toEqual([]);
  });
});
