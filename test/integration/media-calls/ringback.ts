/**
 * What a party moved by a blind transfer hears while the target rings: the engine's ringback
 * tone, the target's early media, then the target, all in one RTP stream toward the party.
 */
import { expect, onTestFinished } from 'vitest';
import type { RingbackOutcome } from '../../../src/adapters/media/index.js';
import { tonePlan } from '../../../src/media/tone-generator.js';
import type { IncomingRequest } from '../../../src/sip/index.js';
import { heard, type MediaNode, type MediaParty, share } from './harness.js';

/** One 20 ms G.711 frame, in samples. */
export const FRAME = 160;

/** The North American ringback (ANSI T1.401) the engine generates: 440 + 480 Hz, 2 s on, 4 s off. */
const RINGBACK = tonePlan('ringback');
export const [LOW_HZ, HIGH_HZ] = RINGBACK.steps[0]!.components.map((component) => component.frequency) as [
  number,
  number,
];
export const ON_FRAMES = (RINGBACK.steps[0]?.ms ?? 0) / 20;

/** What the node's anchor answers each request to play ringback, in order, for the running test. */
export function watchRingback(node: MediaNode): RingbackOutcome[] {
  const outcomes: RingbackOutcome[] = [];
  const { anchor } = node;
  const ringback = anchor.ringback;
  onTestFinished(() => {
    anchor.ringback = ringback;
  });
  anchor.ringback = async (callId, legId) => {
    const outcome = await ringback.call(anchor, callId, legId);
    outcomes.push(outcome);
    return outcome;
  };
  return outcomes;
}

/** `party` answers the INVITE it was left with its own description. */
export function answer(party: MediaParty, incoming: IncomingRequest): void {
  party.dialog = incoming.accept({ body: party.sdp(), contentType: 'application/sdp' });
}

/** The audio of one 20 ms frame of `samples`. */
export function frame(samples: Int16Array, index: number): Int16Array {
  return samples.subarray(index * FRAME, (index + 1) * FRAME);
}

export function energy(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return sum / Math.max(1, samples.length);
}

/** `party` hears the ringback's two tones, and nothing else, from packet `from` on. */
export async function hearsRingback(party: MediaParty, from: number, frames = 40): Promise<void> {
  await party.rtp.until(() => heard(party, from).length >= frames * FRAME, 3000, 'ringback');
  const tone = heard(party, from).subarray(2 * FRAME, frames * FRAME);
  expect(share(tone, LOW_HZ)).toBeGreaterThan(0.4);
  expect(share(tone, HIGH_HZ)).toBeGreaterThan(0.4);
  expect(share(tone, LOW_HZ) + share(tone, HIGH_HZ)).toBeGreaterThan(0.95);
}

/**
 * Every packet `party` received from packet `from` on came in one RTP stream (RFC 3550 §5.1),
 * without a gap: the tone, the early media and the relayed answer follow one another.
 */
export function oneStream(party: MediaParty, from: number): void {
  const packets = party.rtp.received.slice(from);
  expect(packets.length).toBeGreaterThan(0);
  expect(new Set(packets.map((packet) => packet.header.ssrc)).size).toBe(1);
  for (let i = 1; i < packets.length; i++) {
    const sequence =
      ((packets[i]?.header.sequenceNumber ?? 0) - (packets[i - 1]?.header.sequenceNumber ?? 0)) & 0xffff;
    const timestamp = ((packets[i]?.header.timestamp ?? 0) - (packets[i - 1]?.header.timestamp ?? 0)) >>> 0;
    expect(sequence).toBe(1);
    // The timestamp runs on across the change of source: forward, by at least a frame.
    expect(timestamp).toBeGreaterThanOrEqual(FRAME);
    expect(timestamp).toBeLessThan(8000 * 10);
  }
}
