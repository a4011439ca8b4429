import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createResponse,
  type Dialog,
  type IncomingRequest,
  parseMessage,
  type SipRequest,
  type SipStack,
  serializeMessage,
} from '../../../../src/sip/index.js';
import {
  ANSWER,
  type B2bua,
  call,
  locationOf,
  OFFER,
  sdp,
  signal,
  startB2bua,
  startPhone,
} from './harness.js';

describe('B2BUA between SIP phones', () => {
  let b2bua: B2bua;
  let phone201: SipStack;
  let phone202: SipStack;
  let phone202b: SipStack;
  let byesAt201: SipRequest[];

  beforeAll(async () => {
    b2bua = await startB2bua({ noAnswerTimeoutMs: 1500 });
    phone201 = await startPhone();
    phone202 = await startPhone();
    phone202b = await startPhone();
    phone201.onRequest('BYE', (incoming) => {
      byesAt201.push(incoming.request);
      incoming.reply(200);
    });
  });

  afterAll(async () => {
    await Promise.all([b2bua?.close(), phone201?.close(), phone202?.close(), phone202b?.close()]);
  });

  afterEach(async () => {
    await expect.poll(() => b2bua.core.activeCalls).toBe(0);
  });

  function register202(...stacks: SipStack[]) {
    b2bua.locations.set(
      '202',
      stacks.map((stack, index) => locationOf(`phone-202${'ab'[index]}`, stack, '202')),
    );
  }

  /** Phone 202 rings, then answers with ANSWER once told (or at once). */
  function answering(stack: SipStack, when: Promise<void> = Promise.resolve()) {
    const answered = signal<Dialog>();
    const invites: IncomingRequest[] = [];
    const byes: SipRequest[] = [];
    stack.onRequest('INVITE', async (incoming) => {
      if (incoming.dialog) return;
      invites.push(incoming);
      incoming.reply(180);
      await when;
      if (incoming.answered) return;
      answered.resolve(incoming.accept({ body: ANSWER, contentType: 'application/sdp' }));
    });
    stack.onRequest('BYE', (incoming) => {
      byes.push(incoming.request);
      incoming.reply(200);
    });
    return { answered: answered.promise, invites, byes };
  }

  it('connects 201 to 202 end to end and clears both legs on the caller’s BYE', async () => {
    byesAt201 = [];
    register202(phone202);
    const callee = answering(phone202);
    const attempt = await call(phone201, b2bua, '202');
    const ringing = await attempt.waitFor(180);
    expect(ringing.response.to.params.tag).toBeTruthy();
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(ANSWER);
    // The callee got the caller's offer on a leg of its own.
    const invite = callee.invites[0]!.request;
    expect(invite.body.toString()).toBe(OFFER);
    expect(invite.callId).not.toBe(response.callId);
    expect(invite.from.uri.user).toBe('201');
    expect(invite.from.displayName).toBe('Extension 201');
    expect(b2bua.core.calls()).toEqual([
      expect.objectContaining({
        phase: 'connected',
        calling: '201',
        called: '202',
        connections: [
          expect.objectContaining({ deviceId: 'phone-201', state: 'connected' }),
          expect.objectContaining({ deviceId: 'phone-202a', state: 'connected' }),
        ],
      }),
    ]);

    const bye = await phone201.requestInDialog(dialog!, 'BYE');
    expect(bye.status).toBe(200);
    await expect.poll(() => callee.byes.length).toBe(1);
    expect(callee.byes[0]!.callId).toBe(invite.callId);
    expect(b2bua.records.at(-1)).toMatchObject({ calling: '201', called: '202', cause: 'normalClearing' });
    expect(b2bua.records.at(-1)?.answerAt).toBeInstanceOf(Date);
  });

  it('clears both legs on the callee’s BYE', async () => {
    byesAt201 = [];
    register202(phone202);
    const callee = answering(phone202);
    const attempt = await call(phone201, b2bua, '202');
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    const dialog = await callee.answered;
    expect((await phone202.requestInDialog(dialog, 'BYE')).status).toBe(200);
    await expect.poll(() => byesAt201.length).toBe(1);
    expect(byesAt201[0]!.callId).toBe(response.callId);
  });

  it('propagates the caller’s CANCEL: 487 to the caller, CANCEL to the ringing phone', async () => {
    register202(phone202);
    const cancelled = signal();
    phone202.onRequest('INVITE', (incoming) => {
      incoming.onCancel(() => cancelled.resolve());
      incoming.reply(180);
    });
    const attempt = await call(phone201, b2bua, '202');
    await attempt.waitFor(180);
    attempt.outgoing.cancel();
    expect((await attempt.waitFor('final')).response.status).toBe(487);
    await cancelled.promise;
    expect(b2bua.records.at(-1)).toMatchObject({ cause: 'callCancelled', answerAt: null });
  });

  it('answers 486 when the called phone is busy', async () => {
    register202(phone202);
    phone202.onRequest('INVITE', (incoming) => {
      incoming.reply(486);
    });
    const attempt = await call(phone201, b2bua, '202');
    expect((await attempt.waitFor('final')).response.status).toBe(486);
  });

  it('answers 404 for an unknown number and 480 for a line nobody registered', async () => {
    b2bua.locations.delete('203');
    expect((await (await call(phone201, b2bua, '999')).waitFor('final')).response.status).toBe(404);
    expect((await (await call(phone201, b2bua, '203')).waitFor('final')).response.status).toBe(480);
    expect(b2bua.records.slice(-2).map((record) => record.cause)).toEqual([
      'destNotObtainable',
      'destOutOfOrder',
    ]);
  });

  it('answers 480 when nobody answers before the no-answer timeout', async () => {
    register202(phone202);
    const cancelled = signal();
    phone202.onRequest('INVITE', (incoming) => {
      incoming.onCancel(() => cancelled.resolve());
      incoming.reply(180);
    });
    const attempt = await call(phone201, b2bua, '202');
    expect((await attempt.waitFor('final')).response.status).toBe(480);
    await cancelled.promise;
  });

  it('forks to every contact of 202; the first answer wins and the other fork gets CANCEL with Reason', async () => {
    byesAt201 = [];
    const ringing = await rawRingingPhone();
    try {
      const answer = signal();
      const winner = answering(phone202b, answer.promise);
      b2bua.locations.set('202', [
        locationOf('phone-202a', ringing.stack, '202'),
        locationOf('phone-202b', phone202b, '202'),
      ]);
      const attempt = await call(phone201, b2bua, '202');
      await ringing.invited;
      await expect.poll(() => winner.invites.length).toBe(1);
      answer.resolve();
      const { response, dialog } = await attempt.waitFor('final');
      expect(response.status).toBe(200);
      const cancel = await ringing.cancelled;
      expect(cancel.headers.get('Reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
      expect(cancel.callId).toBe(ringing.inviteCallId());
      expect(b2bua.core.calls()[0]?.connections.map((c) => c.deviceId)).toEqual(['phone-201', 'phone-202b']);
      await phone201.requestInDialog(dialog!, 'BYE');
      await expect.poll(() => winner.byes.length).toBe(1);
    } finally {
      ringing.close();
    }
  });

  it('passes a re-INVITE through to the other leg and relays the answer back (hold)', async () => {
    register202(phone202);
    const callee = answering(phone202);
    const reinvites: SipRequest[] = [];
    const heldAnswer = sdp(7000, 'recvonly');
    phone202.onRequest('INVITE', (incoming) => {
      if (!incoming.dialog) {
        callee.invites.push(incoming);
        incoming.accept({ body: ANSWER, contentType: 'application/sdp' });
        return;
      }
      reinvites.push(incoming.request);
      incoming.reply(200, undefined, {
        body: heldAnswer,
        contentType: 'application/sdp',
        contact: phone202.contact('UDP'),
      });
    });
    const attempt = await call(phone201, b2bua, '202');
    const { dialog } = await attempt.waitFor('final');
    const holdOffer = sdp(6000, 'sendonly');
    const reinvite = await phone201.requestInDialog(dialog!, 'INVITE', {
      body: holdOffer,
      contentType: 'application/sdp',
    });
    expect(reinvite.status).toBe(200);
    expect(reinvite.body.toString()).toBe(heldAnswer);
    expect(reinvites.map((request) => request.body.toString())).toEqual([holdOffer]);
    expect(b2bua.core.calls()[0]?.connections[0]?.state).toBe('held');
    await phone201.requestInDialog(dialog!, 'BYE');
  });

  it('challenges an INVITE without credentials with 407 and never routes it', async () => {
    register202(phone202);
    const callee = answering(phone202);
    const before = b2bua.records.length;
    const attempt = await call(phone201, b2bua, '202', { authenticate: false });
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(407);
    expect(response.headers.get('Proxy-Authenticate')).toMatch(/^Digest realm="strowger"/);
    expect(callee.invites).toEqual([]);
    expect(b2bua.records.length).toBe(before);
  });

  it('refuses a session interval below Min-SE with 422 (RFC 4028)', async () => {
    const attempt = await call(phone201, b2bua, '202', {
      headers: [
        ['Session-Expires', '30'],
        ['Supported', 'timer'],
      ],
    });
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(422);
    expect(response.headers.get('Min-SE')).toBe('90');
  });

  it('accepts a session timer and answers with it', async () => {
    register202(phone202);
    answering(phone202);
    const attempt = await call(phone201, b2bua, '202', {
      headers: [
        ['Session-Expires', '1800'],
        ['Supported', 'timer'],
      ],
    });
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(response.headers.get('Session-Expires')).toBe('1800;refresher=uac');
    expect(response.headers.get('Require')).toBe('timer');
    await phone201.requestInDialog(dialog!, 'BYE');
  });
});

/**
 * A phone on a bare UDP socket that rings (180) and answers a CANCEL (200, then 487), so that
 * the test sees the CANCEL exactly as it arrived.
 */
async function rawRingingPhone() {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const invited = signal();
  const cancelled = signal<SipRequest>();
  let invite: SipRequest | undefined;
  socket.on('message', (data, from) => {
    const parsed = parseMessage(data);
    if (!parsed.ok || parsed.value.kind !== 'request') return;
    const request = parsed.value;
    const send = (status: number, to: SipRequest) =>
      socket.send(
        serializeMessage(createResponse(to, status, undefined, { toTag: 'ringing' })),
        from.port,
        from.address,
      );
    if (request.method === 'INVITE') {
      invite = request;
      send(180, request);
      invited.resolve();
    } else if (request.method === 'CANCEL' && invite) {
      send(200, request);
      send(487, invite);
      cancelled.resolve(request);
    }
  });
  const port = socket.address().port;
  const stack = {
    listening: () => [{ protocol: 'UDP' as const, address: '127.0.0.1', port }],
  } as unknown as SipStack;
  return {
    stack,
    invited: invited.promise,
    cancelled: cancelled.promise,
    inviteCallId: () => invite?.callId,
    close: () => socket.close(),
  };
}
