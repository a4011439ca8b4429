/**
 * Call recording: a leg's audio to a WAV file under a configured folder (received audio on the
 * left channel, sent on the right).
 *
 * Two ways in. `start`/`stop` by call and leg write one file per call and leg, named from the
 * Call-ID (the caller's text: reduced to safe characters and made unique by a hash). `record` and
 * `finish` serve the administrator: a recording is keyed by the leg's connection id and follows
 * the leg's endpoint, so a transfer that moves the leg into another call (the anchor's `moveLeg`)
 * keeps it running; it ends, its file complete, when the anchor releases the endpoint (the call is
 * cleared or the party leaves it) or when it is stopped. Finished files are listed and served
 * by name, and only names this service could have written are accepted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, open, opendir } from 'node:fs/promises';
import path from 'node:path';
import type { CoreLogger } from '../../core/index.js';
import { type MediaEngine, MediaError, type RecordingSummary } from '../../media/index.js';
import type { MediaAnchor, Outcome } from './media-anchor.js';

export interface RecordingServiceOptions {
  engine: MediaEngine;
  anchor: MediaAnchor;
  folder: string;
  /** The call a connection is in now; needed by `record`. */
  callOf?: (connectionId: string) => string | undefined;
  /** Epoch milliseconds; `Date.now` by default. */
  now?: () => number;
  logger?: CoreLogger;
}

/** A recording in progress. Times are epoch milliseconds. */
export interface ActiveRecording {
  readonly id: string;
  readonly connectionId: string;
  /** The call the leg is in now (a transfer may have moved it). */
  readonly callId: string;
  /** File name in the recordings folder. */
  readonly file: string;
  readonly startedAt: number;
}

/** An active recording with its progress. */
export interface ActiveRecordingStatus extends ActiveRecording {
  readonly seconds: number;
  /** Audio bytes on disk so far. */
  readonly bytes: number;
}

/** A finished file in the recordings folder. */
export interface RecordingFile {
  readonly name: string;
  readonly size: number;
  /** From the WAV header; null when the header is not a PCM WAV one. */
  readonly durationSeconds: number | null;
  /** Epoch milliseconds of its last write. */
  readonly modifiedAt: number;
}

export interface RecordingFiles {
  /** Newest first. */
  readonly files: readonly RecordingFile[];
  /** True when the folder held more recordings than are listed. */
  readonly truncated: boolean;
}

export type RecordResult =
  | { readonly ok: true; readonly recording: ActiveRecording }
  | {
      readonly ok: false;
      /** `not-anchored`: the connection exists but its media is not in the engine (yet). */
      readonly code: 'no-such-connection' | 'not-anchored' | 'already-recording' | 'failed';
      readonly reason: string;
    };

/** What a stopped recording wrote. */
export interface FinishedRecording extends ActiveRecording {
  readonly endedAt: number;
  readonly seconds: number;
  readonly bytes: number;
}

export type FinishResult =
  | { readonly ok: true; readonly recording: FinishedRecording }
  | { readonly ok: false; readonly code: 'no-such-recording' | 'failed'; readonly reason: string };

export type OpenFileResult =
  | { readonly ok: true; readonly size: number; readonly stream: ReadStream }
  | { readonly ok: false; readonly code: 'no-such-file' | 'recording' };

export interface RecordingService {
  /** Where the recording of a leg goes. */
  pathFor(callId: string, legId: string): string;
  start(callId: string, legId: string): Promise<Outcome & { path?: string }>;
  stop(
    callId: string,
    legId: string,
  ): Promise<({ ok: true } & RecordingSummary) | { ok: false; reason: string }>;
  /** Starts recording the leg of a connection, into a new file. */
  record(connectionId: string): Promise<RecordResult>;
  /** Stops a recording and completes its file. */
  finish(id: string): Promise<FinishResult>;
  active(): Promise<ActiveRecordingStatus[]>;
  files(): Promise<RecordingFiles>;
  /** A finished recording's file for download, by the name `files` lists. */
  openFile(name: string): Promise<OpenFileResult>;
  /** Recordings in progress. */
  readonly count: number;
  /** Stops listening to the anchor and the engine; recordings still running end with their endpoints. */
  close(): void;
}

const NAME_CHARACTERS = 48;
/** Names `record` writes: a UTC time, the connection and the recording id. */
export const RECORDING_FILE_NAME = /^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_-]{1,48}-[0-9a-f]{12}\.wav$/;
/** A folder listing reads at most this many recordings' headers. */
const MAX_LISTED = 1000;
const SAMPLE_BYTES = 4; // 16-bit stereo
const SAMPLE_RATE = 8000;
/** The recorder's canonical header (src/media/wav-writer.ts). */
const WAV_HEADER_BYTES = 44;
/** Bytes read from a file to find its `fmt ` and `data` chunks. */
const HEADER_WINDOW = 512;

const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, NAME_CHARACTERS);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isGone = (error: unknown) => error instanceof MediaError && error.code === 'no-such-endpoint';

interface Running extends ActiveRecording {
  readonly endpointId: string;
  readonly path: string;
}

export function createRecordingService(options: RecordingServiceOptions): RecordingService {
  return new Recordings(options);
}

class Recordings implements RecordingService {
  private readonly byId = new Map<string, Running>();
  /** Connections whose recording is being set up, so that two requests cannot race. */
  private readonly starting = new Set<string>();
  /** Endpoints of recordings being set up, and whether they were released meanwhile. */
  private readonly startingEndpoints = new Map<string, boolean>();
  private readonly now: () => number;
  private readonly stopListening: () => void;
  private folderReady: Promise<unknown> | undefined;

  constructor(private readonly options: RecordingServiceOptions) {
    this.now = options.now ?? Date.now;
    // The engine finishes a recorder before it releases its endpoint: the file is complete by
    // then. The anchor tells of the legs it releases; the engine's final counters tell of every
    // endpoint, also one the anchor handed over (a party moved into a conference room).
    const stopAnchor = options.anchor.onLegReleased((_callId, _legId, endpointId) => this.ended(endpointId));
    const stopEngine = options.engine.onEvent((event) => {
      if (event.type === 'stats') this.ended(event.stats.endpointId);
    });
    this.stopListening = () => {
      stopAnchor();
      stopEngine();
    };
  }

  private ended(endpointId: string): void {
    if (this.startingEndpoints.has(endpointId)) this.startingEndpoints.set(endpointId, true);
    for (const running of this.byId.values()) {
      if (running.endpointId !== endpointId) continue;
      this.byId.delete(running.id);
      this.options.logger?.debug(
        { recording: running.id, connectionId: running.connectionId, file: running.file },
        'recording ended with its leg',
      );
    }
  }

  get count(): number {
    return this.byId.size;
  }

  pathFor(callId: string, legId: string): string {
    const hash = createHash('sha256')
      .update(callId)
      .update('\u0000')
      .update(legId)
      .digest('hex')
      .slice(0, 12);
    return path.join(this.options.folder, `${safe(callId)}-${safe(legId)}-${hash}.wav`);
  }

  async start(callId: string, legId: string): Promise<Outcome & { path?: string }> {
    const id = this.options.anchor.endpointOf(callId, legId);
    if (!id) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
    const file = this.pathFor(callId, legId);
    try {
      await this.options.engine.record(id, file);
      return { ok: true, path: file };
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  }

  async stop(
    callId: string,
    legId: string,
  ): Promise<({ ok: true } & RecordingSummary) | { ok: false; reason: string }> {
    const id = this.options.anchor.endpointOf(callId, legId);
    if (!id) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
    try {
      return { ok: true, ...(await this.options.engine.stopRecord(id)) };
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  }

  async record(connectionId: string): Promise<RecordResult> {
    const callId = this.options.callOf?.(connectionId);
    if (callId === undefined)
      return { ok: false, code: 'no-such-connection', reason: `no connection ${connectionId}` };
    const endpointId = this.options.anchor.endpointOf(callId, connectionId);
    if (endpointId === null)
      return {
        ok: false,
        code: 'not-anchored',
        reason: `connection ${connectionId} has no media anchored yet`,
      };
    if (this.starting.has(connectionId) || this.runningFor(connectionId))
      return {
        ok: false,
        code: 'already-recording',
        reason: `connection ${connectionId} is being recorded`,
      };
    this.starting.add(connectionId);
    this.startingEndpoints.set(endpointId, false);
    try {
      const id = this.newId();
      const startedAt = this.now();
      const file = `${fileTime(startedAt)}-${safe(connectionId)}-${id}.wav`;
      const target = path.join(this.options.folder, file);
      this.folderReady ??= mkdir(this.options.folder, { recursive: true });
      await this.folderReady.catch(() => {
        // A folder that could not be made may be made later (its parent mounted, say).
        this.folderReady = undefined;
      });
      await this.options.engine.record(endpointId, target);
      // Released while the file was being opened: the engine ended the recorder with the endpoint.
      if (this.startingEndpoints.get(endpointId))
        return { ok: false, code: 'not-anchored', reason: `connection ${connectionId} was released` };
      const running: Running = { id, connectionId, callId, file, startedAt, endpointId, path: target };
      this.byId.set(id, running);
      return { ok: true, recording: this.view(running) };
    } catch (error) {
      if (error instanceof MediaError && error.code === 'busy')
        return { ok: false, code: 'already-recording', reason: error.message };
      if (isGone(error))
        return { ok: false, code: 'not-anchored', reason: `connection ${connectionId} was released` };
      return { ok: false, code: 'failed', reason: describe(error) };
    } finally {
      this.starting.delete(connectionId);
      this.startingEndpoints.delete(endpointId);
    }
  }

  async finish(id: string): Promise<FinishResult> {
    const running = this.byId.get(id);
    if (!running) return { ok: false, code: 'no-such-recording', reason: `no recording ${id} in progress` };
    this.byId.delete(id);
    const endedAt = this.now();
    try {
      const summary = await this.options.engine.stopRecord(running.endpointId);
      const bytes = summary.samples * SAMPLE_BYTES;
      return {
        ok: true,
        recording: { ...this.view(running), endedAt, seconds: summary.samples / SAMPLE_RATE, bytes },
      };
    } catch (error) {
      // The endpoint went with its worker: whatever reached the disk is all there is.
      if (isGone(error)) {
        const bytes = await audioBytes(running.path);
        return {
          ok: true,
          recording: { ...this.view(running), endedAt, seconds: bytes / SAMPLE_BYTES / SAMPLE_RATE, bytes },
        };
      }
      return { ok: false, code: 'failed', reason: describe(error) };
    }
  }

  async active(): Promise<ActiveRecordingStatus[]> {
    const now = this.now();
    return Promise.all(
      [...this.byId.values()].map(async (running) => ({
        ...this.view(running),
        seconds: Math.max(0, (now - running.startedAt) / 1000),
        bytes: await audioBytes(running.path),
      })),
    );
  }

  async files(): Promise<RecordingFiles> {
    const names: string[] = [];
    let truncated = false;
    const recording = new Set([...this.byId.values()].map((running) => running.file));
    try {
      const folder = await opendir(this.options.folder);
      for await (const entry of folder) {
        if (!entry.isFile() || !RECORDING_FILE_NAME.test(entry.name) || recording.has(entry.name)) continue;
        if (names.length === MAX_LISTED) {
          truncated = true;
          break;
        }
        names.push(entry.name);
      }
    } catch (error) {
      // No recording has been made yet.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], truncated: false };
      throw error;
    }
    const files = await Promise.all(names.map((name) => this.describeFile(name)));
    const listed = files.filter((file): file is RecordingFile => file !== null);
    // The names start with the UTC time they began: newest first is reverse name order.
    listed.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    return { files: listed, truncated };
  }

  async openFile(name: string): Promise<OpenFileResult> {
    // Only names this service writes: no separators, no dot segments, nothing outside the folder.
    if (!RECORDING_FILE_NAME.test(name)) return { ok: false, code: 'no-such-file' };
    for (const running of this.byId.values())
      if (running.file === name) return { ok: false, code: 'recording' };
    const file = path.join(this.options.folder, name);
    try {
      const stats = await lstat(file);
      if (!stats.isFile()) return { ok: false, code: 'no-such-file' };
      return { ok: true, size: stats.size, stream: createReadStream(file) };
    } catch {
      return { ok: false, code: 'no-such-file' };
    }
  }

  close(): void {
    this.stopListening();
  }

  private async describeFile(name: string): Promise<RecordingFile | null> {
    const file = path.join(this.options.folder, name);
    try {
      const stats = await lstat(file);
      if (!stats.isFile()) return null;
      return {
        name,
        size: stats.size,
        durationSeconds: await wavDuration(file),
        modifiedAt: Math.round(stats.mtimeMs),
      };
    } catch {
      // Deleted between the listing and here.
      return null;
    }
  }

  private runningFor(connectionId: string): Running | undefined {
    for (const running of this.byId.values()) if (running.connectionId === connectionId) return running;
    return undefined;
  }

  private view(running: Running): ActiveRecording {
    // The leg may have moved to another call since it started (a transfer).
    const callId = this.options.callOf?.(running.connectionId) ?? running.callId;
    return {
      id: running.id,
      connectionId: running.connectionId,
      callId,
      file: running.file,
      startedAt: running.startedAt,
    };
  }

  private newId(): string {
    for (;;) {
      const id = randomBytes(6).toString('hex');
      if (!this.byId.has(id)) return id;
    }
  }
}

/** `20261122T023841Z`: sorts as it happened, and safe in a file name. */
function fileTime(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Audio bytes of a file being written: its size past the 44-byte header. */
async function audioBytes(file: string): Promise<number> {
  try {
    return Math.max(0, (await lstat(file)).size - WAV_HEADER_BYTES);
  } catch {
    return 0;
  }
}

/**
 * Seconds of audio a WAV file's header announces: the `data` chunk's size over the `fmt `
 * chunk's byte rate (RIFF chunks are walked, padded to even sizes). Null for anything else.
 */
async function wavDuration(file: string): Promise<number | null> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(HEADER_WINDOW);
    const { bytesRead } = await handle.read(header, 0, HEADER_WINDOW, 0);
    if (
      bytesRead < 12 ||
      header.toString('ascii', 0, 4) !== 'RIFF' ||
      header.toString('ascii', 8, 12) !== 'WAVE'
    )
      return null;
    let byteRate = 0;
    for (let offset = 12; offset + 8 <= bytesRead; ) {
      const id = header.toString('ascii', offset, offset + 4);
      const size = header.readUInt32LE(offset + 4);
      if (id === 'fmt ' && offset + 20 <= bytesRead) byteRate = header.readUInt32LE(offset + 16);
      if (id === 'data') return byteRate > 0 ? size / byteRate : null;
      offset += 8 + size + (size % 2);
    }
    return null;
  } finally {
    await handle.close();
  }
}
