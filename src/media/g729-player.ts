/**
 * Plays G.729 frames from a file to a leg that negotiated G.729, packetised at the leg's ptime.
 * The 20 ms frame clock owes two 10 ms frames per tick; a packet goes out whenever a ptime's
 * worth is owed, so every ptime that is a multiple of 10 ms keeps the real-time rate. An MOH
 * class is one shared source, as for G.711: its position follows the frame clock.
 */
import { FRAME_MS, type FrameTicker } from './frame-ticker.js';
import { G729_FRAME_BYTES, G729_FRAME_MS, G729_FRAME_SAMPLES, type G729Clip } from './g729-file.js';
import { GeneratorClock } from './outgoing-stream.js';
import { SharedClipSource } from './player.js';
import type { FrameProducer, RelayEndpoint } from './relay-endpoint.js';
import { allocateRtp, RTP_HEADER_LENGTH } from './rtp-packet.js';

const FRAMES_PER_TICK = FRAME_MS / G729_FRAME_MS;
export const DEFAULT_G729_PTIME_MS = 20;
/** Longest packet sent: 12 frames, far below any path MTU. */
const MAX_G729_PTIME_MS = 120;

/** Frames per packet for a ptime: whole 10 ms frames (RFC 3551 §4.5.6), 1 to 12. */
export function framesPerPacket(ptimeMs: number | undefined): number {
  const ms = ptimeMs !== undefined && Number.isFinite(ptimeMs) ? ptimeMs : DEFAULT_G729_PTIME_MS;
  const frames = Math.round(Math.min(MAX_G729_PTIME_MS, ms) / G729_FRAME_MS);
  return Math.max(1, frames);
}

/** One G.729 MOH class: its position in 10 ms frames. */
export class SharedG729Source extends SharedClipSource<G729Clip> {
  constructor(clip: G729Clip, ticker: FrameTicker) {
    super(clip, ticker, FRAMES_PER_TICK, clip.count);
  }
}

/** Sends a clip's frames in order from `start`, once or looping. */
export class G729Player implements FrameProducer {
  private readonly clock = new GeneratorClock();
  private readonly frames: number;
  private readonly loop: boolean;
  private next: number;
  private owed = 0;
  private stopped = false;

  constructor(
    private readonly clip: G729Clip,
    options: { start: number; loop: boolean; ptimeMs: number | undefined },
    private readonly onStop: () => void = () => undefined,
  ) {
    this.next = options.start;
    this.loop = options.loop;
    this.frames = framesPerPacket(options.ptimeMs);
  }

  tick(endpoint: RelayEndpoint): boolean {
    const codec = endpoint.codecs.forName('G729');
    this.owed += FRAMES_PER_TICK;
    while (this.owed >= this.frames) {
      if (!this.loop && this.next >= this.clip.count) {
        this.stop();
        return false;
      }
      this.owed -= this.frames;
      // A leg that moved to another codec hears nothing, but the source keeps its pace.
      if (codec) this.send(endpoint, codec.payloadType);
      else this.skip();
    }
    return true;
  }

  private send(endpoint: RelayEndpoint, payloadType: number): void {
    const { frames, count } = this.clip;
    const available = this.loop ? this.frames : Math.min(this.frames, count - this.next);
    const packet = allocateRtp(available * G729_FRAME_BYTES);
    for (let i = 0; i < available; i++) {
      const at = this.next * G729_FRAME_BYTES;
      packet.set(frames.subarray(at, at + G729_FRAME_BYTES), RTP_HEADER_LENGTH + i * G729_FRAME_BYTES);
      this.advance();
    }
    endpoint.sendGenerated(packet, this.clock, payloadType, false, null);
    this.clock.advance(available * G729_FRAME_SAMPLES);
  }

  private skip(): void {
    for (let i = 0; i < this.frames; i++) this.advance();
  }

  private advance(): void {
    this.next++;
    if (this.loop && this.next >= this.clip.count) this.next = 0;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
  }
}
