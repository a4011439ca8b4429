/**
 * A client transaction outlives its final response only to match responses: an INVITE answered
 * 2xx for 64*T1 (timer M, RFC 6026 §8.4) to pass forked 2xx on, an INVITE answered with an error
 * for timer D to ACK retransmitted finals again, a non-INVITE for timer K. None of that needs
 * the request, so the transaction lets go of it while it goes on working.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type { ClientTransaction } from '../../../../src/sip/transaction/index.js';
import { answer, isRequest, outgoing, peer, receiveInfo, setup, T1 } from './fixtures.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Whether nothing but the WeakRef still reaches the object, after a full collection. */
async function released(reference: WeakRef<object>): Promise<boolean> {
  // WeakRef targets are kept at least until the end of the current job: let it end first.
  await new Promise<void>((resolve) => setImmediate(resolve));
  collectGarbage();
  return reference.deref() === undefined;
}

/**
 * Sends `method`, answers it with `status` and keeps nothing of the request but a WeakRef; the
 * responses the TU saw are returned as statuses only. `fork` is the same answer from another
 * branch of a forking proxy (another To tag).
 */
function answered(method: string, status: number) {
  const context = setup();
  const statuses: number[] = [];
  let reference: WeakRef<SipRequest> | undefined;
  let transaction: ClientTransaction | undefined;
  // Built, sent and answered in a frame of its own, so that no local of the test holds the request.
  const exchange = (): [SipResponse, SipResponse] => {
    const request = outgoing(method);
    reference = new WeakRef(request);
    transaction = context.layer.sendRequest(request, peer(), {
      onResponse: (response) => statuses.push(response.status),
    });
    const response = answer(request, status);
    context.transport.receive(response, receiveInfo(context.clock));
    return [response, answer(request, status, 'b2')];
  };
  const [response, fork] = exchange();
  // The fake transport's own record of what was sent.
  context.transport.sent.length = 0;
  return { ...context, statuses, response, fork, reference: reference!, transaction: transaction! };
}

describe('client transaction memory (RFC 3261 17.1, RFC 6026 8.4)', () => {
  it('lets go of an INVITE answered 2xx and still passes a forked 2xx on until timer M', async () => {
    const { clock, transport, layer, statuses, fork, reference, transaction } = answered('INVITE', 200);
    expect(transaction.state).toBe('accepted');
    expect(transaction.request).toBeUndefined();
    expect(await released(reference)).toBe(true);
    transport.receive(fork, receiveInfo(clock));
    expect(statuses).toEqual([200, 200]);
    clock.advance(64 * T1 + 1000);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().inviteClient).toBe(0);
  });

  it('lets go of an INVITE answered with an error and still ACKs its retransmission until timer D', async () => {
    const { clock, transport, statuses, response, reference, transaction } = answered('INVITE', 486);
    expect(transaction.state).toBe('completed');
    expect(await released(reference)).toBe(true);
    transport.receive(response, receiveInfo(clock));
    expect(transport.timesOf(isRequest('ACK'))).toHaveLength(1);
    expect(statuses).toEqual([486]);
  });

  it('lets go of a non-INVITE request once Completed', async () => {
    const { reference, transaction } = answered('OPTIONS', 200);
    expect(transaction.state).toBe('completed');
    expect(await released(reference)).toBe(true);
  });
});
