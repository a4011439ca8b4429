/**
 * Players feed an endpoint from G.711 clips: files (prompts, announcements, MOH) and generated
 * call-progress tones. A clip is loaded and converted once per worker and shared by everyone
 * playing it (G.729 files too, played by g729-player.ts). An MOH class is one shared source: all
 * its listeners hear the same position, which the worker's frame clock advances, the way a radio
 * is heard.
 */
import { readFile, stat } from 'node:fs/promises';
import { type AudioClip, AudioFormatError, clipFromSamples, decodeAudioFile } from './audio-file.js';
import { FRAME_SAMPLES, type FrameTicker } from './frame-ticker.js';
import { silenceCode } from './g711.js';
import { decodeG729File, type G729Clip } from './g729-file.js';
import { GeneratorClock } from './outgoing-stream.js';
import type { FrameProducer, RelayEndpoint } from './relay-endpoint.js';
import { allocateRtp, RTP_HEADER_LENGTH } from './rtp-packet.js';
import { callProgressLoop } from './tone-generator.js';
import { type CallProgressTone, MediaError, type ToneRegion } from './types.js';

/** Largest audio file accepted. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Copies one frame of `clip` starting at `position` into the packet payload, wrapping when looping. */
function writeFrame(
  endpoint: RelayEndpoint,
  clip: AudioClip,
  position: number,
  loop: boolean,
  clock: GeneratorClock,
): number {
  const codec = endpoint.codecs.g711;
  if (!codec?.law) return position + FRAME_SAMPLES; // the leg moved to a codec we cannot feed
  const source = codec.law === 'ulaw' ? clip.ulaw : clip.alaw;
  const packet = allocateRtp(FRAME_SAMPLES);
  let filled = 0;
  let at = position;
  while (filled < FRAME_SAMPLES) {
    if (at >= clip.length) {
      if (!loop) break;
      at = 0;
    }
    const take = Math.min(FRAME_SAMPLES - filled, clip.length - at);
    packet.set(source.subarray(at, at + take), RTP_HEADER_LENGTH + filled);
    filled += take;
    at += take;
  }
  if (filled < FRAME_SAMPLES) packet.fill(silenceCode(codec.law), RTP_HEADER_LENGTH + filled);
  endpoint.sendGenerated(packet, clock, codec.payloadType, false, codec.law);
  clock.advance(FRAME_SAMPLES);
  return at;
}

/** Plays a clip to one endpoint from its start, once or looping. */
export class ClipPlayer implements FrameProducer {
  private position = 0;
  private readonly clock = new GeneratorClock();

  constructor(
    private readonly clip: AudioClip,
    private readonly loop: boolean,
    private readonly onStop: () => void = () => undefined,
  ) {}

  tick(endpoint: RelayEndpoint): boolean {
    if (!this.loop && this.position >= this.clip.length) {
      this.stop();
      return false;
    }
    this.position = writeFrame(endpoint, this.clip, this.position, this.loop, this.clock);
    return true;
  }

  stop(): void {
    this.onStop();
  }
}

/**
 * One MOH class of any format: a looping clip of `length` units (samples, frames) whose position
 * is a function of the frame clock, `unitsPerTick` on at each tick.
 */
export class SharedClipSource<Clip> {
  listeners = 0;
  private readonly startTick: number;

  constructor(
    readonly clip: Clip,
    private readonly ticker: FrameTicker,
    private readonly unitsPerTick: number,
    private readonly length: number,
  ) {
    this.startTick = ticker.ticks;
  }

  /** The unit every listener is at now. */
  get position(): number {
    return ((this.ticker.ticks - this.startTick) * this.unitsPerTick) % this.length;
  }
}

/** One G.711 MOH class: its position in samples. */
export class SharedSource extends SharedClipSource<AudioClip> {
  constructor(clip: AudioClip, ticker: FrameTicker) {
    super(clip, ticker, FRAME_SAMPLES, clip.length);
  }
}

/** A listener of an MOH class. */
export class SharedSourcePlayer implements FrameProducer {
  private readonly clock = new GeneratorClock();
  private stopped = false;

  constructor(
    readonly source: SharedSource,
    private readonly onStop: () => void,
  ) {
    source.listeners++;
  }

  tick(endpoint: RelayEndpoint): boolean {
    writeFrame(endpoint, this.source.clip, this.source.position, true, this.clock);
    return true;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source.listeners--;
    this.onStop();
  }
}

/** What a file holds: audio converted to both G.711 laws, or G.729 frames played as they are. */
export interface FileClips {
  g711: AudioClip;
  g729: G729Clip;
}
export type FileEncoding = keyof FileClips;

const DECODERS: { [K in FileEncoding]: (file: Uint8Array, path: string) => FileClips[K] } = {
  g711: (file) => clipFromSamples(decodeAudioFile(file)),
  g729: decodeG729File,
};

/**
 * Clips of one worker: files by path and encoding (loaded once, kept while in use) and tones
 * (kept for the worker's life; there are eight).
 */
export class ClipLibrary {
  private readonly files = new Map<string, { clip: Promise<FileClips[FileEncoding]>; users: number }>();
  private readonly tones = new Map<string, AudioClip>();

  /** Loads (or shares) a file; call `release(path, encoding)` once per successful `acquire`. */
  async acquire<K extends FileEncoding>(path: string, encoding: K): Promise<FileClips[K]> {
    const key = fileKey(path, encoding);
    let entry = this.files.get(key);
    if (!entry) {
      entry = { clip: loadClip(path, DECODERS[encoding]), users: 0 };
      this.files.set(key, entry);
    }
    entry.users++;
    try {
      return (await entry.clip) as FileClips[K];
    } catch (error) {
      this.release(path, encoding);
      throw error;
    }
  }

  release(path: string, encoding: FileEncoding): void {
    const key = fileKey(path, encoding);
    const entry = this.files.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users <= 0) this.files.delete(key);
  }

  tone(tone: CallProgressTone, region: ToneRegion): AudioClip {
    const key = `${region}/${tone}`;
    let clip = this.tones.get(key);
    if (!clip) {
      clip = clipFromSamples(callProgressLoop(tone, region));
      this.tones.set(key, clip);
    }
    return clip;
  }
}

function fileKey(path: string, encoding: FileEncoding): string {
  return `${encoding}\u0000${path}`;
}

async function loadClip<T>(path: string, decode: (file: Uint8Array, path: string) => T): Promise<T> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new MediaError('file-unreadable', `${path} is not a file`);
    if (info.size > MAX_FILE_BYTES) throw new MediaError('file-unreadable', `${path} is larger than 64 MiB`);
    return decode(await readFile(path), path);
  } catch (error) {
    if (error instanceof MediaError) throw error;
    if (error instanceof AudioFormatError)
      throw new MediaError('file-unreadable', `${path}: ${error.message}`);
    throw new MediaError('file-unreadable', `${path}: ${(error as Error).message}`);
  }
}
