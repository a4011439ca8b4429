/**
 * G.729 music on hold with a third-party tool on both ends: FFmpeg wraps a G.729 bitstream in the
 * WAV an administrator would configure (`moh.g729.wav`, format tag 0x0083), and FFmpeg's G.729
 * decoder turns the RTP payloads a held G.729 party received into exactly the audio it makes of
 * the bitstream itself, so the stream carries the file's frames whole, in order, with nothing
 * lost or added.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaAnchor } from '../../../src/adapters/media/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import {
  type AnchoredEngine,
  peerSdp,
  startAnchoredEngine,
} from '../../integration/media/anchored-engine.js';
import { G729_FRAME_BYTES, numberedFrames } from '../../integration/media/g729-frames.js';
import { RtpPeer } from '../../integration/media/rtp-peer.js';

const canRun = interopAvailable('ffmpeg');
const FRAMES = 300;
/** Packets the held party collects: 2 frames each at the default 20 ms ptime. */
const PACKETS = 60;

/** 8 kHz 16-bit PCM of a raw G.729 bitstream, decoded by FFmpeg. */
function ffmpegDecode(file: string): Buffer {
  const result = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'g729', '-i', file, '-f', 's16le', '-'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
  return result.stdout;
}

describe.skipIf(!canRun)('G.729 MOH decoded by FFmpeg', () => {
  let folder: string;
  let anchored: AnchoredEngine | undefined;
  let anchor: MediaAnchor;

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'strowger-g729-interop-'));
    writeFileSync(path.join(folder, 'moh.g729'), numberedFrames(FRAMES));
    const wrapped = spawnSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'g729', '-i', path.join(folder, 'moh.g729')],
      ...['-c:a', 'copy', '-f', 'wav', path.join(folder, 'moh.g729.wav')],
    ]);
    if (wrapped.status !== 0) throw new Error(`ffmpeg could not write the WAV: ${wrapped.stderr}`);
    anchored = await startAnchoredEngine(46_000, {
      musicOnHoldG729: { default: path.join(folder, 'moh.g729.wav') },
    });
    anchor = anchored.anchor;
  });
  afterAll(async () => {
    await anchored?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('decodes the held party’s stream to the same audio as the file', async () => {
    const [held, holder] = [await RtpPeer.create(), await RtpPeer.create()];
    try {
      const policy = { codecs: 'any', dtmfRelay: 'rtp-nte' as const };
      const offered = await anchor.anchorOffer('c', 'held', peerSdp(held, 'G729'), {
        offerer: policy,
        answerer: policy,
      });
      expect(offered.ok).toBe(true);
      expect((await anchor.anchorAnswer('c', 'holder', peerSdp(holder, 'G729'), policy)).ok).toBe(true);
      expect(await anchor.hold('c', 'holder')).toEqual({ ok: true, moh: true });
      await held.until(() => held.received.length >= PACKETS, 5000, `${PACKETS} G.729 packets`);
      const packets = held.received.slice(0, PACKETS);
      for (const packet of packets) expect(packet.header.payloadType).toBe(18);
      const stream = Buffer.concat(packets.map((packet) => packet.payload));
      writeFileSync(path.join(folder, 'received.g729'), stream);
      const frames = stream.length / G729_FRAME_BYTES;
      expect(frames).toBe(2 * PACKETS);
      writeFileSync(path.join(folder, 'file-start.g729'), numberedFrames(FRAMES).subarray(0, stream.length));

      const heard = ffmpegDecode(path.join(folder, 'received.g729'));
      const expected = ffmpegDecode(path.join(folder, 'file-start.g729'));
      // RFC 3551 §4.5.6: 80 samples of 16 bits per frame.
      expect(heard.length).toBe(frames * 80 * 2);
      expect(heard.equals(expected)).toBe(true);
      await anchor.release('c');
    } finally {
      await Promise.all([held.close(), holder.close()]);
    }
  });
});
