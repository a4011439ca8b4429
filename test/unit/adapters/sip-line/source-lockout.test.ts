import { describe, expect, it } from 'vitest';
import { SourceLockout } from '../../../../src/adapters/sip-line/source-lockout.js';

const policy = { failures: 3, windowMs: 1000, durationMs: 5000 };

describe('SourceLockout', () => {
  it('locks a source out at the configured count within the window, for the duration', () => {
    const lockout = new SourceLockout(policy);
    expect(lockout.recordFailure('a', 0)).toBe(false);
    expect(lockout.recordFailure('a', 100)).toBe(false);
    expect(lockout.isLocked('a', 100)).toBe(false);
    expect(lockout.recordFailure('a', 200)).toBe(true);
    expect(lockout.isLocked('a', 200)).toBe(true);
    expect(lockout.isLocked('b', 200)).toBe(false);
    expect(lockout.isLocked('a', 5199)).toBe(true);
    expect(lockout.isLocked('a', 5200)).toBe(false);
    expect(lockout.lockedCount(300)).toBe(1);
  });

  it('does not count failures older than the window', () => {
    const lockout = new SourceLockout(policy);
    lockout.recordFailure('a', 0);
    lockout.recordFailure('a', 500);
    expect(lockout.recordFailure('a', 1000)).toBe(false);
    expect(lockout.recordFailure('a', 1200)).toBe(true);
  });

  it('does not extend or re-announce a lockout with failures while locked', () => {
    const lockout = new SourceLockout(policy);
    for (const at of [0, 1, 2]) lockout.recordFailure('a', at);
    expect(lockout.recordFailure('a', 3)).toBe(false);
    expect(lockout.isLocked('a', 5002)).toBe(false);
    // After the lockout the count starts again from zero.
    expect(lockout.recordFailure('a', 5003)).toBe(false);
  });

  it('keeps at most maxSources addresses, forgetting the least recently active', () => {
    const lockout = new SourceLockout(policy, 2);
    for (const at of [0, 1, 2]) lockout.recordFailure('a', at);
    lockout.recordFailure('b', 3);
    lockout.recordFailure('c', 4);
    expect(lockout.isLocked('a', 5)).toBe(false);
    expect(lockout.lockedCount(5)).toBe(0);
  });

  it('refuses a policy that could never lock or never end', () => {
    expect(() => new SourceLockout({ ...policy, failures: 0 })).toThrow();
    expect(() => new SourceLockout({ ...policy, durationMs: 0 })).toThrow();
    expect(() => new SourceLockout({ ...policy, windowMs: Number.NaN })).toThrow();
  });
});
