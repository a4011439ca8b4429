import { describe, expect, it } from 'vitest';
import { isLoopback, tokenChecker } from '../../../src/api/auth.js';

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (bind) => expect(isLoopback(bind)).toBe(true),
  );
  it.each([
    '0.0.0.0',
    '::',
    '192.0.2.1',
    '10.0.0.1',
    'example.com',
    '127.example.com',
    '',
    '::ffff:10.0.0.1',
  ])('%s is not', (bind) => expect(isLoopback(bind)).toBe(false));
});

describe('tokenChecker', () => {
  const matches = tokenChecker('correct-horse-battery-staple');
  it('accepts only the token itself', () => {
    expect(matches('correct-horse-battery-staple')).toBe(true);
    expect(matches('correct-horse-battery-stapl')).toBe(false);
    expect(matches('correct-horse-battery-staple ')).toBe(false);
    expect(matches('')).toBe(false);
    expect(matches(undefined)).toBe(false);
    expect(matches('x'.repeat(100_000))).toBe(false);
  });
});
