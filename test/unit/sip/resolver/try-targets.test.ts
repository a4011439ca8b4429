import { describe, expect, it } from 'vitest';
import { TargetIterator, tryTargets } from '../../../../src/sip/resolver/try-targets.js';
import { type Endpoint, TransportError } from '../../../../src/sip/transport/types.js';

const targets: Endpoint[] = [
  { protocol: 'UDP', address: '192.0.2.1', port: 5060 },
  { protocol: 'UDP', address: '192.0.2.2', port: 5060 },
  { protocol: 'TCP', address: '192.0.2.3', port: 5060 },
];

describe('tryTargets (RFC 3263 §4.3)', () => {
  it('moves on after a 503, a timeout (408) and a transport error, stopping at the first answer', async () => {
    const seen: string[] = [];
    const outcomes = [
      () => Promise.resolve({ status: 503 }),
      () => Promise.reject(new TransportError('refused', targets[1]!)),
      () => Promise.resolve({ status: 200 }),
    ];
    const result = await tryTargets(targets, (target) => {
      seen.push(target.address);
      return outcomes[seen.length - 1]!();
    });
    expect(seen).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(result).toEqual({ ok: true, target: targets[2], result: { status: 200 }, tried: 3 });
  });

  it('stops at a final failure another server would not change', async () => {
    const result = await tryTargets(targets, () => Promise.resolve({ status: 404 }));
    expect(result).toMatchObject({ ok: true, tried: 1, result: { status: 404 } });
  });

  it('reports the last failure when every target failed', async () => {
    const timeouts = await tryTargets(targets, () => Promise.resolve({ status: 408 }));
    expect(timeouts).toEqual({ ok: false, tried: 3, last: { status: 408 } });
    const error = new TransportError('unreachable', targets[2]!);
    const errors = await tryTargets(targets, () => Promise.reject(error));
    expect(errors).toEqual({ ok: false, tried: 3, error });
    expect(await tryTargets([], () => Promise.resolve({ status: 200 }))).toEqual({ ok: false, tried: 0 });
  });
});

describe('TargetIterator', () => {
  it('hands out targets in order once', () => {
    const iterator = new TargetIterator(targets);
    expect(iterator.remaining).toBe(3);
    expect([iterator.next(), iterator.next(), iterator.next(), iterator.next()]).toEqual([
      ...targets,
      undefined,
    ]);
    expect(iterator.remaining).toBe(0);
  });
});
