/**
 * WAV (RIFF WAVE, PCM 16-bit little-endian) output: a whole file at once, or streamed to disk
 * with the sizes in the header patched when the file is finished.
 */
import { type FileHandle, open } from 'node:fs/promises';

export const WAV_HEADER_LENGTH = 44;

export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_LENGTH);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(Math.min(0xffffffff - 36, dataBytes), 40);
  return header;
}

/** A whole PCM 16-bit WAV file (interleaved samples when there is more than one channel). */
export function encodeWav(samples: Int16Array, sampleRate = 8000, channels = 1): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i]!, i * 2);
  return Buffer.concat([wavHeader(sampleRate, channels, data.length), data]);
}

/**
 * Appends interleaved PCM to a WAV file. Writes go out one at a time in order; what arrives while
 * a write is in flight is batched into the next one. A write queue that grows past `maxPending`
 * bytes (a stalled disk) drops audio rather than memory.
 */
export class WavFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private written = 0;
  private failure: Error | null = null;
  dropped = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly sampleRate: number,
    private readonly channels: number,
    private readonly maxPending: number,
  ) {}

  static async create(
    path: string,
    sampleRate: number,
    channels: number,
    maxPending = 1 << 20,
  ): Promise<WavFileWriter> {
    const file = await open(path, 'w');
    try {
      await file.write(wavHeader(sampleRate, channels, 0), 0, WAV_HEADER_LENGTH, 0);
    } catch (error) {
      await file.close();
      throw error;
    }
    return new WavFileWriter(file, sampleRate, channels, maxPending);
  }

  append(chunk: Buffer): void {
    if (this.failure) return;
    if (this.pendingBytes + chunk.length > this.maxPending) {
      this.dropped += chunk.length;
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pending.length === 1) this.writing = this.writing.then(() => this.flush());
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.failure) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.file.write(data, 0, data.length, WAV_HEADER_LENGTH + this.written);
      this.written += data.length;
    } catch (error) {
      this.failure = error as Error;
    }
  }

  /** Bytes of audio on disk so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Writes what is queued, fixes the header sizes and closes the file. */
  async finish(): Promise<void> {
    await this.writing;
    await this.flush();
    try {
      if (!this.failure) {
        await this.file.write(
          wavHeader(this.sampleRate, this.channels, this.written),
          0,
          WAV_HEADER_LENGTH,
          0,
        );
      }
    } finally {
      await this.file.close();
    }
    if (this.failure) throw this.failure;
  }
}
