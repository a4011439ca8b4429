import { describe, expect, it } from 'vitest';
import { grantExpires, parseDeltaSeconds } from '../../../../src/adapters/sip-line/expires-policy.js';

const settings = { expiresDefault: 1800, expiresMin: 60, expiresMax: 3600 };

describe('grantExpires', () => {
  it('grants the default when nothing is requested, kept within min and max', () => {
    expect(grantExpires(undefined, settings)).toBe(1800);
    expect(grantExpires(undefined, { ...settings, expiresDefault: 7200 })).toBe(3600);
    expect(grantExpires(undefined, { ...settings, expiresDefault: 10 })).toBe(60);
  });

  it('keeps 0 (removal) and intervals within bounds', () => {
    expect(grantExpires(0, settings)).toBe(0);
    expect(grantExpires(60, settings)).toBe(60);
    expect(grantExpires(600, settings)).toBe(600);
  });

  it('cuts an interval above the maximum to it', () => {
    expect(grantExpires(3601, settings)).toBe(3600);
    expect(grantExpires(0xffffffff, settings)).toBe(3600);
  });

  it('refuses an interval below the minimum as too brief', () => {
    expect(grantExpires(59, settings)).toBe('too-brief');
    expect(grantExpires(1, settings)).toBe('too-brief');
  });

  it('never refuses an hour or more, even below a minimum above an hour (RFC 3261 10.3 step 6)', () => {
    const long = { expiresDefault: 7200, expiresMin: 7200, expiresMax: 86400 };
    expect(grantExpires(3599, long)).toBe('too-brief');
    expect(grantExpires(3600, long)).toBe(3600);
  });
});

describe('parseDeltaSeconds', () => {
  it('reads delta-seconds and caps them at 2**32-1', () => {
    expect(parseDeltaSeconds('0')).toBe(0);
    expect(parseDeltaSeconds('3600')).toBe(3600);
    expect(parseDeltaSeconds('9999999999')).toBe(0xffffffff);
  });

  it('rejects anything else', () => {
    for (const value of [undefined, null, '', '-1', '1.5', ' 60', '0x10', '12345678901'])
      expect(parseDeltaSeconds(value)).toBeUndefined();
  });
});
