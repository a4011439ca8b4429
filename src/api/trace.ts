/**
 * `/api/v1/trace`: the live SIP message trace as JSON text messages over a WebSocket, for
 * everything or one device (`?device=SEP…`). Each client has its own filter; a client that does
 * not keep up is dropped rather than buffered without bound.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { TraceSource } from './sources.js';

/** Trace watchers at once; each costs a filter run per SIP message. */
export const MAX_TRACE_CLIENTS = 8;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const TRY_AGAIN_LATER = 1013;

export interface TraceSessions {
  add(socket: WebSocket, device: string | undefined): void;
  close(): void;
}

export function createTraceSessions(source: TraceSource, logger: FastifyBaseLogger): TraceSessions {
  const sessions = new Map<WebSocket, () => void>();
  const end = (socket: WebSocket) => {
    sessions.get(socket)?.();
    sessions.delete(socket);
  };
  return {
    add(socket, device) {
      if (sessions.size >= MAX_TRACE_CLIENTS) {
        socket.close(TRY_AGAIN_LATER, 'too many trace clients');
        return;
      }
      const unsubscribe = source.subscribe(device === undefined ? {} : { device }, (entry) => {
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          logger.warn('trace client too slow: disconnected');
          end(socket);
          socket.terminate();
          return;
        }
        socket.send(JSON.stringify(entry));
      });
      sessions.set(socket, unsubscribe);
      logger.info({ device: device ?? null }, 'SIP trace started');
      socket.on('close', () => {
        end(socket);
        logger.info({ device: device ?? null }, 'SIP trace stopped');
      });
      socket.on('error', (error) => logger.debug({ err: error }, 'trace client error'));
    },
    close() {
      for (const [socket, unsubscribe] of sessions) {
        unsubscribe();
        socket.close(1001, 'server stopping');
      }
      sessions.clear();
    },
  };
}
