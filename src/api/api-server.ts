/**
 * The management API: REST under `/api/v1` with its OpenAPI document, the events WebSocket and
 * `/metrics`, on fastify.
 */
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import { createConfigService } from '../admin/index.js';
import type { Store } from '../store/index.js';
import { isLoopback, presentedToken, tokenChecker } from './auth.js';
import { handleError, handleNotFound, sendError } from './errors.js';
import { createEventBroadcaster } from './events.js';
import { createMetricsRegistry } from './metrics.js';
import { registerConferenceRoutes } from './routes/conference-routes.js';
import { registerConfigRoutes } from './routes/config-routes.js';
import { registerDeviceRoutes } from './routes/device-routes.js';
import { registerMediaRoutes } from './routes/media-routes.js';
import { registerRecordingRoutes } from './routes/recording-routes.js';
import { registerRuntimeRoutes } from './routes/runtime-routes.js';
import { ErrorBody } from './schemas.js';
import type {
  ConferenceControl,
  EventSource,
  MediaSource,
  MetricsSources,
  RecordingControl,
  RuntimeViews,
  TraceSource,
} from './sources.js';
import { createTraceSessions } from './trace.js';

export const API_PREFIX = '/api/v1';
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
export const EVENTS_PATH = `${API_PREFIX}/events`;
export const TRACE_PATH = `${API_PREFIX}/trace`;

/** Request bodies beyond this are refused with 413. */
const BODY_LIMIT = 1024 * 1024;
/** Messages a client may send on the events socket (it has nothing to say). */
const MAX_CLIENT_MESSAGE = 4096;

export interface ApiServerOptions {
  readonly store: Store;
  /** Told after every committed configuration change made through the API. */
  readonly onConfigChanged?: (version: number) => void | Promise<void>;
  readonly views: RuntimeViews;
  readonly events: EventSource;
  /** The conference bridge; without it (media not anchored) the conference routes answer 503. */
  readonly conferences?: ConferenceControl;
  /** Call recording; without it (media not anchored) the recording routes answer 503. */
  readonly recordings?: RecordingControl;
  /** The RTP engine and the anchor; without it (media not anchored) `/media` answers `anchored: false`. */
  readonly media?: MediaSource;
  /** The live SIP message trace; without it `/api/v1/trace` is not offered. */
  readonly trace?: TraceSource;
  readonly metrics: MetricsSources;
  /** Required unless `bind` is loopback. */
  readonly token?: string | null;
  readonly bind: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  readonly product?: { readonly name: string; readonly version: string };
  /** Epoch milliseconds; `Date.now` unless a test fixes time. */
  readonly now?: () => number;
}

export interface ApiServer {
  listen(): Promise<{ readonly address: string; readonly port: number }>;
  close(): Promise<void>;
}

/** Thrown by `createApiServer` for a configuration it refuses to serve. */
export class ApiConfigurationError extends Error {
  override readonly name = 'ApiConfigurationError';
}

export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const token = options.token || undefined;
  if (token === undefined && !isLoopback(options.bind)) {
    throw new ApiConfigurationError(
      `the management API has no admin token, so it binds only to loopback (127.0.0.1, ::1, localhost), not ${options.bind}: set adminToken (STROWGER_ADMIN_TOKEN) or bind to loopback`,
    );
  }
  const now = options.now ?? Date.now;
  const startedAt = now();
  const logger = options.logger.child({ module: 'api' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    // Fastify's request log carries the URL with its query, where the events route takes the token.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's own error text for oversized or malformed ids; URL keys are at most 64 characters.
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Strowger management API',
        version: options.product?.version ?? '0.1.0',
        description:
          'Configuration (the objects of strowger.yaml, validated by the same rules), runtime views and events of a Strowger node.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: token === undefined ? [] : [{ bearer: [] }],
    },
  });
  await app.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE } });

  const matches = token === undefined ? undefined : tokenChecker(token);
  app.addHook('onRequest', async (request, reply) => {
    if (!matches) return;
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith(`${API_PREFIX}/`) || path === OPENAPI_PATH) return;
    if (!matches(presentedToken(request, path === EVENTS_PATH || path === TRACE_PATH))) {
      // RFC 6750 §3: tell the client which scheme to use.
      reply.header('www-authenticate', 'Bearer realm="strowger"');
      return sendError(reply, 401, 'a valid admin token is required (Authorization: Bearer <token>)');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0];
    // Reads that succeed are routine; changes and refusals are what an operator looks for.
    const level = request.method === 'GET' && reply.statusCode < 400 ? 'debug' : 'info';
    request.log[level](
      { method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  const config = createConfigService({
    store: options.store,
    onConfigChanged: async (version) => {
      try {
        await options.onConfigChanged?.(version);
      } catch (error) {
        logger.error({ err: error, version }, 'configuration changed but the node did not reload it');
      }
    },
  });
  if (options.views.devices) registerDeviceRoutes(app, options.views.devices, API_PREFIX);
  registerConfigRoutes(app, config, API_PREFIX);
  registerRuntimeRoutes(
    app,
    {
      views: options.views,
      store: options.store,
      product: options.product ?? { name: 'Strowger', version: '0.1.0' },
      startedAt,
      now,
    },
    API_PREFIX,
  );
  registerConferenceRoutes(app, options.conferences, API_PREFIX);
  registerRecordingRoutes(app, options.recordings, API_PREFIX);
  registerMediaRoutes(app, options.media, API_PREFIX);

  const broadcaster = createEventBroadcaster(options.events, logger);
  app.route({
    method: 'GET',
    url: EVENTS_PATH,
    schema: {
      tags: ['runtime'],
      summary: 'Events as they happen (WebSocket; one JSON text message per event)',
      description:
        'Upgrade to WebSocket (RFC 6455). With an admin token configured, send it as `Authorization: Bearer` or `?token=`.',
      response: { 401: ErrorBody, 426: ErrorBody },
    },
    // RFC 9110 §15.5.22: a plain GET is told to upgrade.
    handler: (_request, reply) =>
      sendError(reply.header('upgrade', 'websocket'), 426, 'connect with a WebSocket client'),
    wsHandler: (socket) => broadcaster.add(socket),
  });

  const traceSessions = options.trace && createTraceSessions(options.trace, logger);
  if (traceSessions) {
    app.route({
      method: 'GET',
      url: TRACE_PATH,
      schema: {
        tags: ['runtime'],
        summary: 'Live SIP message trace (WebSocket; one JSON text message per SIP message)',
        description:
          'Upgrade to WebSocket (RFC 6455). `?device=NAME` limits the trace to one phone (its registered addresses and its lines). With an admin token configured, send it as `Authorization: Bearer` or `?token=`.',
        querystring: Type.Object({
          device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          token: Type.Optional(Type.String()),
        }),
        response: { 401: ErrorBody, 426: ErrorBody },
      },
      handler: (_request, reply) =>
        sendError(reply.header('upgrade', 'websocket'), 426, 'connect with a WebSocket client'),
      wsHandler: (socket, request) => {
        const { device } = request.query as { device?: string };
        traceSessions.add(socket, device);
      },
    });
  }

  const registry = createMetricsRegistry(options.metrics);
  app.get(
    '/metrics',
    {
      schema: { tags: ['metrics'], summary: 'Prometheus metrics (text format; no token needed)' },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );

  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());

  return {
    listen: async () => {
      await app.listen({ host: options.bind, port: options.port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('the API is not on a TCP port');
      return { address: address.address, port: address.port };
    },
    close: async () => {
      broadcaster.close();
      traceSessions?.close();
      await app.close();
    },
  };
}
