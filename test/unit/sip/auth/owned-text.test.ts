import { describe, expect, it } from 'vitest';
import { ownedText } from '../../../../src/sip/auth/index.js';

describe('ownedText', () => {
  it('copies any text unchanged, escapes and non-Latin characters included', () => {
    for (const text of ['', 'abc', 'a"b\\c\u0000\n', 'Grüße ☎ 📞', 'x'.repeat(1000)])
      expect(ownedText(text)).toBe(text);
  });
});
