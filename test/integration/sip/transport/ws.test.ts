import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createResponse, serializeMessage } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { createTransportLayer, type MeteredTransportLayer } from '../../../../src/sip/transport/index.js';
import { makeTestCertificate } from '../../../helpers/tls-cert.js';
import { Inbox, outboundRequest, requestText, statusOf } from './helpers.js';

/** A `ws` client speaking the `sip` subprotocol, collecting what the server sends. */
class WsPeer {
  readonly messages: string[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(data.toString());
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static open(url: string, protocols: string[] = ['sip'], ca?: Buffer): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols, ca ? { ca } : {});
      socket.once('open', () => resolve(new WsPeer(socket)));
      socket.once('error', reject);
    });
  }

  async next(): Promise<string> {
    while (this.messages.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.messages.shift()!;
  }
}

describe('WebSocket transport (RFC 7118)', () => {
  let layer: MeteredTransportLayer;
  let inbox: Inbox;
  let url: string;

  beforeAll(async () => {
    layer = await createTransportLayer({
      listeners: [{ protocol: 'WS', address: '127.0.0.1', port: 0 }],
      maxMessageSize: 8192,
    });
    inbox = new Inbox(layer);
    url = `ws://127.0.0.1:${layer.listening()[0]!.port}`;
  });

  afterAll(async () => {
    await layer.close();
  });

  it('receives a request in a text message and answers on the same WebSocket', async () => {
    const peer = await WsPeer.open(url);
    try {
      expect(peer.socket.protocol).toBe('sip');
      peer.socket.send(requestText({ transport: 'WS', viaHost: 'df7jal23ls0d.invalid', rport: true }));
      const { message, info } = await inbox.next();
      expect(info.source.protocol).toBe('WS');
      expect(message.via[0]).toMatchObject({ received: '127.0.0.1', rport: info.source.port });
      await layer.sendResponse(createResponse(message as SipRequest, 200, 'OK'), info);
      expect(statusOf(await peer.next())).toBe(200);
      // A request to the client goes over its connection (it has no listening address).
      await layer.send(outboundRequest(layer, 'WS', 'sip:client@df7jal23ls0d.invalid'), info.source);
      expect(await peer.next()).toMatch(/^OPTIONS sip:client@df7jal23ls0d\.invalid SIP\/2\.0\r\n/);
    } finally {
      peer.socket.close();
    }
  });

  it('accepts a message in binary frames, fragmented', async () => {
    const peer = await WsPeer.open(url);
    try {
      const bytes = Buffer.from(requestText({ transport: 'WS', viaHost: '127.0.0.1', body: 'v=0\r\n' }));
      peer.socket.send(bytes.subarray(0, 40), { binary: true, fin: false });
      peer.socket.send(bytes.subarray(40), { binary: true, fin: true });
      const { message } = await inbox.next();
      expect(message.body.toString()).toBe('v=0\r\n');
    } finally {
      peer.socket.close();
    }
  });

  it('refuses a handshake without the sip subprotocol', async () => {
    await expect(WsPeer.open(url, ['chat'])).rejects.toThrow();
    await expect(WsPeer.open(url, [])).rejects.toThrow(/400/);
  });

  it('answers a malformed request with 400 and keeps the WebSocket open', async () => {
    const peer = await WsPeer.open(url);
    try {
      peer.socket.send(
        requestText({ transport: 'WS', viaHost: '127.0.0.1' }).replace('CSeq: 1 OPTIONS', 'CSeq: 1'),
      );
      expect(statusOf(await peer.next())).toBe(400);
      peer.socket.send(serializeMessage(outboundRequest(layer, 'WS', 'sip:service@127.0.0.1')).toString());
      expect((await inbox.next()).message.kind).toBe('request');
    } finally {
      peer.socket.close();
    }
  });

  it('closes with 1009 on a message over the limit, 10 MB of random bytes included, and keeps serving', async () => {
    const peer = await WsPeer.open(url);
    peer.socket.send(randomBytes(10 * 1024 * 1024), { binary: true });
    expect(await peer.closed).toBe(1009);
    const next = await WsPeer.open(url);
    try {
      next.socket.send(requestText({ transport: 'WS', viaHost: '127.0.0.1' }));
      expect((await inbox.next()).message.kind).toBe('request');
    } finally {
      next.socket.close();
    }
  });

  it('closes a connection that sends random bytes instead of a handshake, and keeps serving', async () => {
    const raw = createConnection({ host: '127.0.0.1', port: layer.listening()[0]!.port });
    raw.on('error', () => {});
    raw.on('data', () => {});
    raw.write(randomBytes(1024 * 1024));
    await new Promise((resolve) => raw.on('close', resolve));
    const next = await WsPeer.open(url);
    try {
      next.socket.send(requestText({ transport: 'WS', viaHost: '127.0.0.1' }));
      expect((await inbox.next()).message.kind).toBe('request');
    } finally {
      next.socket.close();
    }
  });

  it('drops random small messages without closing the connection', async () => {
    const peer = await WsPeer.open(url);
    try {
      const before = layer.stats().parseFailures;
      for (let i = 0; i < 100; i++) peer.socket.send(randomBytes(4000), { binary: true });
      peer.socket.send(requestText({ transport: 'WS', viaHost: '127.0.0.1' }));
      expect((await inbox.next()).message.kind).toBe('request');
      expect(layer.stats().parseFailures - before).toBe(100);
    } finally {
      peer.socket.close();
    }
  });
});

describe('secure WebSocket', () => {
  it('serves SIP over WSS', async () => {
    const certificate = makeTestCertificate();
    const layer = await createTransportLayer({
      listeners: [{ protocol: 'WSS', address: '127.0.0.1', port: 0, tls: certificate }],
    });
    try {
      const inbox = new Inbox(layer);
      const peer = await WsPeer.open(
        `wss://127.0.0.1:${layer.listening()[0]!.port}`,
        ['sip'],
        certificate.cert,
      );
      peer.socket.send(requestText({ transport: 'WSS', viaHost: 'client.invalid' }));
      const { message, info } = await inbox.next();
      expect(info.source.protocol).toBe('WSS');
      await layer.sendResponse(createResponse(message as SipRequest, 200, 'OK'), info);
      expect(statusOf(await peer.next())).toBe(200);
      peer.socket.close();
    } finally {
      await layer.close();
    }
  });
});
