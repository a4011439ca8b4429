/**
 * Records a leg to a stereo 8 kHz PCM WAV file: what the leg sent us on the left channel, what
 * we sent it on the right. Both directions are queued as they happen and written on the frame
 * clock, so the channels stay aligned in time.
 */
import { FRAME_SAMPLES } from './frame-ticker.js';
import { SampleQueue } from './mixer.js';
import type { AudioTap } from './relay-endpoint.js';
import type { RecordingSummary } from './types.js';
import { WavFileWriter } from './wav-writer.js';

/** One second of each direction may wait for the frame clock. */
const QUEUE_SAMPLES = 8000;

export class Recorder implements AudioTap {
  private readonly receivedQueue = new SampleQueue(QUEUE_SAMPLES, FRAME_SAMPLES, false);
  private readonly sentQueue = new SampleQueue(QUEUE_SAMPLES, FRAME_SAMPLES, false);
  private readonly left = new Int16Array(FRAME_SAMPLES);
  private readonly right = new Int16Array(FRAME_SAMPLES);
  private samples = 0;
  private undecodablePackets = 0;

  private constructor(
    readonly path: string,
    private readonly writer: WavFileWriter,
  ) {}

  static async start(path: string): Promise<Recorder> {
    return new Recorder(path, await WavFileWriter.create(path, 8000, 2));
  }

  received(samples: Int16Array, length: number): void {
    this.receivedQueue.push(samples, length);
  }

  sent(samples: Int16Array, length: number): void {
    this.sentQueue.push(samples, length);
  }

  undecodable(): void {
    this.undecodablePackets++;
  }

  /** Writes one 20 ms stereo frame. */
  tick(): void {
    this.receivedQueue.take(this.left);
    this.sentQueue.take(this.right);
    const frame = Buffer.allocUnsafe(FRAME_SAMPLES * 4);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      frame.writeInt16LE(this.left[i]!, i * 4);
      frame.writeInt16LE(this.right[i]!, i * 4 + 2);
    }
    this.writer.append(frame);
    this.samples += FRAME_SAMPLES;
  }

  async stop(): Promise<RecordingSummary> {
    await this.writer.finish();
    return {
      path: this.path,
      samples: this.writer.bytesWritten / 4,
      undecodable: this.undecodablePackets,
    };
  }
}
