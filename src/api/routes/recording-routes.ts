/**
 * Call recording (`/recordings`): start recording a party's leg by its connection id, list the
 * recordings in progress and the finished files, stop one, download a finished WAV. Refusals:
 * 404 for an unknown connection, recording or file; 409 for a leg whose media is not anchored or
 * is recorded already; 503 on a node whose media is not anchored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendError } from '../errors.js';
import {
  ErrorBody,
  FinishedRecording,
  Recording,
  RecordingFileParams,
  RecordingList,
  RecordingParams,
  RecordingRequest,
} from '../schemas.js';
import type { RecordingControl } from '../sources.js';

type RecordFailure = Extract<Awaited<ReturnType<RecordingControl['record']>>, { ok: false }>;

const RECORD_STATUS: Record<RecordFailure['code'], number> = {
  'no-such-connection': 404,
  'not-anchored': 409,
  'already-recording': 409,
  failed: 500,
};

const errors = { 401: ErrorBody, 503: ErrorBody };

export function registerRecordingRoutes(
  app: FastifyInstance,
  recordings: RecordingControl | undefined,
  prefix: string,
): void {
  const path = `${prefix}/recordings`;
  const tags = ['recordings'];
  /** Runs `handle` with the service, or answers 503 on a node whose media is not anchored. */
  const withService =
    (handle: (service: RecordingControl, request: FastifyRequest, reply: FastifyReply) => unknown) =>
    (request: FastifyRequest, reply: FastifyReply) =>
      recordings === undefined
        ? sendError(reply, 503, 'recording needs anchored media (node.media.anchor: on)')
        : handle(recordings, request, reply);

  app.get(
    path,
    {
      schema: {
        tags,
        summary: 'Recordings in progress and finished recording files (show recordings)',
        response: { 200: RecordingList, ...errors },
      },
    },
    withService(async (service) => {
      const [active, listed] = await Promise.all([service.active(), service.files()]);
      return { active, files: listed.files, truncated: listed.truncated };
    }),
  );
  app.post(
    path,
    {
      schema: {
        tags,
        summary:
          "Start recording a party's leg: what it sends on the left channel, what it hears on the right",
        description:
          'The recording follows the leg when a transfer moves it to another call, and ends by itself, its file complete, when the party leaves the call.',
        body: RecordingRequest,
        response: { 201: Recording, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, ...errors },
      },
    },
    withService(async (service, request, reply) => {
      const { connectionId } = request.body as { connectionId: string };
      const started = await service.record(connectionId);
      if (!started.ok) {
        if (started.code === 'failed') request.log.error({ reason: started.reason }, 'recording not started');
        return sendError(reply, RECORD_STATUS[started.code], started.reason);
      }
      return reply.code(201).send(started.recording);
    }),
  );
  app.delete(
    `${path}/:id`,
    {
      schema: {
        tags,
        summary: 'Stop a recording; its file is complete when this answers',
        params: RecordingParams,
        response: { 200: FinishedRecording, 400: ErrorBody, 404: ErrorBody, ...errors },
      },
    },
    withService(async (service, request, reply) => {
      const stopped = await service.finish((request.params as { id: string }).id);
      if (stopped.ok) return stopped.recording;
      if (stopped.code === 'no-such-recording') return sendError(reply, 404, stopped.reason);
      request.log.error({ reason: stopped.reason }, 'recording not stopped cleanly');
      return sendError(reply, 500, 'the recording could not be completed');
    }),
  );
  app.get(
    `${path}/files/:name`,
    {
      schema: {
        tags,
        summary: 'Download a finished recording (audio/wav: 8 kHz 16-bit stereo PCM)',
        params: RecordingFileParams,
        response: {
          200: Type.String({ contentMediaType: 'audio/wav', contentEncoding: 'binary' }),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          ...errors,
        },
      },
    },
    withService(async (service, request, reply) => {
      const { name } = request.params as { name: string };
      const opened = await service.openFile(name);
      if (!opened.ok) {
        return opened.code === 'recording'
          ? sendError(reply, 409, `${name} is still being recorded`)
          : sendError(reply, 404, 'no such recording file');
      }
      return reply
        .type('audio/wav')
        .header('content-length', String(opened.size))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(opened.stream);
    }),
  );
}
