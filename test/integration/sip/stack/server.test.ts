/**
 * What the stack answers by itself (RFC 3261 §8.2, §12.2.2, §15.1.2) and how it survives
 * handlers that fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  IncomingRequest,
  InviteResponse,
  SipHeaders,
  SipResponse,
  SipStack,
} from '../../../../src/sip/index.js';
import { finalResponse, requestTo, startStack, untilFinal, Waiter } from './helpers.js';

describe('a stack answering requests', () => {
  let caller: SipStack;
  let callee: SipStack;
  const handled = new Waiter<IncomingRequest>();

  beforeAll(async () => {
    caller = await startStack();
    callee = await startStack();
    callee.onRequest('INVITE', (incoming) => {
      handled.push(incoming);
      incoming.reply(486);
    });
    callee.onRequest('MESSAGE', () => {
      throw new Error('handler bug');
    });
    callee.onRequest('PUBLISH', async () => {
      throw new Error('asynchronous handler bug');
    });
    callee.onRequest('NOTIFY', (incoming) => {
      incoming.reply(200);
      throw new Error('failure after answering');
    });
    callee.onRequest('SUBSCRIBE', (incoming) => handled.push(incoming));
  });

  afterAll(async () => {
    await caller.close();
    await callee.close();
  });

  async function send(method: string, change?: (headers: SipHeaders) => void): Promise<SipResponse> {
    const request = requestTo(caller, callee, method);
    change?.(request.headers);
    if (method !== 'INVITE') return finalResponse(caller.request(request));
    const seen = await untilFinal(caller.invite(request));
    return (seen.at(-1) as InviteResponse).response;
  }

  it('answers an unknown method with 405 and Allow (RFC 3261 §8.2.1)', async () => {
    const response = await send('FOO');
    expect(response.status).toBe(405);
    const allow = response.headers.get('Allow')?.split(/\s*,\s*/);
    expect(allow).toEqual(expect.arrayContaining(['ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INVITE', 'MESSAGE']));
    expect(allow).not.toContain('FOO');
  });

  it('answers OPTIONS with 200, Allow and Accept (RFC 3261 §11.2)', async () => {
    const response = await send('OPTIONS');
    expect(response.status).toBe(200);
    expect(response.headers.get('Allow')).toContain('INVITE');
    expect(response.headers.get('Accept')).toBe('application/sdp');
  });

  it('names in Allow a method whose handler came after an earlier OPTIONS was answered', async () => {
    const methods = async (): Promise<string[]> =>
      (await send('OPTIONS')).headers.get('Allow')?.split(/\s*,\s*/) ?? [];
    expect(await methods()).not.toContain('REFER');
    callee.onRequest('REFER', (incoming) => {
      incoming.reply(202);
    });
    const allow = await methods();
    expect(allow).toContain('REFER');
    expect(new Set(allow).size).toBe(allow.length);
  });

  it('answers a request for a dialog it does not know with 481 (RFC 3261 §12.2.2)', async () => {
    const response = await send('INFO', (headers) =>
      headers.set('To', '<sip:callee@127.0.0.1>;tag=no-such-dialog'),
    );
    expect(response.status).toBe(481);
  });

  it('answers a BYE outside any dialog with 481 (RFC 3261 §15.1.2)', async () => {
    expect((await send('BYE')).status).toBe(481);
  });

  it('refuses an INVITE that cannot create a dialog with 400 before its handler runs', async () => {
    expect((await send('INVITE', (headers) => headers.remove('Contact'))).status).toBe(400);
    expect((await send('INVITE', (headers) => headers.set('From', '<sip:caller@127.0.0.1>'))).status).toBe(
      400,
    );
    // The handler sees the next good INVITE first.
    expect((await send('INVITE')).status).toBe(486);
    expect((await handled.next()).request.method).toBe('INVITE');
  });

  it('answers 500 when a handler throws or rejects, and goes on serving', async () => {
    expect((await send('MESSAGE')).status).toBe(500);
    expect((await send('PUBLISH')).status).toBe(500);
    expect((await send('OPTIONS')).status).toBe(200);
    expect((await send('MESSAGE')).status).toBe(500);
  });

  it('keeps the answer a handler gave before failing', async () => {
    expect((await send('NOTIFY')).status).toBe(200);
  });

  it('ends requests still in flight when it closes', async () => {
    const closing = await startStack();
    const responses = closing.request(requestTo(closing, callee, 'SUBSCRIBE'));
    // The callee's handler holds the SUBSCRIBE unanswered.
    const held = await handled.next((incoming) => incoming.request.method === 'SUBSCRIBE');
    await closing.close();
    expect((await finalResponse(responses)).status).toBe(503);
    held.reply(200);
  });
});
