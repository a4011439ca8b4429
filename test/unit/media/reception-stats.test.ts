import { describe, expect, it } from 'vitest';
import { ReceptionStats } from '../../../src/media/reception-stats.js';

describe('reception statistics (RFC 3550 A.1, A.3, A.8)', () => {
  it('counts loss across a sequence wrap', () => {
    const stats = new ReceptionStats();
    for (let i = 0; i < 20; i++) {
      const sequence = (65530 + i) & 0xffff;
      if (i === 8 || i === 9) continue; // two lost
      stats.update(42, sequence, i * 160, i * 160);
    }
    expect(stats.expected).toBe(20);
    expect(stats.lost).toBe(2);
    const block = stats.takeReportBlock();
    expect(block.extendedHighestSequence).toBe(65536 + 13);
    expect(block.fractionLost).toBe(Math.floor((2 * 256) / 20));
    expect(block.cumulativeLost).toBe(2);
    expect(block.jitter).toBe(0);
    // Next interval: nothing lost.
    stats.update(42, 14, 20 * 160, 20 * 160);
    expect(stats.takeReportBlock().fractionLost).toBe(0);
  });

  it('measures jitter from uneven arrival', () => {
    const stats = new ReceptionStats();
    for (let i = 0; i < 200; i++) stats.update(1, i, i * 160, i * 160 + (i % 2 ? 80 : 0));
    // |D| is 80 every packet; J converges to 80.
    expect(stats.jitter).toBeGreaterThan(70);
    expect(stats.jitter).toBeLessThanOrEqual(80);
  });

  it('needs two packets to accept a large sequence jump, and restarts on a new SSRC', () => {
    const stats = new ReceptionStats();
    stats.update(1, 100, 0, 0);
    expect(stats.update(1, 30000, 0, 0)).toBe(false);
    expect(stats.update(1, 30001, 0, 0)).toBe(true);
    expect(stats.expected).toBe(1);
    stats.update(2, 5, 0, 0);
    expect(stats.ssrc).toBe(2);
    expect(stats.received).toBe(1);
  });
});
