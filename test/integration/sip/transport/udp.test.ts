import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, serializeMessage } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import {
  createTransportLayer,
  type MeteredTransportLayer,
  TransportError,
} from '../../../../src/sip/transport/index.js';
import { Inbox, requestText, statusOf } from './helpers.js';

/** A UDP peer that collects datagrams. */
class UdpPeer {
  readonly received: Buffer[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('message', (datagram) => {
      this.received.push(datagram);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }
  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(bytes: string | Buffer, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }
  async next(): Promise<string> {
    while (this.received.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received.shift()!.toString('latin1');
  }
}

describe('UDP transport', () => {
  let layer: MeteredTransportLayer;
  let inbox: Inbox;
  let port: number;
  let peer: UdpPeer;

  beforeEach(async () => {
    layer = await createTransportLayer({ listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    inbox = new Inbox(layer);
    port = layer.listening()[0]!.port;
    peer = await UdpPeer.open();
  });

  afterEach(async () => {
    peer.socket.close();
    await layer.close();
  });

  it('stamps received and rport on a request and sends the response back to the source port', async () => {
    peer.send(requestText({ transport: 'UDP', viaHost: '192.0.2.99', viaPort: 5999, rport: true }), port);
    const { message, info } = await inbox.next();
    expect(message.kind).toBe('request');
    expect(info.source).toEqual({ protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    expect(info.local).toEqual({ protocol: 'UDP', address: '127.0.0.1', port });
    expect(message.via[0]).toMatchObject({ host: '192.0.2.99', received: '127.0.0.1', rport: peer.port });
    expect(message.headers.get('via')).toContain(`received=127.0.0.1;rport=${peer.port}`);

    await layer.sendResponse(createResponse(message as SipRequest, 200, 'OK'), info);
    const response = await peer.next();
    expect(statusOf(response)).toBe(200);
    expect(response).toContain(`;received=127.0.0.1;rport=${peer.port}`);
    expect(layer.stats().messagesIn.UDP).toBe(1);
    expect(layer.stats().messagesOut.UDP).toBe(1);
  });

  it('adds received only when the sent-by host differs from the source', async () => {
    peer.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }), port);
    const same = await inbox.next();
    expect(same.message.via[0]?.received).toBeUndefined();
    peer.send(requestText({ transport: 'UDP', viaHost: 'phone.example.com', viaPort: 5060 }), port);
    const named = await inbox.next();
    expect(named.message.via[0]?.received).toBe('127.0.0.1');
    expect(named.message.via[0]?.rport).toBeUndefined();
  });

  it('answers a malformed request that has a Via with a stateless 400 and keeps serving', async () => {
    const bad = requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }).replace(
      'CSeq: 1 OPTIONS',
      'CSeq: one OPTIONS',
    );
    peer.send(bad, port);
    const response = await peer.next();
    expect(statusOf(response)).toBe(400);
    expect(response.split('\r\n')[0]).toMatch(/^SIP\/2\.0 400 Bad Request \(CSeq\)$/);
    expect(layer.stats().parseFailures).toBe(1);
    peer.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }), port);
    expect((await inbox.next()).message.kind).toBe('request');
  });

  it('logs a handler that throws and keeps serving', async () => {
    let calls = 0;
    const secondCall = new Promise<void>((resolve) =>
      layer.onMessage(() => {
        calls++;
        if (calls === 1) throw new Error('handler defect');
        resolve();
      }),
    );
    peer.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }), port);
    peer.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }), port);
    await secondCall;
    expect(layer.stats().handlerErrors).toBe(1);
  });

  it('drops a response whose top Via is not ours (RFC 3261 18.1.2) and delivers one that is', async () => {
    const foreign = parseMessage(
      Buffer.from(requestText({ transport: 'UDP', viaHost: '192.0.2.1', viaPort: 5060 })),
    );
    const ours = parseMessage(
      Buffer.from(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: port })),
    );
    if (!foreign.ok || !ours.ok) throw new Error('test request does not parse');
    peer.send(createResponseText(foreign.value as SipRequest), port);
    peer.send(createResponseText(ours.value as SipRequest), port);
    const delivered = await inbox.next();
    expect(delivered.message.kind).toBe('response');
    expect(delivered.message.via[0]?.port).toBe(port);
    expect(layer.stats().responsesDropped).toBe(1);
  });

  it('survives 10 MB of random datagrams and serves the next good message', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += 8192) {
      peer.send(randomBytes(8192), port);
      // Let the server drain now and then rather than overflow the socket buffer.
      if (sent % (512 * 1024) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    peer.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }), port);
    const { message } = await inbox.next();
    expect(message.kind).toBe('request');
    expect(layer.stats().parseFailures).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports a send failure as a TransportError', async () => {
    const request = parseMessage(
      Buffer.from(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: port })),
    );
    if (!request.ok) throw new Error('test request does not parse');
    await expect(
      layer.send(request.value, { protocol: 'UDP', address: '::1', port: 5060 }),
    ).rejects.toMatchObject({
      name: 'TransportError',
    });
  });
});

function createResponseText(request: SipRequest): Buffer {
  return serializeMessage(createResponse(request, 200, 'OK'));
}

describe('UDP over IPv6', () => {
  it('serves an IPv6 peer and, on a dual-stack socket, an IPv4 one', async () => {
    const layer = await createTransportLayer({ listeners: [{ protocol: 'UDP', address: '::', port: 0 }] });
    const inbox = new Inbox(layer);
    const port = layer.listening()[0]!.port;
    const v6 = createSocket('udp6');
    const v4 = await UdpPeer.open();
    try {
      await new Promise<void>((resolve) => v6.bind(0, '::1', resolve));
      const v6peer = new UdpPeer(v6);
      v6.send(
        requestText({ transport: 'UDP', viaHost: '[::1]', viaPort: v6.address().port, rport: true }),
        port,
        '::1',
      );
      const fromV6 = await inbox.next();
      expect(fromV6.info.source).toEqual({ protocol: 'UDP', address: '::1', port: v6.address().port });
      await layer.sendResponse(createResponse(fromV6.message as SipRequest, 200, 'OK'), fromV6.info);
      expect(statusOf(await v6peer.next())).toBe(200);

      v4.send(requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: v4.port, rport: true }), port);
      const fromV4 = await inbox.next();
      expect(fromV4.info.source.address).toBe('127.0.0.1');
      await layer.sendResponse(createResponse(fromV4.message as SipRequest, 200, 'OK'), fromV4.info);
      expect(statusOf(await v4.next())).toBe(200);
    } finally {
      v6.close();
      v4.socket.close();
      await layer.close();
    }
  });
});

describe('UDP transport message observer', () => {
  it('sees a request in and its response out, with the bytes as on the wire', async () => {
    const layer = await createTransportLayer({
      listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    });
    const peer = await UdpPeer.open();
    try {
      const seen: { direction: string; summary: string; bytes: string; port: number }[] = [];
      layer.observe((direction, message, bytes, remote) => {
        const summary = message.kind === 'request' ? message.method : String(message.status);
        seen.push({ direction, summary, bytes: bytes.toString('latin1'), port: remote.port });
      });
      const inbox = new Inbox(layer);
      const text = requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port });
      peer.send(text, layer.listening()[0]!.port);
      const { message, info } = await inbox.next();
      await layer.sendResponse(createResponse(message as SipRequest, 200), info);
      const answer = await peer.next();
      expect(seen.map(({ direction, summary }) => `${direction} ${summary}`)).toEqual([
        `in ${(message as SipRequest).method}`,
        'out 200',
      ]);
      expect(seen[0]!.bytes).toBe(text);
      expect(seen[1]!.bytes).toBe(answer);
      expect(seen.every(({ port }) => port === peer.port)).toBe(true);
      layer.observe(undefined);
      peer.send(text, layer.listening()[0]!.port);
      await inbox.next();
      expect(seen).toHaveLength(2);
    } finally {
      peer.socket.close();
      await layer.close();
    }
  });
});

describe('UDP prepared responses', () => {
  it('sends a prepared response again byte for byte, and the observer sees each send', async () => {
    const layer = await createTransportLayer({
      listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    });
    const peer = await UdpPeer.open();
    try {
      const seen: string[] = [];
      layer.observe((direction, message) => {
        if (direction === 'out' && message.kind === 'response')
          seen.push(`${message.status} ${message.cseq.method}`);
      });
      const inbox = new Inbox(layer);
      peer.send(
        requestText({ transport: 'UDP', viaHost: '192.0.2.99', rport: true }),
        layer.listening()[0]!.port,
      );
      const { message, info } = await inbox.next();
      const response = createResponse(message as SipRequest, 200, 'OK', { toTag: 'prepared' });
      const prepared = layer.prepareResponse(response, info);
      expect(prepared.target).toEqual({ protocol: 'UDP', address: '127.0.0.1', port: peer.port });
      expect(prepared.local).toEqual(info.local);
      expect(prepared.bytes.equals(serializeMessage(response))).toBe(true);
      await layer.sendPrepared(prepared, response);
      await layer.sendPrepared(prepared);
      const first = await peer.next();
      const again = await peer.next();
      expect(again).toBe(first);
      expect(first).toBe(prepared.bytes.toString('latin1'));
      // The second send had no message object: the observer got one parsed back from the bytes.
      expect(seen).toEqual(['200 OPTIONS', '200 OPTIONS']);
      expect(layer.stats().messagesOut.UDP).toBe(2);
    } finally {
      peer.socket.close();
      await layer.close();
    }
  });

  it('refuses to prepare a response whose top Via names no transport of ours', async () => {
    const layer = await createTransportLayer({
      listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    });
    try {
      const request = parseMessage(
        Buffer.from(requestText({ transport: 'SCTP', viaHost: '192.0.2.99' }), 'latin1'),
      );
      if (!request.ok || request.value.kind !== 'request') throw new Error('fixture does not parse');
      const response = createResponse(request.value, 200);
      expect(() => layer.prepareResponse(response)).toThrow(TransportError);
      await expect(layer.sendResponse(response)).rejects.toBeInstanceOf(TransportError);
    } finally {
      await layer.close();
    }
  });
});

describe('UDP socket buffers', () => {
  it('rejects a buffer size no socket can take', async () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      await expect(
        createTransportLayer({
          listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0, receiveBufferSize: size }],
        }),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(
        createTransportLayer({
          listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0, sendBufferSize: size }],
        }),
      ).rejects.toBeInstanceOf(RangeError);
    }
  });

  /** Datagrams the kernel must hold while the event loop is busy: each is accounted with ~1 KB of overhead. */
  const BURST = 2_000;
  const BURST_BUFFER = 4 * 1024 * 1024;
  const kernelCap = (() => {
    try {
      return Number(readFileSync('/proc/sys/net/core/rmem_max', 'latin1'));
    } catch {
      return 0; // not Linux: the cap is unknown
    }
  })();
  if (kernelCap < BURST_BUFFER) {
    console.warn(
      `UDP burst test skipped: net.core.rmem_max is ${kernelCap}, below the ${BURST_BUFFER} bytes it needs ` +
        '(sysctl -w net.core.rmem_max=4194304)',
    );
  }

  it.skipIf(kernelCap < BURST_BUFFER)(
    'holds a burst that arrives while the event loop is busy, where a 64 KiB buffer drops part of it',
    async () => {
      const received = async (receiveBufferSize: number | undefined): Promise<number> => {
        const layer = await createTransportLayer({
          listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0, receiveBufferSize }],
        });
        const peer = await UdpPeer.open();
        try {
          let count = 0;
          layer.onMessage(() => count++);
          const text = Buffer.from(
            requestText({ transport: 'UDP', viaHost: '127.0.0.1', viaPort: peer.port }),
          );
          const port = layer.listening()[0]!.port;
          // The sends reach the kernel at once; nothing is read before this loop ends.
          for (let i = 0; i < BURST; i++) peer.socket.send(text, port, '127.0.0.1');
          // Until the count stops moving: a datagram the kernel dropped never comes.
          for (let last = -1; last !== count; ) {
            last = count;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return count;
        } finally {
          peer.socket.close();
          await layer.close();
        }
      };
      expect(await received(undefined)).toBe(BURST);
      expect(await received(64 * 1024)).toBeLessThan(BURST);
    },
  );
});
