/**
 * Conference rooms on the bridge (`/conferences`): list, open (empty, dialling out, or ad hoc
 * from a device's held and active calls), add a participant by dialling out or by moving a party
 * of a call in, drop one, end a room. Refusals carry the bridge's reason:
 * 503 when `max-conferences` rooms are running, 404 for an unknown room or participant, 409 for
 * a connection or number that cannot join.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendError } from '../errors.js';
import {
  ConferenceParticipantAdded,
  ConferenceParticipantParams,
  ConferenceParticipantRequest,
  ConferenceRoom,
  ConferenceRoomParams,
  ConferenceRoomRequest,
  ErrorBody,
} from '../schemas.js';
import type { ConferenceControl, ConferenceOutcome } from '../sources.js';

type Failure = Extract<ConferenceOutcome, { ok: false }>;

const STATUS: Record<Failure['code'], number> = {
  'conference-limit': 503,
  'no-such-room': 404,
  'no-such-participant': 404,
  'invalid-connection': 409,
  'call-failed': 409,
  failed: 503,
};

/** Seconds a client is asked to wait before opening a room again at the limit (RFC 9110 §10.2.3). */
const RETRY_AFTER_SECONDS = 30;

const errors = { 401: ErrorBody, 404: ErrorBody, 503: ErrorBody };

export function registerConferenceRoutes(
  app: FastifyInstance,
  bridge: ConferenceControl | undefined,
  prefix: string,
): void {
  const path = `${prefix}/conferences`;
  const tags = ['conferences'];
  /** Runs `handle` with the bridge, or answers 503 on a node whose media is not anchored. */
  const withBridge =
    (handle: (bridge: ConferenceControl, request: FastifyRequest, reply: FastifyReply) => unknown) =>
    (request: FastifyRequest, reply: FastifyReply) =>
      bridge === undefined
        ? sendError(reply, 503, 'conferences need anchored media (node.media.anchor: on)')
        : handle(bridge, request, reply);
  const refuse = (reply: FastifyReply, failure: Failure) => {
    if (failure.code === 'conference-limit') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return sendError(reply, STATUS[failure.code], failure.reason);
  };

  app.get(
    path,
    {
      schema: {
        tags,
        summary: 'Conference rooms running and their participants (show conferences)',
        response: { 200: Type.Array(ConferenceRoom), ...errors },
      },
    },
    withBridge((bridge) => bridge.rooms()),
  );
  app.post(
    path,
    {
      schema: {
        tags,
        summary:
          'Open a room, calling `numbers` into it or joining a device’s held and active calls (ad hoc); others join by its number or are added later',
        body: ConferenceRoomRequest,
        response: { 201: ConferenceRoom, 400: ErrorBody, 409: ErrorBody, ...errors },
      },
    },
    withBridge(async (bridge, request, reply) => {
      const { numbers, heldConnectionId, activeConnectionId } = request.body as {
        numbers?: string[];
        heldConnectionId?: string;
        activeConnectionId?: string;
      };
      if (heldConnectionId !== undefined || activeConnectionId !== undefined) {
        if (heldConnectionId === undefined || activeConnectionId === undefined || numbers !== undefined)
          return sendError(
            reply,
            400,
            'body: an ad hoc conference takes heldConnectionId and activeConnectionId, without numbers',
          );
        const conferenced = await bridge.adHoc(heldConnectionId, activeConnectionId);
        return conferenced.ok ? reply.code(201).send(conferenced.room) : refuse(reply, conferenced);
      }
      const opened = await bridge.createRoom();
      if (!opened.ok) return refuse(reply, opened);
      // A number that cannot be called is left out; the room lists who is being called.
      for (const number of numbers ?? []) await bridge.dialOut(opened.room.id, number);
      return reply.code(201).send(bridge.room(opened.room.id) ?? opened.room);
    }),
  );
  app.get(
    `${path}/:id`,
    {
      schema: {
        tags,
        summary: 'One room and its participants',
        params: ConferenceRoomParams,
        response: { 200: ConferenceRoom, 400: ErrorBody, ...errors },
      },
    },
    withBridge((bridge, request, reply) => {
      const { id } = request.params as { id: string };
      return bridge.room(id) ?? sendError(reply, 404, `no conference room ${id}`);
    }),
  );
  app.delete(
    `${path}/:id`,
    {
      schema: {
        tags,
        summary: 'End a room: every participant is hung up',
        params: ConferenceRoomParams,
        response: { 204: Type.Null(), 400: ErrorBody, ...errors },
      },
    },
    withBridge(async (bridge, request, reply) => {
      const ended = await bridge.endRoom((request.params as { id: string }).id);
      return ended.ok ? reply.code(204).send() : refuse(reply, ended);
    }),
  );
  app.post(
    `${path}/:id/participants`,
    {
      schema: {
        tags,
        summary: 'Add a participant: the bridge calls a number, or a party of a call moves in',
        params: ConferenceRoomParams,
        body: ConferenceParticipantRequest,
        response: { 202: ConferenceParticipantAdded, 400: ErrorBody, 409: ErrorBody, ...errors },
      },
    },
    withBridge(async (bridge, request, reply) => {
      const { id } = request.params as { id: string };
      const { number, connectionId } = request.body as { number?: string; connectionId?: string };
      if ((number === undefined) === (connectionId === undefined))
        return sendError(reply, 400, 'body: give either number (dial out) or connectionId (move a party in)');
      const added =
        number === undefined ? bridge.pull(id, connectionId ?? '') : await bridge.dialOut(id, number);
      return added.ok ? reply.code(202).send({ callId: added.callId }) : refuse(reply, added);
    }),
  );
  app.delete(
    `${path}/:id/participants/:connectionId`,
    {
      schema: {
        tags,
        summary: 'Hang a participant up',
        params: ConferenceParticipantParams,
        response: { 204: Type.Null(), 400: ErrorBody, ...errors },
      },
    },
    withBridge((bridge, request, reply) => {
      const { id, connectionId } = request.params as { id: string; connectionId: string };
      const dropped = bridge.drop(id, connectionId);
      return dropped.ok ? reply.code(204).send() : refuse(reply, dropped);
    }),
  );
}
