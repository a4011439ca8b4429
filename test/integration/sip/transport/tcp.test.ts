import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/sip/clock.js';
import { createResponse, parseMessage } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import {
  createTransportLayer,
  type MeteredTransportLayer,
  type TransportLayerOptions,
} from '../../../../src/sip/transport/index.js';
import { Inbox, outboundRequest, requestText, StreamClient, statusOf } from './helpers.js';

async function tcpLayer(extra: Partial<TransportLayerOptions> = {}): Promise<MeteredTransportLayer> {
  return createTransportLayer({ listeners: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }], ...extra });
}

describe('TCP transport', () => {
  let layer: MeteredTransportLayer;
  let inbox: Inbox;
  let port: number;
  let clock: FakeClock;
  const clients: StreamClient[] = [];

  async function client(): Promise<StreamClient> {
    const c = await StreamClient.connect(port);
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    layer = await tcpLayer({ clock, maxMessageSize: 4096, idleTimeoutMs: 32_000 });
    inbox = new Inbox(layer);
    port = layer.listening()[0]!.port;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await layer.close();
  });

  it('frames a message split across writes and answers on the same connection', async () => {
    const c = await client();
    const text = requestText({ transport: 'TCP', viaHost: 'client.invalid', rport: true });
    c.write(text.slice(0, 10));
    await new Promise((resolve) => setImmediate(resolve));
    c.write(text.slice(10));
    const { message, info } = await inbox.next();
    expect(info.connectionId).toBeDefined();
    expect(info.source.port).toBe(c.socket.localPort);
    expect(message.via[0]).toMatchObject({ received: '127.0.0.1', rport: c.socket.localPort });
    await layer.sendResponse(createResponse(message as SipRequest, 200, 'OK'), info);
    await c.waitFor(1);
    expect(statusOf(c.messages[0])).toBe(200);
  });

  it('frames pipelined messages in one write', async () => {
    const c = await client();
    c.write(
      requestText({ transport: 'TCP', viaHost: '127.0.0.1', callId: 'a' }) +
        requestText({ transport: 'TCP', viaHost: '127.0.0.1', callId: 'b', body: 'hello' }),
    );
    const first = await inbox.next();
    const second = await inbox.next();
    expect(first.message.callId).toBe('a@example.com');
    expect(second.message.callId).toBe('b@example.com');
    expect(second.message.body.toString()).toBe('hello');
    expect(first.info.connectionId).toBe(second.info.connectionId);
  });

  it('answers a double-CRLF ping with a CRLF pong', async () => {
    const c = await client();
    c.write('\r\n\r\n');
    await c.waitFor(1, 'pongs');
    expect(c.pongs).toBe(1);
  });

  it('answers an oversized message with 513 and closes the connection', async () => {
    const c = await client();
    c.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1', body: 'x'.repeat(5000) }));
    await c.waitFor(1);
    expect(statusOf(c.messages[0])).toBe(513);
    await c.closed;
    expect(layer.stats().parseFailures).toBe(1);
  });

  it('answers oversized headers with 513 and closes the connection', async () => {
    const c = await client();
    const text = requestText({ transport: 'TCP', viaHost: '127.0.0.1' });
    c.write(
      text.replace(
        'Max-Forwards: 70\r\n',
        `Max-Forwards: 70\r\n${'X-Padding: yyyyyyyyyyyyyyyy\r\n'.repeat(200)}`,
      ),
    );
    await c.waitFor(1);
    expect(statusOf(c.messages[0])).toBe(513);
    await c.closed;
  });

  it('answers a message without Content-Length with 400 and closes (RFC 3261 18.3)', async () => {
    const c = await client();
    c.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }).replace('Content-Length: 0\r\n', ''));
    await c.waitFor(1);
    expect(statusOf(c.messages[0])).toBe(400);
    await c.closed;
  });

  it('answers a malformed request with 400 and keeps the connection', async () => {
    const c = await client();
    c.write(
      requestText({ transport: 'TCP', viaHost: '127.0.0.1' }).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'),
    );
    await c.waitFor(1);
    expect(statusOf(c.messages[0])).toBe(400);
    c.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }));
    expect((await inbox.next()).message.kind).toBe('request');
  });

  it('closes a connection idle for the idle timeout, driven by the injected clock', async () => {
    const c = await client();
    c.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }));
    await inbox.next();
    clock.advance(31_000);
    c.write('INVITE sip:slow'); // a partial message is not activity
    await new Promise((resolve) => setImmediate(resolve));
    expect(layer.stats().connectionsOpen).toBe(1);
    clock.advance(1_000);
    await c.closed;
    expect(layer.stats().connectionsOpen).toBe(0);
  });

  it('sends a request to a connected client over its connection (RFC 3261 18.1)', async () => {
    const c = await client();
    c.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }));
    const { info } = await inbox.next();
    const request = outboundRequest(layer, 'TCP', 'sip:client@127.0.0.1');
    await layer.send(request, info.source);
    await c.waitFor(1);
    expect(c.messages[0]).toMatch(/^OPTIONS sip:client@127\.0\.0\.1 SIP\/2\.0\r\n/);
    expect(layer.stats().connectionsOpen).toBe(1);
  });

  it('refuses connections over the limit', async () => {
    await layer.close();
    layer = await tcpLayer({ maxConnections: 1 });
    port = layer.listening()[0]!.port;
    const first = await client();
    first.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }));
    const inbox2 = new Inbox(layer);
    await inbox2.next();
    const second = await client();
    await second.closed;
    expect(layer.stats().connectionsRefused).toBe(1);
  });

  it('survives 10 MB of random bytes and serves the next connection', async () => {
    const c = await client();
    const junk = randomBytes(10 * 1024 * 1024);
    c.socket.write(junk);
    await c.closed;
    const next = await client();
    next.write(requestText({ transport: 'TCP', viaHost: '127.0.0.1' }));
    expect((await inbox.next()).message.kind).toBe('request');
  });
});

describe('TCP between two layers', () => {
  it('opens a connection for a request and receives the response on it; reuses it for the next', async () => {
    const server = await tcpLayer();
    const client = await tcpLayer();
    try {
      const serverInbox = new Inbox(server);
      const clientInbox = new Inbox(client);
      const target = server.listening()[0]!;
      for (let i = 0; i < 2; i++) {
        const request = outboundRequest(client, 'TCP', `sip:service@127.0.0.1:${target.port};transport=tcp`);
        await client.send(request, target);
        const received = await serverInbox.next();
        await server.sendResponse(createResponse(received.message as SipRequest, 200, 'OK'), received.info);
        const response = await clientInbox.next();
        expect(response.message.kind).toBe('response');
      }
      expect(client.stats().connectionsOpened).toBe(1);
      expect(server.stats().connectionsAccepted).toBe(1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects with TransportError when the target port is closed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const closedPort = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    const layer = await tcpLayer();
    try {
      const parsed = parseMessage(Buffer.from(requestText({ transport: 'TCP', viaHost: '127.0.0.1' })));
      if (!parsed.ok) throw new Error('test request does not parse');
      await expect(
        layer.send(parsed.value, { protocol: 'TCP', address: '127.0.0.1', port: closedPort }),
      ).rejects.toMatchObject({ name: 'TransportError', target: { port: closedPort } });
    } finally {
      await layer.close();
    }
  });
});
