/**
 * The media plane (`/media`, `show media`): the RTP engine's workers, port pool and conference
 * mixes, and one row per endpoint with the call and leg (or conference room) it serves and its
 * RTP counters. A node
 * that does not anchor media answers with `anchored: false` and zeros: its media plane is off,
 * which is a state, not an error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors.js';
import { DEFAULT_MEDIA_STREAMS, ErrorBody, MediaQuery, MediaState } from '../schemas.js';
import type { MediaEndpointFigures, MediaEndpointOwner, MediaSource } from '../sources.js';

/** An endpoint's counters with who it serves. */
export interface MediaStreamView extends MediaEndpointFigures {
  readonly kind: 'call' | 'announcement' | 'conference' | 'other';
  readonly callId: string | null;
  readonly connectionId: string | null;
  readonly conferenceId: string | null;
}

/** `GET /api/v1/media`. */
export interface MediaStateView {
  readonly anchored: boolean;
  readonly workers: number;
  readonly ports: { readonly capacity: number; readonly used: number; readonly available: number };
  readonly conferences: number;
  readonly workerUtilization: readonly (number | null)[];
  readonly totalStreams: number;
  readonly streams: readonly MediaStreamView[];
}

const NOT_ANCHORED: MediaStateView = {
  anchored: false,
  workers: 0,
  ports: { capacity: 0, used: 0, available: 0 },
  conferences: 0,
  workerUtilization: [],
  totalStreams: 0,
  streams: [],
};

function streamView(figures: MediaEndpointFigures, owner: MediaEndpointOwner | null): MediaStreamView {
  return {
    endpointId: figures.endpointId,
    kind: owner?.kind ?? 'other',
    callId: owner?.callId ?? null,
    connectionId: owner?.legId ?? null,
    conferenceId: owner?.conferenceId ?? null,
    packetsReceived: figures.packetsReceived,
    packetsSent: figures.packetsSent,
    packetsLost: figures.packetsLost,
    jitterMs: figures.jitterMs,
    malformed: figures.malformed,
    foreignSource: figures.foreignSource,
    unroutable: figures.unroutable,
  };
}

/** The engine's state with at most `limit` streams, in the engine's order. */
async function readMediaState(media: MediaSource, limit: number): Promise<MediaStateView> {
  const figures = await media.stats();
  const { endpoints } = figures;
  const shown = Math.min(limit, endpoints.length);
  const streams: MediaStreamView[] = new Array(shown);
  for (let index = 0; index < shown; index++) {
    const endpoint = endpoints[index] as MediaEndpointFigures;
    streams[index] = streamView(endpoint, media.ownerOf(endpoint.endpointId));
  }
  return {
    anchored: true,
    workers: figures.workers,
    ports: figures.ports,
    conferences: figures.conferences,
    workerUtilization: figures.workerUtilization,
    totalStreams: endpoints.length,
    streams,
  };
}

export function registerMediaRoutes(
  app: FastifyInstance,
  media: MediaSource | undefined,
  prefix: string,
): void {
  app.get(
    `${prefix}/media`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'The RTP engine: workers, ports, conferences and every stream (show media)',
        querystring: MediaQuery,
        response: { 200: MediaState, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (media === undefined) return NOT_ANCHORED;
      const limit = (request.query as { limit?: number }).limit ?? DEFAULT_MEDIA_STREAMS;
      try {
        return await readMediaState(media, limit);
      } catch (error) {
        // A worker that died or an engine closing with the node: the state cannot be read now.
        request.log.warn({ err: error }, 'media engine statistics not read');
        return sendError(reply, 503, 'the RTP engine did not answer');
      }
    },
  );
}
