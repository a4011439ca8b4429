import { describe, expect, it } from 'vitest';
import { NonceCountWindow } from '../../../../src/sip/auth/nonce-count-window.js';

describe('NonceCountWindow', () => {
  it('accepts increasing counts and refuses a repeated one', () => {
    const window = new NonceCountWindow(10, 1000);
    expect(window.check('n', 0, 1, 0)).toBe('fresh');
    expect(window.check('n', 0, 2, 0)).toBe('fresh');
    expect(window.check('n', 0, 2, 0)).toBe('replay');
    expect(window.check('n', 0, 1, 0)).toBe('replay');
  });

  it('accepts counts arriving out of order within the window, once each', () => {
    const window = new NonceCountWindow(10, 1000);
    expect(window.check('n', 0, 5, 0)).toBe('fresh');
    expect(window.check('n', 0, 3, 0)).toBe('fresh');
    expect(window.check('n', 0, 3, 0)).toBe('replay');
    expect(window.check('n', 0, 4, 0)).toBe('fresh');
    expect(window.check('n', 0, 40, 0)).toBe('fresh');
    expect(window.check('n', 0, 8, 0)).toBe('fresh');
    expect(window.check('n', 0, 7, 0)).toBe('replay'); // 33 below the highest: outside the window
    expect(window.check('n', 0, 5, 0)).toBe('replay');
  });

  it('slides the window by exactly 32', () => {
    const window = new NonceCountWindow(10, 1000);
    window.check('n', 0, 1, 0);
    expect(window.check('n', 0, 33, 0)).toBe('fresh');
    expect(window.check('n', 0, 1, 0)).toBe('replay');
    expect(window.check('n', 0, 2, 0)).toBe('fresh');
  });

  it('stays bounded under a flood and refuses forgotten nonces as such', () => {
    const window = new NonceCountWindow(100, 1_000_000);
    for (let i = 0; i < 10_000; i++) window.check(`n${i}`, i, 1, 10_000);
    expect(window.size).toBeLessThanOrEqual(100);
    // The first nonce's record was dropped: it may not be used again, even with a fresh count.
    expect(window.check('n0', 0, 2, 10_000)).toBe('forgotten');
    // A nonce issued after everything forgotten is new.
    expect(window.check('later', 20_000, 1, 20_000)).toBe('fresh');
  });

  it('drops expired records without forgetting valid nonces', () => {
    const window = new NonceCountWindow(2, 100);
    window.check('a', 0, 1, 0);
    window.check('b', 0, 1, 0);
    expect(window.check('c', 500, 1, 500)).toBe('fresh');
    expect(window.size).toBe(1);
    expect(window.check('d', 1, 1, 500)).toBe('fresh');
  });
});

describe('NonceCountWindow.issuedAtOf', () => {
  it('remembers the issue time of nonces it holds a record for', () => {
    const window = new NonceCountWindow(10, 1000);
    expect(window.issuedAtOf('n')).toBeUndefined();
    window.check('n', 42, 1, 50);
    expect(window.issuedAtOf('n')).toBe(42);
  });
});
