/**
 * G.729 music on hold through the media anchor and the real engine: a held party that
 * negotiated G.729 only receives the configured G.729 file's frames as they are (payload type
 * 18, continuous sequence numbers and timestamps, packets of its ptime), from one shared source
 * per MOH class; G.711 parties of the same class still hear the G.711 file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MediaAnchor } from '../../../src/adapters/media/index.js';
import { decodeFrame } from '../../../src/media/index.js';
import { encodeWav } from '../../../src/media/wav-writer.js';
import { share, sine } from '../media-calls/harness.js';
import { type AnchoredEngine, peerSdp as sdp, startAnchoredEngine } from './anchored-engine.js';
import { G729_FRAME_BYTES as FRAME_BYTES, numberedFrames } from './g729-frames.js';
import { type ReceivedPacket, RtpPeer } from './rtp-peer.js';

const G729_PT = 18;
/** 5 s of 10 ms frames. */
const FRAMES = 500;
const G711_MOH_HZ = 440;

const ofType = (peer: RtpPeer, payloadType: number) =>
  peer.received.filter((packet) => packet.header.payloadType === payloadType);

/** The frame numbers a packet carries. */
const frameNumbers = (packet: ReceivedPacket) =>
  Array.from({ length: packet.payload.length / FRAME_BYTES }, (_, i) =>
    packet.payload.readUInt16BE(i * FRAME_BYTES),
  );

describe('G.729 music on hold', () => {
  let anchored: AnchoredEngine;
  let anchor: MediaAnchor;
  let folder: string;
  let g729File: Buffer;
  const peers: RtpPeer[] = [];
  let calls = 0;

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'strowger-g729-moh-'));
    g729File = numberedFrames(FRAMES);
    writeFileSync(path.join(folder, 'moh.g729'), g729File);
    writeFileSync(path.join(folder, 'moh.wav'), encodeWav(sine(G711_MOH_HZ, 16000), 8000, 1));
    anchored = await startAnchoredEngine(34_000, {
      musicOnHold: { default: path.join(folder, 'moh.wav') },
      musicOnHoldG729: { default: path.join(folder, 'moh.g729') },
    });
    anchor = anchored.anchor;
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });
  afterAll(async () => {
    await anchored.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Leg 'held' calls leg 'holder' in `codec`; the holder puts it on hold. */
  async function heldCall(codec: 'G729' | 'PCMU', ptime?: number, mohClass?: string) {
    const callId = `call-${++calls}`;
    const [held, holder] = [await RtpPeer.create(), await RtpPeer.create()];
    peers.push(held, holder);
    const policy = { codecs: 'any', dtmfRelay: 'rtp-nte' as const };
    const offered = await anchor.anchorOffer(callId, 'held', sdp(held, codec, ptime), {
      offerer: policy,
      answerer: policy,
    });
    if (!offered.ok) throw new Error(offered.reason);
    const answered = await anchor.anchorAnswer(callId, 'holder', sdp(holder, codec), policy);
    if (!answered.ok) throw new Error(answered.reason);
    expect(await anchor.hold(callId, 'holder', mohClass)).toEqual({ ok: true, moh: true });
    return { callId, held, holder };
  }

  it('sends the file’s frames in order, two per 20 ms packet, with continuous numbering', async () => {
    const { callId, held, holder } = await heldCall('G729');
    await held.until(() => ofType(held, G729_PT).length >= 30, 5000, '30 G.729 MOH packets');
    const packets = ofType(held, G729_PT);
    expect(held.received).toHaveLength(packets.length);
    // The class's source started with this listener: from the file's first frame, in order.
    const frames = packets.flatMap(frameNumbers);
    expect(frames).toEqual(frames.map((_, i) => i % FRAMES));
    packets.forEach((packet, i) => {
      expect(packet.payload.length).toBe(2 * FRAME_BYTES);
      const first = frameNumbers(packet)[0]!;
      expect(packet.payload).toEqual(g729File.subarray(first * FRAME_BYTES, (first + 2) * FRAME_BYTES));
      if (i === 0) return;
      const previous = packets[i - 1]!.header;
      expect(packet.header.sequenceNumber).toBe((previous.sequenceNumber + 1) & 0xffff);
      expect(packet.header.timestamp).toBe((previous.timestamp + 160) >>> 0);
      expect(packet.header.ssrc).toBe(previous.ssrc);
    });
    expect(holder.received).toHaveLength(0);
    await anchor.release(callId);
  });

  it('packetises at the held leg’s ptime and shares one source per class', async () => {
    const first = await heldCall('G729', undefined, 'lobby');
    await first.held.until(() => ofType(first.held, G729_PT).length >= 10, 5000, 'the first listener');
    const second = await heldCall('G729', 30, 'lobby');
    await second.held.until(() => ofType(second.held, G729_PT).length >= 20, 5000, 'the second listener');
    const packets = ofType(second.held, G729_PT);
    // a=ptime:30: three 10 ms frames per packet, 240 timestamp units apart.
    for (const packet of packets) expect(packet.payload.length).toBe(3 * FRAME_BYTES);
    packets.slice(1).forEach((packet, i) => {
      expect(packet.header.timestamp - packets[i]!.header.timestamp).toBe(240);
      expect(packet.header.sequenceNumber).toBe((packets[i]!.header.sequenceNumber + 1) & 0xffff);
    });
    // Joining a playing class, the second listener starts where the class is, not at the file's start.
    const frames = packets.flatMap(frameNumbers);
    expect(frames[0]).toBeGreaterThanOrEqual(20);
    expect(frames).toEqual(frames.map((_, i) => (frames[0]! + i) % FRAMES));
    await anchor.release(first.callId);
    await anchor.release(second.callId);
  });

  it('still plays the G.711 file to a G.711 leg of the same class', async () => {
    const g729 = await heldCall('G729', 20, 'lobby');
    const g711 = await heldCall('PCMU', 20, 'lobby');
    await g711.held.until(() => ofType(g711.held, 0).length >= 20, 5000, 'G.711 MOH');
    expect(ofType(g711.held, G729_PT)).toHaveLength(0);
    const payloads = ofType(g711.held, 0).slice(2, 20);
    const samples = new Int16Array(payloads.length * 160);
    payloads.forEach((packet, i) => {
      decodeFrame('ulaw', packet.payload, 0, 160, samples.subarray(i * 160));
    });
    expect(share(samples, G711_MOH_HZ)).toBeGreaterThan(0.9);
    await g729.held.until(() => ofType(g729.held, G729_PT).length >= 5, 5000, 'G.729 MOH');
    expect(ofType(g729.held, 0)).toHaveLength(0);
    await anchor.release(g729.callId);
    await anchor.release(g711.callId);
  });
});

describe('G.729 music on hold not configured', () => {
  it('leaves a G.729-only held party without MOH, as before', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'strowger-g711-moh-'));
    writeFileSync(path.join(folder, 'moh.wav'), encodeWav(sine(G711_MOH_HZ, 8000), 8000, 1));
    const { anchor, close } = await startAnchoredEngine(44_000, {
      musicOnHold: { default: path.join(folder, 'moh.wav') },
    });
    const [held, holder] = [await RtpPeer.create(), await RtpPeer.create()];
    try {
      const policy = { codecs: 'any', dtmfRelay: 'rtp-nte' as const };
      const offered = await anchor.anchorOffer('c', 'held', sdp(held, 'G729'), {
        offerer: policy,
        answerer: policy,
      });
      expect(offered.ok).toBe(true);
      expect((await anchor.anchorAnswer('c', 'holder', sdp(holder, 'G729'), policy)).ok).toBe(true);
      expect(await anchor.hold('c', 'holder')).toEqual({
        ok: true,
        moh: false,
        reason: 'the held leg has no G.711 codec for MOH',
      });
    } finally {
      await Promise.all([held.close(), holder.close(), close()]);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
