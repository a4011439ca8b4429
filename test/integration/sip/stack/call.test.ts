/**
 * Two stacks place and end calls over real sockets: INVITE / 180 / 200 / ACK, BYE from either
 * side, re-INVITE target refresh and INFO inside the dialog (RFC 3261 §12–§15).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Dialog,
  formatUri,
  type IncomingRequest,
  type SipRequest,
  type SipStack,
} from '../../../../src/sip/index.js';
import { answeredDialog, listenerOf, requestTo, startStack, untilFinal, Waiter } from './helpers.js';

interface Callee {
  invites: Waiter<IncomingRequest>;
  acks: Waiter<{ ack: SipRequest; dialog: Dialog | undefined }>;
  requests: Waiter<IncomingRequest>;
}

/** A callee that rings, answers every INVITE (new or re-INVITE) and answers BYE and INFO with 200. */
function answerCalls(stack: SipStack): Callee {
  const callee: Callee = { invites: new Waiter(), acks: new Waiter(), requests: new Waiter() };
  stack.onRequest('INVITE', (incoming) => {
    if (!incoming.dialog) incoming.reply(180);
    incoming.accept();
    callee.invites.push(incoming);
  });
  for (const method of ['BYE', 'INFO']) {
    stack.onRequest(method, (incoming) => {
      incoming.reply(200);
      callee.requests.push(incoming);
    });
  }
  stack.onAck((ack, dialog) => callee.acks.push({ ack, dialog }));
  return callee;
}

describe.each(['UDP', 'TCP'] as const)('a call over %s', (protocol) => {
  let caller: SipStack;
  let callee: SipStack;
  let answering: Callee;

  beforeEach(async () => {
    caller = await startStack();
    callee = await startStack();
    answering = answerCalls(callee);
  });

  afterEach(async () => {
    await caller.close();
    await callee.close();
  });

  async function placeCall(): Promise<Dialog> {
    const invite = requestTo(caller, callee, 'INVITE', protocol);
    const seen = await untilFinal(caller.invite(invite, { target: listenerOf(callee, protocol) }));
    expect(seen.map((answer) => answer.response.status)).toEqual([180, 200]);
    return answeredDialog(seen);
  }

  it('rings, answers, and the ACK reaches the callee with its dialog', async () => {
    const dialog = await placeCall();
    expect(dialog.state).toBe('confirmed');
    expect(dialog.role).toBe('uac');
    const { ack, dialog: calleeDialog } = await answering.acks.next();
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(calleeDialog?.role).toBe('uas');
    expect(calleeDialog?.id).toEqual({
      callId: dialog.id.callId,
      localTag: dialog.id.remoteTag,
      remoteTag: dialog.id.localTag,
    });
    expect(caller.dialogs.size).toBe(1);
    expect(callee.dialogs.size).toBe(1);
  });

  it('the caller hangs up: BYE gets 200 and both sides forget the dialog', async () => {
    const dialog = await placeCall();
    await answering.acks.next();
    const ok = await caller.requestInDialog(dialog, 'BYE');
    expect(ok.status).toBe(200);
    expect((await answering.requests.next()).request.method).toBe('BYE');
    expect(dialog.state).toBe('terminated');
    expect(caller.dialogs.size).toBe(0);
    expect(callee.dialogs.size).toBe(0);
  });

  it('the callee hangs up: the caller, with no BYE handler, answers 200 and both sides forget the dialog', async () => {
    await placeCall();
    const { dialog: calleeDialog } = await answering.acks.next();
    if (!calleeDialog) throw new Error('the ACK matched no dialog');
    const ok = await callee.requestInDialog(calleeDialog, 'BYE');
    expect(ok.status).toBe(200);
    expect(ok.cseq.method).toBe('BYE');
    expect(caller.dialogs.size).toBe(0);
    expect(callee.dialogs.size).toBe(0);
  });

  it('a re-INVITE refreshes the target on both sides, is acknowledged, and INFO flows both ways', async () => {
    const dialog = await placeCall();
    const { dialog: calleeDialog } = await answering.acks.next();
    if (!calleeDialog) throw new Error('the ACK matched no dialog');

    // The caller moves: its re-INVITE carries a new Contact (RFC 3261 §12.2.1.1, §14.1).
    const moved = caller.contact(protocol, 'caller-moved');
    const reInvite = await caller.requestInDialog(dialog, 'INVITE', { contact: moved });
    expect(reInvite.status).toBe(200);
    const reInvited = await answering.invites.next((incoming) => incoming.dialog !== undefined);
    expect(reInvited.dialog).toBe(calleeDialog);
    expect(formatUri(calleeDialog.remoteTarget)).toBe(formatUri(moved.uri));
    // RFC 3261 §13.2.2.4: the 2xx to a re-INVITE is acknowledged too, with the re-INVITE's CSeq.
    const { ack } = await answering.acks.next();
    expect(ack.cseq).toEqual({ seq: reInvite.cseq.seq, method: 'ACK' });
    expect(formatUri(ack.uri)).toBe(formatUri(dialog.remoteTarget));
    expect(callee.dialogs.get(calleeDialog.id)).toBe(calleeDialog);
    expect(calleeDialog.role).toBe('uas');

    const info = await caller.requestInDialog(dialog, 'INFO', {
      body: 'Signal=5\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(info.status).toBe(200);
    const seen = await answering.requests.next();
    expect(seen.request.method).toBe('INFO');
    expect(seen.dialog).toBe(calleeDialog);
    expect(seen.request.body.toString()).toBe('Signal=5\r\nDuration=160\r\n');

    // The caller's stack answers INFO from the callee once it has a handler for it.
    const callerInfo = new Waiter<IncomingRequest>();
    caller.onRequest('INFO', (incoming) => {
      incoming.reply(200);
      callerInfo.push(incoming);
    });
    expect((await callee.requestInDialog(calleeDialog, 'INFO')).status).toBe(200);
    const infoAtCaller = await callerInfo.next();
    expect(infoAtCaller.dialog).toBe(dialog);
    // The refreshed target: the callee now sends to the Contact of the re-INVITE.
    expect(infoAtCaller.request.uri.user).toBe('caller-moved');
    expect(caller.dialogs.size).toBe(1);
    expect(callee.dialogs.size).toBe(1);
  });
});
