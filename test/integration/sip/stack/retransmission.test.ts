/**
 * 2xx reliability over UDP (RFC 3261 §13.3.1.4, §13.2.2.4), against a peer built from the bare
 * transaction layer so that it can leave out the ACK or repeat the 2xx at will.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  createTransactionLayer,
  createTransportLayer,
  generateCallId,
  type SipRequest,
  type SipResponse,
  type SipStack,
  silentLogger,
  systemClock,
  type TransactionLayer,
  type TransportLayer,
} from '../../../../src/sip/index.js';
import { eventually, listenerOf, startStack, TEST_TIMERS, untilFinal, Waiter } from './helpers.js';

interface BarePeer {
  transport: TransportLayer;
  transactions: TransactionLayer;
  port: number;
}

async function barePeer(): Promise<BarePeer> {
  const transport = await createTransportLayer({
    listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    logger: silentLogger,
  });
  const transactions = createTransactionLayer({
    transport,
    clock: systemClock,
    logger: silentLogger,
    timers: TEST_TIMERS,
  });
  const port = transport.listening()[0]?.port ?? 0;
  return { transport, transactions, port };
}

describe('2xx to INVITE over UDP', () => {
  let stack: SipStack;
  let peer: BarePeer;

  beforeEach(async () => {
    stack = await startStack();
    peer = await barePeer();
  });

  afterEach(async () => {
    await stack.close();
    peer.transactions.close();
    await peer.transport.close();
  });

  it('the UAS repeats its 200 until 64*T1 without ACK, then ends the call with BYE', async () => {
    stack.onRequest('INVITE', (incoming) => {
      incoming.accept();
    });
    const oks = new Waiter<SipResponse>();
    const byes = new Waiter<SipRequest>();
    peer.transactions.onStrayResponse((response) => oks.push(response));
    peer.transactions.onRequest((request, transaction) => {
      transaction.respond(createResponse(request, 200));
      byes.push(request);
    });
    const invite = createRequest({
      method: 'INVITE',
      uri: `sip:callee@127.0.0.1:${listenerOf(stack, 'UDP').port}`,
      from: '<sip:bare@127.0.0.1>;tag=bare-peer',
      to: '<sip:callee@127.0.0.1>',
      callId: generateCallId(),
      cseq: 7,
      contact: `<sip:bare@127.0.0.1:${peer.port}>`,
    });
    peer.transactions.sendRequest(invite, listenerOf(stack, 'UDP'), {
      onResponse: (response) => oks.push(response),
    });

    const first = await oks.next();
    expect(first.status).toBe(200);
    expect(stack.dialogs.size).toBe(1);
    // The peer never acknowledges: the same 200 comes again (RFC 3261 §13.3.1.4).
    const again = await oks.next();
    expect(again.status).toBe(200);
    expect(again.to.params.tag).toBe(first.to.params.tag);

    const bye = await byes.next();
    expect(bye.method).toBe('BYE');
    expect(bye.callId).toBe(invite.callId);
    expect(bye.from.params.tag).toBe(first.to.params.tag);
    expect(bye.to.params.tag).toBe('bare-peer');
    expect(bye.uri.port).toBe(peer.port);
    await eventually(() => stack.dialogs.size === 0, 'the UAS forgets the dialog once its BYE is answered');
  });

  it('the UAC acknowledges each retransmitted 200 again with the same ACK and reports the 200 once', async () => {
    const acks = new Waiter<SipRequest>();
    let repeatOk: (() => void) | undefined;
    peer.transactions.onAck((ack) => {
      acks.push(ack);
      // As if the first ACK had been lost, the UAS core sends its 2xx once more.
      repeatOk?.();
      repeatOk = undefined;
    });
    peer.transactions.onRequest((request, transaction) => {
      const ok = createResponse(request, 200, undefined, {
        toTag: 'bare-uas',
        headers: [['Contact', `<sip:bare@127.0.0.1:${peer.port}>`]],
      });
      transaction.respond(ok);
      repeatOk = () => transaction.respond(ok);
    });
    const invite = createRequest({
      method: 'INVITE',
      uri: `sip:bare@127.0.0.1:${peer.port}`,
      from: '<sip:caller@127.0.0.1>;tag=stack-uac',
      to: '<sip:bare@127.0.0.1>',
      callId: generateCallId(),
      cseq: 3,
      contact: stack.contact('UDP', 'caller'),
    });
    const call = stack.invite(invite, { target: { protocol: 'UDP', address: '127.0.0.1', port: peer.port } });
    const statuses: number[] = [];
    const reading = (async () => {
      // Read to the end: the INVITE stays open for forked 2xx until its transaction ends.
      for await (const answer of call) statuses.push(answer.response.status);
    })();
    const firstAck = await acks.next();
    const secondAck = await acks.next();
    expect(firstAck.cseq).toEqual({ seq: 3, method: 'ACK' });
    expect(secondAck.cseq).toEqual({ seq: 3, method: 'ACK' });
    expect(secondAck.via[0]?.branch).toBe(firstAck.via[0]?.branch);
    await reading;
    expect(statuses).toEqual([200]);
    expect(stack.dialogs.size).toBe(1);
  });

  it('the UAC keeps its ACK for 64*T1 only: a 200 repeated after that is not acknowledged', async () => {
    const acks = new Waiter<SipRequest>();
    let ackCount = 0;
    peer.transactions.onAck((ack) => {
      ackCount++;
      acks.push(ack);
    });
    let repeatOk: (() => Promise<void>) | undefined;
    peer.transactions.onRequest((request, transaction, info) => {
      const ok = createResponse(request, 200, undefined, {
        toTag: 'bare-uas',
        headers: [['Contact', `<sip:bare@127.0.0.1:${peer.port}>`]],
      });
      transaction.respond(ok);
      // Past the transactions on both sides: the 200 goes straight to the transport.
      repeatOk = () => peer.transport.sendResponse(ok, info);
    });
    const invite = createRequest({
      method: 'INVITE',
      uri: `sip:bare@127.0.0.1:${peer.port}`,
      from: '<sip:caller@127.0.0.1>;tag=stack-uac',
      to: '<sip:bare@127.0.0.1>',
      callId: generateCallId(),
      cseq: 5,
      contact: stack.contact('UDP', 'caller'),
    });
    const call = stack.invite(invite, { target: { protocol: 'UDP', address: '127.0.0.1', port: peer.port } });
    // The iteration ends with the INVITE transaction, 64*T1 after the 200.
    for await (const answer of call) expect(answer.response.status).toBe(200);
    expect((await acks.next()).cseq.seq).toBe(5);
    // The cleanup timers may fire up to T1*64/8 late.
    await new Promise((resolve) => setTimeout(resolve, (64 * TEST_TIMERS.T1) / 8 + 50));
    await repeatOk?.();
    // An OPTIONS answered after the repeated 200 was read: any ACK for it would have come first.
    const options = createRequest({
      method: 'OPTIONS',
      uri: `sip:stack@127.0.0.1:${listenerOf(stack, 'UDP').port}`,
      from: '<sip:bare@127.0.0.1>;tag=probe',
      to: '<sip:stack@127.0.0.1>',
      callId: generateCallId(),
      cseq: 1,
    });
    const answered = new Promise<number>((resolve) => {
      peer.transactions.sendRequest(options, listenerOf(stack, 'UDP'), {
        onResponse: (response) => resolve(response.status),
      });
    });
    expect(await answered).toBe(200);
    expect(ackCount).toBe(1);
    expect(stack.dialogs.size).toBe(1);
  });

  it('a UAS that got its ACK stops repeating the 200', async () => {
    const calls = new Waiter<string>();
    stack.onRequest('INVITE', (incoming) => {
      incoming.accept();
    });
    stack.onAck((ack, dialog) => calls.push(`${ack.method} ${dialog?.state}`));
    const caller = await startStack();
    try {
      const invite = createRequest({
        method: 'INVITE',
        uri: `sip:callee@127.0.0.1:${listenerOf(stack, 'UDP').port}`,
        from: '<sip:caller@127.0.0.1>;tag=caller',
        to: '<sip:callee@127.0.0.1>',
        callId: generateCallId(),
        cseq: 1,
        contact: caller.contact('UDP', 'caller'),
      });
      const seen = await untilFinal(caller.invite(invite));
      expect(seen.map((answer) => answer.response.status)).toEqual([200]);
      expect(await calls.next()).toBe('ACK confirmed');
      // Once acknowledged the UAS sends no BYE of its own: after 64*T1 the dialog is still there.
      await new Promise((resolve) => setTimeout(resolve, 64 * TEST_TIMERS.T1 + 200));
      expect(stack.dialogs.size).toBe(1);
      expect(caller.dialogs.size).toBe(1);
    } finally {
      await caller.close();
    }
  });
});
