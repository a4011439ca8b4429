/**
 * `/api/v1/events`: the core's events as JSON text messages (RFC 6455 §5.6), one per event, as
 * they happen. Each event is serialised once for every client. A client that does not keep up is
 * dropped rather than buffered without bound.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventSource, ServerEvent } from './sources.js';

/** Clients at once; more are turned away with 1013 Try Again Later (RFC 6455 §7.4.2 registry). */
export const MAX_EVENT_CLIENTS = 64;
/** Bytes queued for one client before it is dropped as too slow. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

const TRY_AGAIN_LATER = 1013;

export interface EventBroadcaster {
  /** Takes a connected client; it gets every event from now until it closes. */
  add(socket: WebSocket): void;
  close(): void;
}

export function createEventBroadcaster(source: EventSource, logger: FastifyBaseLogger): EventBroadcaster {
  const clients = new Set<WebSocket>();

  const unsubscribe = source.on((event: ServerEvent) => {
    if (clients.size === 0) return;
    let text: string;
    try {
      text = JSON.stringify(event);
    } catch (error) {
      logger.warn({ err: error, type: event.type }, 'event not serialisable as JSON: not sent');
      return;
    }
    for (const socket of clients) {
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        logger.warn('events client too slow: disconnected');
        clients.delete(socket);
        socket.terminate();
      } else {
        socket.send(text);
      }
    }
  });

  return {
    add(socket) {
      if (clients.size >= MAX_EVENT_CLIENTS) {
        socket.close(TRY_AGAIN_LATER, 'too many event clients');
        return;
      }
      clients.add(socket);
      socket.on('close', () => clients.delete(socket));
      socket.on('error', (error) => logger.debug({ err: error }, 'events client error'));
    },
    close() {
      unsubscribe();
      for (const socket of clients) socket.close(1001, 'server stopping');
      clients.clear();
    },
  };
}
