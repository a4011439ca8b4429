/**
 * A called party's INVITE answered twice: a proxy in front of it forked the INVITE and two
 * branches took the call. The B2BUA acknowledges both 2xx, keeps the first as the call and
 * hangs up the other at once (RFC 3261 §13.2.2.4), while the call goes on.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResponse,
  parseMessage,
  type SipRequest,
  type SipStack,
  serializeMessage,
} from '../../../../src/sip/index.js';
import { ANSWER, type B2bua, call, locationOf, signal, startB2bua, startPhone } from './harness.js';

/** A phone behind a forking proxy, on a raw socket: both branches answer the INVITE with 200. */
async function forkedPhone() {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const received: SipRequest[] = [];
  const invited = signal();
  socket.on('message', (data, from) => {
    const parsed = parseMessage(data);
    if (!parsed.ok || parsed.value.kind !== 'request') return;
    const request = parsed.value;
    received.push(request);
    const reply = (status: number, toTag: string) => {
      const response = createResponse(request, status, undefined, {
        toTag,
        headers: [['Contact', `<sip:202@127.0.0.1:${port};branch=${toTag}>`]],
        ...(request.method === 'INVITE' ? { body: ANSWER, contentType: 'application/sdp' } : {}),
      });
      socket.send(serializeMessage(response), from.port, from.address);
    };
    if (request.method === 'INVITE') {
      reply(180, 'first');
      reply(200, 'first');
      reply(200, 'second');
      invited.resolve();
    } else if (request.method === 'BYE') {
      reply(200, request.to.params.tag ?? '');
    }
  });
  const stack = {
    listening: () => [{ protocol: 'UDP' as const, address: '127.0.0.1', port }],
  } as unknown as SipStack;
  const toTagsOf = (method: string) =>
    received.filter((request) => request.method === method).map((request) => request.to.params.tag);
  return { stack, invited: invited.promise, toTagsOf, close: () => socket.close() };
}

describe('B2BUA: the called INVITE answered by two forks', () => {
  let b2bua: B2bua;
  let phone201: SipStack;
  let phone202: Awaited<ReturnType<typeof forkedPhone>>;

  beforeAll(async () => {
    b2bua = await startB2bua();
    phone201 = await startPhone();
    phone202 = await forkedPhone();
    phone201.onRequest('BYE', (incoming) => {
      incoming.reply(200);
    });
  });

  afterAll(async () => {
    phone202?.close();
    await Promise.all([b2bua?.close(), phone201?.close()]);
  });

  it('keeps the first answer as the call, and acknowledges and hangs up the second at once', async () => {
    b2bua.locations.set('202', [locationOf('phone-202', phone202.stack, '202')]);
    const attempt = await call(phone201, b2bua, '202');
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    await expect.poll(() => phone202.toTagsOf('BYE')).toEqual(['second']);
    expect(phone202.toTagsOf('ACK').sort()).toEqual(['first', 'second']);
    expect(b2bua.core.calls()).toEqual([expect.objectContaining({ phase: 'connected' })]);

    expect((await phone201.requestInDialog(dialog!, 'BYE')).status).toBe(200);
    await expect.poll(() => phone202.toTagsOf('BYE')).toEqual(['second', 'first']);
    await expect.poll(() => b2bua.core.activeCalls).toBe(0);
  });
});
