/**
 * A server transaction in Completed keeps only its last response as bytes (RFC 3261 §17.2.1,
 * §17.2.2 only ask it to send that response again): the request and response objects are
 * released, and what it retransmits is the very bytes it sent first.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/index.js';
import type { SentMessage } from './fake-transport.js';
import { incoming, receiveInfo, setup, T1 } from './fixtures.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Whether nothing but the WeakRef still reaches the object, after a full collection. */
async function released(reference: WeakRef<object>): Promise<boolean> {
  // WeakRef targets are kept at least until the end of the current job: let it end first.
  await new Promise<void>((resolve) => setImmediate(resolve));
  collectGarbage();
  return reference.deref() === undefined;
}

function bytesOf(entries: SentMessage[]): Buffer[] {
  return entries.map((entry) => {
    if (entry.bytes === undefined) throw new Error('a response was sent without prepared bytes');
    return entry.bytes;
  });
}

/** A layer whose TU answers each request with `status` and keeps nothing but WeakRefs. */
function answering(status: number, method: string, branch: string) {
  const context = setup();
  const references: { request?: WeakRef<SipRequest>; response?: WeakRef<SipResponse> } = {};
  const transactions: ServerTransaction[] = [];
  context.layer.onRequest((request, transaction) => {
    const response = createResponse(request, status, undefined, { toTag: 'u1' });
    references.request = new WeakRef(request);
    references.response = new WeakRef(response);
    transactions.push(transaction);
    transaction.respond(response);
  });
  // Built and handed over in a frame of its own, so that no local of the test holds the request.
  const receive = (): void =>
    context.transport.receive(incoming({ method, branch }), receiveInfo(context.clock));
  return { ...context, references, transactions, receive };
}

describe('server transaction memory (RFC 3261 17.2)', () => {
  it('lets go of the request and the response once a non-INVITE transaction is Completed', async () => {
    const { transport, layer, references, transactions, receive } = answering(200, 'OPTIONS', 'z9hG4bKmem1');
    receive();
    transport.sent.length = 0; // the fake transport's own record of the response object
    expect(transactions[0]?.state).toBe('completed');
    expect(layer.stats().nonInviteServer).toBe(1);
    expect(await released(references.request!)).toBe(true);
    expect(await released(references.response!)).toBe(true);
    expect(transactions[0]?.state).toBe('completed');
  });

  it('lets go of the request and the response once an INVITE transaction is Completed', async () => {
    const { transport, layer, references, transactions, receive } = answering(486, 'INVITE', 'z9hG4bKmem2');
    receive();
    transport.sent.length = 0;
    expect(transactions[0]?.state).toBe('completed');
    expect(layer.stats().inviteServer).toBe(1);
    expect(await released(references.request!)).toBe(true);
    expect(await released(references.response!)).toBe(true);
  });

  it('answers a retransmitted non-INVITE request with the bytes of the final response, until timer J', () => {
    const { clock, transport, receive } = answering(200, 'REGISTER', 'z9hG4bKmem3');
    receive();
    receive();
    clock.advance(64 * T1 - 1);
    receive();
    const [first, ...again] = bytesOf(transport.sent);
    expect(again).toHaveLength(2);
    for (const bytes of again) expect(bytes.equals(first!)).toBe(true);
    expect(transport.sent.map((entry) => (entry.message as SipResponse).status)).toEqual([200, 200, 200]);
  });

  it('retransmits an INVITE final response on timer G with the bytes first sent', () => {
    const { clock, transport, receive } = answering(486, 'INVITE', 'z9hG4bKmem4');
    receive();
    clock.advance(T1 + 2 * T1);
    receive();
    const [first, ...again] = bytesOf(transport.sent);
    expect(again).toHaveLength(3); // timer G at T1 and 3*T1, and the retransmitted INVITE
    for (const bytes of again) expect(bytes.equals(first!)).toBe(true);
  });
});
