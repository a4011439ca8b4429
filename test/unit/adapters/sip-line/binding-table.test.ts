/** The binding table's lookups and its one-timer expiry schedule, on a fake clock. */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../../src/adapters/sip-line/binding.js';
import { BindingTable } from '../../../../src/adapters/sip-line/binding-table.js';
import { FakeClock } from '../../../../src/sip/index.js';

function binding(dn: string, contactKey: string, expiresAt: number, partition = 'internal'): Binding {
  return {
    line: { dn, partition },
    phone: `phone-${dn}`,
    contact: `sip:${contactKey}`,
    contactKey,
    instanceId: null,
    path: [],
    callId: 'call',
    cseq: 1,
    userAgent: null,
    source: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
    expiresAt,
    storedUntil: expiresAt,
  };
}

function table() {
  const clock = new FakeClock();
  const expired: Binding[] = [];
  const bindings = new BindingTable(clock, (gone) => {
    expired.push(gone);
    bindings.remove(gone);
  });
  return { clock, expired, bindings };
}

describe('BindingTable', () => {
  it('keeps lines apart by partition and contacts apart by key, in registration order', () => {
    const { bindings } = table();
    const live = (partition?: string, now = 0) => bindings.live('201', partition, now);
    const first = binding('201', 'a', 1000);
    const other = binding('201', 'a', 1000, 'external');
    const second = binding('201', 'b', 1000);
    for (const each of [first, other, second]) bindings.set(each);
    expect(bindings.size).toBe(3);
    expect(live('internal')).toEqual([first, second]);
    expect(live()).toEqual([first, other, second]);
    expect(live(undefined, 999)).toEqual([first, other, second]);
    expect(live(undefined, 1000)).toEqual([]);
    expect(bindings.live('202', undefined, 0)).toEqual([]);
    expect(bindings.get({ dn: '201', partition: 'external' }, 'a')).toBe(other);
    const replaced = binding('201', 'a', 2000);
    bindings.set(replaced);
    expect(bindings.size).toBe(3);
    expect(live('internal')).toEqual([replaced, second]);
    expect(live('internal', 1500)).toEqual([replaced]);
    expect(bindings.remove(first)).toBe(false);
    expect(bindings.remove(replaced)).toBe(true);
    expect([...bindings.all()]).toEqual([other, second]);
  });

  it('reports each binding once at its own expiry, earliest first, whatever the order of arrival', () => {
    const { clock, expired, bindings } = table();
    const expiries = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) * 10 + 10);
    for (const [i, at] of expiries.entries()) bindings.set(binding(String(1000 + i), 'a', at));
    clock.advance(1000);
    expect(expired.map((gone) => gone.expiresAt)).toEqual(
      [...expiries].sort((a, b) => a - b).filter((at) => at <= 1000),
    );
    clock.advance(1000);
    expect(expired).toHaveLength(200);
    expect(bindings.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('reports a refreshed binding at its new expiry only, and a removed one never', () => {
    const { clock, expired, bindings } = table();
    const early = binding('201', 'a', 100);
    const removed = binding('202', 'a', 150);
    bindings.set(early);
    bindings.set(removed);
    const refreshed = { ...early, expiresAt: 500 };
    bindings.set(refreshed);
    bindings.remove(removed);
    clock.advance(499);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual([refreshed]);
  });

  it('reports bindings refreshed later and earlier, among others, each at its latest expiry in order', () => {
    const { clock, expired, bindings } = table();
    const lines = Array.from({ length: 50 }, (_, i) => String(300 + i));
    for (const [i, dn] of lines.entries()) bindings.set(binding(dn, 'a', 100 + i));
    // Every even line refreshed three times, each later; every line divisible by 5 then earlier.
    const final = new Map(lines.map((dn, i) => [dn, 100 + i]));
    for (let round = 1; round <= 3; round++)
      for (const [i, dn] of lines.entries()) if (i % 2 === 0) final.set(dn, 1000 * round + i);
    for (const [i, dn] of lines.entries()) if (i % 5 === 0) final.set(dn, 50 + i);
    for (const [dn, at] of final) bindings.set(binding(dn, 'a', at));
    clock.advance(99);
    expect(expired.map((gone) => gone.line.dn)).toEqual(lines.filter((_, i) => i % 5 === 0 && 50 + i <= 99));
    clock.advance(5000);
    expect(expired.map((gone) => gone.expiresAt)).toEqual([...final.values()].sort((a, b) => a - b));
    expect(bindings.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('reports again a binding refreshed after its expiry was reported but before it was removed', () => {
    const clock = new FakeClock();
    const expired: Binding[] = [];
    const bindings = new BindingTable(clock, (gone) => expired.push(gone));
    const first = binding('201', 'a', 100);
    bindings.set(first);
    clock.advance(100);
    const refreshed = { ...first, expiresAt: 300 };
    bindings.set(refreshed);
    expect(bindings.remove(first)).toBe(false);
    clock.advance(200);
    expect(expired).toEqual([first, refreshed]);
  });

  it('disarms its timer when cleared', () => {
    const { clock, expired, bindings } = table();
    bindings.set(binding('201', 'a', 100));
    bindings.clear();
    clock.advance(1000);
    expect([expired.length, bindings.size, clock.pending]).toEqual([0, 0, 0]);
  });
});
