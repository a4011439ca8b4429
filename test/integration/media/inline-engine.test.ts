import { describe, expect, it } from 'vitest';
import { createMediaEngine, type MediaEvent } from '../../../src/media/index.js';
import { FakeClock } from '../../../src/sip/clock.js';

describe('media engine on the calling thread (workers: 0) with an injected clock', () => {
  it('raises the media timeout when the fake clock says so, and not before', async () => {
    const clock = new FakeClock();
    const engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41600, 41609],
      workers: 0,
      clock,
      mediaTimeoutMs: 30_000,
    });
    const events: MediaEvent[] = [];
    engine.onEvent((event) => events.push(event));
    const endpoint = await engine.allocate();
    clock.advance(29_000);
    expect(events.filter((event) => event.type === 'timeout')).toEqual([]);
    clock.advance(1_100);
    expect(events.filter((event) => event.type === 'timeout')).toEqual([
      { type: 'timeout', endpointId: endpoint.id, cause: 'no-rtp-received', silentForMs: 30_000 },
    ]);
    const stats = await engine.stats();
    expect(stats.workers).toBe(1);
    expect(stats.workerUtilization).toEqual([null]);
    await engine.release(endpoint.id);
    expect(events.some((event) => event.type === 'stats' && event.stats.endpointId === endpoint.id)).toBe(
      true,
    );
    await engine.close();
    expect(clock.pending).toBe(0);
  });
});
