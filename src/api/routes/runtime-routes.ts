/** Read-only views of the running node: registrations, calls, call detail records, status. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { analyseCall, type CallInput } from '../../admin/dialplan/index.js';
import type { Store } from '../../store/index.js';
import { sendError } from '../errors.js';
import {
  Call,
  CallDetailRecord,
  CdrQuery,
  DnaQuery,
  DnaResult,
  ErrorBody,
  Registration,
  Status,
  Trunk,
} from '../schemas.js';
import type { RuntimeViews } from '../sources.js';

export interface RuntimeRouteOptions {
  readonly views: RuntimeViews;
  readonly store: Store;
  readonly product: { readonly name: string; readonly version: string };
  /** Milliseconds since the epoch when the node started, and now. */
  readonly startedAt: number;
  readonly now: () => number;
}

const unauthorized = { 401: ErrorBody };

export const runtimeRoutePaths = ['/registrations', '/calls', '/cdrs', '/status', '/trunks', '/dna'];

export function registerRuntimeRoutes(
  app: FastifyInstance,
  options: RuntimeRouteOptions,
  prefix: string,
): void {
  const { views, store, product } = options;
  app.get(
    `${prefix}/registrations`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Live registration bindings (show registrations)',
        response: { 200: Type.Array(Registration), ...unauthorized },
      },
    },
    () => views.registrations(),
  );
  app.get(
    `${prefix}/trunks`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'SIP trunks: service state and registration of their numbers (show sip-ua register status)',
        response: { 200: Type.Array(Trunk), ...unauthorized },
      },
    },
    () => views.trunks(),
  );
  app.get(
    `${prefix}/dna`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Dialed number analysis on the running configuration (strowger dna)',
        querystring: DnaQuery,
        response: { 200: DnaResult, 400: ErrorBody, ...unauthorized },
      },
    },
    (request, reply) => {
      const result = analyseCall(views.snapshot(), request.query as CallInput);
      if (!result.ok) return sendError(reply, 400, result.errors.join('; '));
      return result.analysis;
    },
  );
  app.get(
    `${prefix}/calls`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Calls in progress (show calls)',
        response: { 200: Type.Array(Call), ...unauthorized },
      },
    },
    () => views.calls(),
  );
  app.get(
    `${prefix}/cdrs`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Call detail records, newest first',
        querystring: CdrQuery,
        response: { 200: Type.Array(CallDetailRecord), 400: ErrorBody, ...unauthorized },
      },
    },
    (request) => store.callRecords.list((request.query as { limit?: number }).limit ?? 100),
  );
  app.get(
    `${prefix}/status`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Version, uptime, configuration version and listeners',
        response: { 200: Status, ...unauthorized },
      },
    },
    () => ({
      product: product.name,
      version: product.version,
      uptimeSeconds: Math.max(0, Math.floor((options.now() - options.startedAt) / 1000)),
      configVersion: views.configVersion(),
      listeners: views.listeners(),
    }),
  );
}
