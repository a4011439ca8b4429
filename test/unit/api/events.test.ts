import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createEventBroadcaster, MAX_BUFFERED_BYTES, MAX_EVENT_CLIENTS } from '../../../src/api/events.js';
import type { EventSource, ServerEvent } from '../../../src/api/sources.js';

class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  terminated = false;
  send(text: string) {
    this.sent.push(text);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.emit('close');
  }
  terminate() {
    this.terminated = true;
    this.emit('close');
  }
}

function source() {
  const listeners = new Set<(event: ServerEvent) => void>();
  const events: EventSource = {
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    events,
    listeners,
    emit: (event: ServerEvent) => {
      for (const listener of listeners) listener(event);
    },
  };
}

const logger = pino({ level: 'silent' });
const asWebSocket = (socket: FakeSocket) => socket as unknown as WebSocket;

describe('event broadcaster', () => {
  it('sends each event to every client as the same JSON text', () => {
    const { events, emit } = source();
    const broadcaster = createEventBroadcaster(events, logger);
    const a = new FakeSocket();
    const b = new FakeSocket();
    broadcaster.add(asWebSocket(a));
    broadcaster.add(asWebSocket(b));
    emit({ type: 'established', callId: 'c1' } as ServerEvent);
    expect(a.sent).toEqual(['{"type":"established","callId":"c1"}']);
    expect(b.sent).toEqual(a.sent);
    a.emit('close');
    emit({ type: 'callCleared' });
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(2);
  });

  it('drops a client that does not keep up instead of buffering for it', () => {
    const { events, emit } = source();
    const broadcaster = createEventBroadcaster(events, logger);
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    broadcaster.add(asWebSocket(slow));
    broadcaster.add(asWebSocket(fast));
    slow.bufferedAmount = MAX_BUFFERED_BYTES + 1;
    emit({ type: 'delivered' });
    expect(slow.terminated).toBe(true);
    expect(slow.sent).toEqual([]);
    expect(fast.sent).toHaveLength(1);
  });

  it('turns away clients beyond the limit with 1013', () => {
    const { events } = source();
    const broadcaster = createEventBroadcaster(events, logger);
    for (let i = 0; i < MAX_EVENT_CLIENTS; i++) broadcaster.add(asWebSocket(new FakeSocket()));
    const extra = new FakeSocket();
    broadcaster.add(asWebSocket(extra));
    expect(extra.closed?.code).toBe(1013);
  });

  it('leaves out an event that is not JSON, and unsubscribes and closes clients on close', () => {
    const { events, emit, listeners } = source();
    const broadcaster = createEventBroadcaster(events, logger);
    const client = new FakeSocket();
    broadcaster.add(asWebSocket(client));
    const circular: Record<string, unknown> = { type: 'loop' };
    circular.self = circular;
    emit(circular as unknown as ServerEvent);
    expect(client.sent).toEqual([]);
    broadcaster.close();
    expect(listeners.size).toBe(0);
    expect(client.closed?.code).toBe(1001);
  });
});
