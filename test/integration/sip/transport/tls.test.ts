import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, serializeMessage } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { createTransportLayer, type MeteredTransportLayer } from '../../../../src/sip/transport/index.js';
import { makeTestCertificate, type TestCertificate } from '../../../helpers/tls-cert.js';
import { Inbox, outboundRequest, requestText, statusOf } from './helpers.js';

describe('TLS transport', () => {
  let certificate: TestCertificate;
  let server: MeteredTransportLayer;
  let serverInbox: Inbox;

  beforeAll(async () => {
    certificate = makeTestCertificate();
    server = await createTransportLayer({
      listeners: [{ protocol: 'TLS', address: '127.0.0.1', port: 0, tls: certificate }],
    });
    serverInbox = new Inbox(server);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('carries a request and its response between two layers, verifying the certificate', async () => {
    const client = await createTransportLayer({
      listeners: [{ protocol: 'TLS', address: '127.0.0.1', port: 0, tls: certificate }],
      tlsClient: { ca: certificate.cert },
    });
    try {
      const clientInbox = new Inbox(client);
      const target = server.listening()[0]!;
      await client.send(outboundRequest(client, 'TLS', `sips:service@127.0.0.1:${target.port}`), target);
      const { message, info } = await serverInbox.next();
      expect(info.source.protocol).toBe('TLS');
      expect(info.connectionId).toBeDefined();
      await server.sendResponse(createResponse(message as SipRequest, 200, 'OK'), info);
      const response = await clientInbox.next();
      expect(response.message.kind).toBe('response');
      expect(client.stats().messagesOut.TLS).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('fails the send with TransportError when the server certificate is not trusted', async () => {
    const client = await createTransportLayer({
      listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    });
    try {
      const target = server.listening()[0]!;
      await expect(
        client.send(outboundRequest(client, 'TLS', `sips:service@127.0.0.1:${target.port}`), target),
      ).rejects.toMatchObject({ name: 'TransportError' });
    } finally {
      await client.close();
    }
  });

  it('frames messages and answers malformed ones with 400 on a raw TLS connection', async () => {
    const port = server.listening()[0]!.port;
    const socket = connect({ host: '127.0.0.1', port, ca: certificate.cert });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      const reply = new Promise<string>((resolve) =>
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
      );
      socket.write(
        requestText({ transport: 'TLS', viaHost: '127.0.0.1' }).replace('CSeq: 1 OPTIONS', 'CSeq: x'),
      );
      expect(statusOf(await reply)).toBe(400);
      socket.write(serializeMessage(outboundRequest(server, 'TLS', 'sips:service@127.0.0.1')));
      expect((await serverInbox.next()).message.kind).toBe('request');
    } finally {
      socket.destroy();
    }
  });
});
