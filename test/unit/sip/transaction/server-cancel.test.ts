import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/index.js';
import { incoming, receiveInfo, setup } from './fixtures.js';

const BRANCH = 'z9hG4bKinvite1';

function cancelSetup() {
  const context = setup();
  const transactions: ServerTransaction[] = [];
  const requests: string[] = [];
  context.layer.onRequest((request, transaction) => {
    requests.push(request.method);
    transactions.push(transaction);
  });
  return { ...context, transactions, requests };
}

function responses(sent: ReturnType<typeof setup>['transport']['sent']): string[] {
  return sent.map(({ message }) => {
    const response = message as SipResponse;
    return `${response.status} ${response.cseq.method}`;
  });
}

describe('CANCEL on the server (RFC 3261 9.2)', () => {
  it('answers the CANCEL 200, tells the TU, then answers the INVITE 487 with the same To tag', () => {
    const { clock, transport, transactions, requests } = cancelSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const invite = transactions[0]!;
    const cancels: SipRequest[] = [];
    invite.onCancel((cancel) => cancels.push(cancel));
    transport.receive(incoming({ method: 'CANCEL', branch: BRANCH }), receiveInfo(clock));

    expect(responses(transport.sent)).toEqual(['200 CANCEL', '487 INVITE']);
    const [ok, terminated] = transport.take() as SipResponse[];
    expect(ok?.to.params.tag).toBeTruthy();
    expect(terminated?.to.params.tag).toBe(ok?.to.params.tag);
    expect(terminated?.reason).toBe('Request Terminated');
    expect(cancels.map((cancel) => cancel.method)).toEqual(['CANCEL']);
    expect(requests).toEqual(['INVITE']);
    expect(invite.state).toBe('completed');

    // A CANCEL retransmission is absorbed by the CANCEL's own transaction.
    transport.receive(incoming({ method: 'CANCEL', branch: BRANCH }), receiveInfo(clock));
    expect(responses(transport.sent)).toEqual(['200 CANCEL']);
    transport.take();
    transport.receive(
      incoming({ method: 'ACK', branch: BRANCH, toTag: terminated!.to.params.tag! }),
      receiveInfo(clock),
    );
    expect(invite.state).toBe('confirmed');
  });

  it('keeps the To tag of a provisional response already sent', () => {
    const { clock, transport, transactions } = cancelSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const invite = transactions[0]!;
    invite.respond(
      createResponse(incoming({ method: 'INVITE', branch: BRANCH }), 180, undefined, { toTag: 'ringing' }),
    );
    transport.receive(incoming({ method: 'CANCEL', branch: BRANCH }), receiveInfo(clock));
    const tags = (transport.take() as SipResponse[]).map((r) => `${r.status} ${r.to.params.tag}`);
    expect(tags).toEqual(['180 ringing', '200 ringing', '487 ringing']);
  });

  it('lets the TU answer the INVITE itself from onCancel', () => {
    const { clock, transport, transactions } = cancelSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const invite = transactions[0]!;
    invite.onCancel(() =>
      invite.respond(
        createResponse(incoming({ method: 'INVITE', branch: BRANCH }), 486, undefined, { toTag: 'busy' }),
      ),
    );
    transport.receive(incoming({ method: 'CANCEL', branch: BRANCH }), receiveInfo(clock));
    expect(responses(transport.sent)).toEqual(['200 CANCEL', '486 INVITE']);
  });

  it('answers 200 but changes nothing once the INVITE has its final response', () => {
    const { clock, transport, transactions } = cancelSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const invite = transactions[0]!;
    let cancelled = false;
    invite.onCancel(() => {
      cancelled = true;
    });
    invite.respond(
      createResponse(incoming({ method: 'INVITE', branch: BRANCH }), 200, undefined, { toTag: 'u1' }),
    );
    transport.receive(incoming({ method: 'CANCEL', branch: BRANCH }), receiveInfo(clock));
    expect(responses(transport.sent)).toEqual(['200 INVITE', '200 CANCEL']);
    expect(cancelled).toBe(false);
    expect(invite.state).toBe('accepted');
  });

  it('answers 481 to a CANCEL that matches no INVITE, and to its retransmissions', () => {
    const { clock, transport, layer, requests } = cancelSetup();
    transport.receive(incoming({ method: 'CANCEL', branch: 'z9hG4bKnothing' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'CANCEL', branch: 'z9hG4bKnothing' }), receiveInfo(clock));
    expect(responses(transport.sent)).toEqual(['481 CANCEL', '481 CANCEL']);
    expect(requests).toEqual([]);
    expect(layer.stats().nonInviteServer).toBe(1);
  });

  it('does not match an INVITE from another sent-by with the same branch (RFC 3261 17.2.3)', () => {
    const { clock, transport } = cancelSetup();
    transport.receive(
      incoming({ method: 'INVITE', branch: BRANCH, sentBy: '192.0.2.20:5060' }),
      receiveInfo(clock),
    );
    transport.receive(
      incoming({ method: 'CANCEL', branch: BRANCH, sentBy: '192.0.2.99:5060' }),
      receiveInfo(clock),
    );
    expect(responses(transport.sent)).toEqual(['481 CANCEL']);
  });

  it('matches the INVITE of an RFC 2543 element (no branch) by the RFC 2543 rules', () => {
    const { clock, transport, transactions } = cancelSetup();
    transport.receive(incoming({ method: 'INVITE' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'CANCEL' }), receiveInfo(clock));
    expect(responses(transport.sent)).toEqual(['200 CANCEL', '487 INVITE']);
    expect(transactions[0]!.state).toBe('completed');
  });
});
