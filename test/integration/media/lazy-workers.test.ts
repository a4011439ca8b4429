import { describe, expect, it } from 'vitest';
import { createMediaEngine, MediaError } from '../../../src/media/index.js';

const options = {
  address: '127.0.0.1',
  portRange: [41700, 41719] as [number, number],
  workers: 2,
  mediaTimeoutMs: 0,
};

describe('media engine worker threads start with the first endpoint', () => {
  it('runs no thread while idle, then one set however many calls race to start it', async () => {
    const engine = await createMediaEngine(options);
    try {
      expect((await engine.stats()).workers).toBe(0);
      const endpoints = await Promise.all([engine.allocate(), engine.allocate(), engine.allocate()]);
      const stats = await engine.stats();
      expect(stats.workers).toBe(2);
      expect(stats.endpoints.map((endpoint) => endpoint.endpointId).sort()).toEqual(
        endpoints.map((endpoint) => endpoint.id).sort(),
      );
      // Placement still spreads over both threads.
      expect(new Set(endpoints.map((endpoint) => endpoint.id.split('-')[0])).size).toBe(2);
    } finally {
      await engine.close();
    }
  });

  it('starts them for a conference too', async () => {
    const engine = await createMediaEngine(options);
    try {
      const conference = await engine.createConference();
      expect((await engine.stats()).workers).toBe(2);
      await engine.endConference(conference.id);
    } finally {
      await engine.close();
    }
  });

  it('closes without ever starting them, and refuses endpoints afterwards', async () => {
    const engine = await createMediaEngine(options);
    await engine.close();
    await expect(engine.allocate()).rejects.toBeInstanceOf(MediaError);
  });

  it('closes threads that were still starting when close was called', async () => {
    const engine = await createMediaEngine(options);
    const allocation = engine.allocate().then(
      () => 'allocated',
      (error: unknown) => error,
    );
    await engine.close();
    expect(await allocation).toMatchObject({ code: 'closed' });
  });
});
