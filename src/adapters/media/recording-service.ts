/**
 * Call recording: a leg's audio to a WAV file under a configured folder, one file per call and
 * leg (received audio on the left channel, sent on the right). File names come from Call-IDs,
 * which are the caller's text: they are reduced to safe characters and made unique by a hash.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { MediaEngine, RecordingSummary } from '../../media/index.js';
import type { MediaAnchor, Outcome } from './media-anchor.js';

export interface RecordingServiceOptions {
  engine: MediaEngine;
  anchor: MediaAnchor;
  folder: string;
}

export interface RecordingService {
  /** Where the recording of a leg goes. */
  pathFor(callId: string, legId: string): string;
  start(callId: string, legId: string): Promise<Outcome & { path?: string }>;
  stop(
    callId: string,
    legId: string,
  ): Promise<({ ok: true } & RecordingSummary) | { ok: false; reason: string }>;
}

const NAME_CHARACTERS = 48;

export function createRecordingService(options: RecordingServiceOptions): RecordingService {
  const pathFor = (callId: string, legId: string) => {
    const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, NAME_CHARACTERS);
    const hash = createHash('sha256')
      .update(callId)
      .update('\u0000')
      .update(legId)
      .digest('hex')
      .slice(0, 12);
    return path.join(options.folder, `${safe(callId)}-${safe(legId)}-${hash}.wav`);
  };
  const endpoint = (callId: string, legId: string) => options.anchor.endpointOf(callId, legId);
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  return {
    pathFor,
    async start(callId, legId) {
      const id = endpoint(callId, legId);
      if (!id) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      const file = pathFor(callId, legId);
      try {
        await options.engine.record(id, file);
        return { ok: true, path: file };
      } catch (error) {
        return { ok: false, reason: reason(error) };
      }
    },
    async stop(callId, legId) {
      const id = endpoint(callId, legId);
      if (!id) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      try {
        return { ok: true, ...(await options.engine.stopRecord(id)) };
      } catch (error) {
        return { ok: false, reason: reason(error) };
      }
    },
  };
}
