/** RFC 3261 §12 dialogs: creation on both sides, requests inside them, and what they accept. */
import { describe, expect, it } from 'vitest';
import {
  createInDialogRequest,
  createUacDialog,
  createUasDialog,
  type Dialog,
  dialogKey,
  incomingDialogId,
  receiveInDialogRequest,
  receiveInDialogResponse,
  responseDialogId,
} from '../../../../src/sip/dialog/index.js';
import { createResponse, formatUri, getRoutes, parseContacts } from '../../../../src/sip/message/index.js';
import type { NameAddr, SipRequest } from '../../../../src/sip/message/types.js';
import { aliceInvite, bobAnswer, CALL_ID, request, response } from './fixtures.js';

function routeHeaders(message: SipRequest): string[] {
  return message.headers.getAll('Route');
}

function uacDialog(status = 200): Dialog {
  const dialog = createUacDialog(aliceInvite(), bobAnswer(status));
  if (!dialog) throw new Error('expected a dialog');
  return dialog;
}

function uasDialog(): Dialog {
  const invite = aliceInvite();
  const ok = createResponse(invite, 200, undefined, {
    toTag: 'bob-local',
    headers: [['Contact', '<sip:bob@192.0.2.4>']],
  });
  const dialog = createUasDialog(invite, ok);
  if (!dialog) throw new Error('expected a dialog');
  return dialog;
}

/** A request Bob sends to Alice inside the dialog (Bob is the remote party of Alice's UAC dialog). */
function fromBob(method: string, cseq: number, contact?: string): SipRequest {
  return request([
    `${method} sip:alice@pc33.atlanta.example.com SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10',
    'Max-Forwards: 70',
    'From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
    'To: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${cseq} ${method}`,
    ...(contact === undefined ? [] : [`Contact: ${contact}`]),
  ]);
}

/** A request Alice sends to Bob inside the UAS dialog Bob holds. */
function fromAlice(method: string, cseq: number): SipRequest {
  return request([
    `${method} sip:bob@192.0.2.4 SIP/2.0`,
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds11',
    'Max-Forwards: 70',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'To: Bob <sip:bob@biloxi.example.com>;tag=bob-local',
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${cseq} ${method}`,
  ]);
}

describe('UAC dialog (RFC 3261 §12.1.2)', () => {
  it('is early from a 180 with a To tag', () => {
    const dialog = uacDialog(180);
    expect(dialog.role).toBe('uac');
    expect(dialog.state).toBe('early');
    expect(dialog.id).toEqual({ callId: CALL_ID, localTag: '1928301774', remoteTag: 'a6c85cf' });
  });

  it('is confirmed from a 200, targets the Contact and reverses Record-Route', () => {
    const dialog = uacDialog(200);
    expect(dialog.state).toBe('confirmed');
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.4');
    expect(dialog.routeSet.map((route) => route.uri.host)).toEqual([
      'p1.atlanta.example.com',
      'p2.biloxi.example.com',
    ]);
    expect(dialog.localSeq).toBe(314159);
    expect(dialog.remoteSeq).toBeUndefined();
    expect(dialog.localUri.params.tag).toBe('1928301774');
    expect(dialog.remoteUri.params.tag).toBe('a6c85cf');
    expect(dialog.secure).toBe(false);
  });

  it('is secure when the INVITE went to a sips Request-URI', () => {
    const dialog = createUacDialog(aliceInvite('sips'), bobAnswer(200, { contact: '<sips:bob@192.0.2.4>' }));
    expect(dialog?.secure).toBe(true);
  });

  it('is not created without a To tag, without a Contact, or from 100 and final non-2xx responses', () => {
    const invite = aliceInvite();
    expect(createUacDialog(invite, bobAnswer(180, { toTag: '' }))).toBeUndefined();
    expect(createUacDialog(invite, bobAnswer(200, { contact: null }))).toBeUndefined();
    expect(createUacDialog(invite, bobAnswer(200, { contact: '*' }))).toBeUndefined();
    expect(createUacDialog(invite, bobAnswer(100))).toBeUndefined();
    expect(createUacDialog(invite, bobAnswer(486))).toBeUndefined();
  });

  it('keeps copies of what it has of the far end (party, target, routes, every part of them), not the parsed views', () => {
    const invite = aliceInvite();
    const answer = response([
      'SIP/2.0 180 Ringing',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8',
      'Record-Route: <sip:p1.atlanta.example.com;lr;transport=tcp>;x-hop=1',
      'To: "Bob Biloxi" <sips:bob:secret@biloxi.example.com:5061;user=phone?subject=hi>;tag=a6c85cf;x=y',
      'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
      `Call-ID: ${CALL_ID}`,
      'CSeq: 314159 INVITE',
      'Contact: <sip:bob@192.0.2.4:5080;ob>',
    ]);
    const dialog = createUacDialog(invite, answer);
    if (!dialog) throw new Error('expected a dialog');
    expect(dialog.remoteUri).toEqual(answer.to);
    expect(dialog.remoteUri).not.toBe(answer.to);
    expect(dialog.remoteUri.uri).not.toBe(answer.to.uri);
    expect(dialog.id.remoteTag).toBe('a6c85cf');
    expect(dialog.localUri).toEqual(invite.from);
    const contacts = parseContacts(answer);
    const routes = getRoutes(answer, 'record-route');
    if (!contacts.ok || !routes.ok) throw new Error('expected Contact and Record-Route');
    expect(dialog.remoteTarget).toEqual((contacts.value[0] as NameAddr).uri);
    expect(dialog.routeSet).toEqual([...routes.value].reverse());
  });

  it('identifies responses by its own From tag and the remote To tag', () => {
    expect(responseDialogId(bobAnswer(200))).toEqual(uacDialog().id);
    // The dialog's key, joined once, is the key of an id read from a message of the dialog.
    const dialog = uacDialog();
    expect(dialogKey(dialog.id)).toBe(dialogKey(responseDialogId(bobAnswer(200))!));
    expect(dialogKey(dialog.id)).toBe(dialogKey(dialog.id));
    expect(responseDialogId(bobAnswer(180, { toTag: '' }))).toBeUndefined();
  });
});

describe('UAS dialog (RFC 3261 §12.1.1)', () => {
  it('keeps Record-Route in order, the remote CSeq and the caller as remote target', () => {
    const dialog = uasDialog();
    expect(dialog.role).toBe('uas');
    expect(dialog.state).toBe('confirmed');
    expect(dialog.id).toEqual({ callId: CALL_ID, localTag: 'bob-local', remoteTag: '1928301774' });
    expect(dialog.routeSet.map((route) => route.uri.host)).toEqual([
      'p2.biloxi.example.com',
      'p1.atlanta.example.com',
    ]);
    expect(dialog.remoteSeq).toBe(314159);
    expect(dialog.localSeq).toBeUndefined();
    expect(formatUri(dialog.remoteTarget)).toBe('sip:alice@pc33.atlanta.example.com');
  });

  it('keeps a copy of the caller as remote party, not the parsed view of its From', () => {
    const invite = aliceInvite();
    const dialog = createUasDialog(invite, createResponse(invite, 200, undefined, { toTag: 'bob-local' }));
    expect(dialog?.remoteUri).toEqual(invite.from);
    expect(dialog?.remoteUri).not.toBe(invite.from);
    expect(dialog?.remoteUri.uri).not.toBe(invite.from.uri);
  });

  it('is early when created with a 1xx', () => {
    const invite = aliceInvite();
    const ringing = createResponse(invite, 183, undefined, { headers: [['Contact', '<sip:bob@192.0.2.4>']] });
    expect(createUasDialog(invite, ringing)?.state).toBe('early');
  });

  it('is not created for a request without Contact or From tag', () => {
    const invite = aliceInvite();
    invite.headers.remove('Contact');
    expect(createUasDialog(invite, createResponse(invite, 200))).toBeUndefined();
    const untagged = aliceInvite();
    untagged.headers.set('From', '<sip:alice@atlanta.example.com>');
    expect(createUasDialog(untagged, createResponse(untagged, 200))).toBeUndefined();
  });

  it('identifies incoming requests by the To tag as local tag', () => {
    expect(incomingDialogId(fromAlice('BYE', 314160))).toEqual(uasDialog().id);
    expect(incomingDialogId(aliceInvite())).toBeUndefined();
  });
});

describe('requests inside a dialog (RFC 3261 §12.2.1.1)', () => {
  it('loose routing: the remote target is the Request-URI and the route set becomes Route', () => {
    const dialog = uacDialog();
    const bye = createInDialogRequest(dialog, 'BYE');
    expect(formatUri(bye.uri)).toBe('sip:bob@192.0.2.4');
    expect(routeHeaders(bye)).toEqual(['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
    expect(bye.callId).toBe(CALL_ID);
    expect(bye.from.params.tag).toBe('1928301774');
    expect(bye.to.params.tag).toBe('a6c85cf');
    expect(bye.cseq).toEqual({ seq: 314160, method: 'BYE' });
  });

  it('strict routing: the first route is the Request-URI and the remote target the last Route', () => {
    const ok = bobAnswer(200);
    ok.headers.set(
      'Record-Route',
      '<sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;method=INVITE>',
    );
    const dialog = createUacDialog(aliceInvite(), ok);
    if (!dialog) throw new Error('expected a dialog');
    for (let round = 0; round < 2; round++) {
      const info = createInDialogRequest(dialog, 'INFO');
      // The method parameter is not allowed in a Request-URI (RFC 3261 §19.1.1, Table 1).
      expect(formatUri(info.uri)).toBe('sip:p1.atlanta.example.com');
      expect(routeHeaders(info)).toEqual(['<sip:p2.biloxi.example.com;lr>', '<sip:bob@192.0.2.4>']);
    }
    // Building requests leaves the route set as learnt.
    expect(dialog.routeSet[0]?.uri.params).toEqual({ method: 'INVITE' });
  });

  it('no route set: the remote target alone', () => {
    const invite = aliceInvite();
    invite.headers.remove('Record-Route');
    const ok = createResponse(invite, 200, undefined, { headers: [['Contact', '<sip:bob@192.0.2.4>']] });
    const dialog = createUasDialog(invite, ok);
    if (!dialog) throw new Error('expected a dialog');
    const bye = createInDialogRequest(dialog, 'BYE');
    expect(formatUri(bye.uri)).toBe('sip:alice@pc33.atlanta.example.com');
    expect(getRoutes(bye, 'route')).toEqual({ ok: true, value: [] });
  });

  it('each new request takes the next CSeq; ACK and CANCEL keep the INVITE one', () => {
    const dialog = uacDialog();
    const reInvite = createInDialogRequest(dialog, 'INVITE');
    expect(reInvite.cseq.seq).toBe(314160);
    const ack = createInDialogRequest(dialog, 'ACK', { cseq: reInvite.cseq.seq });
    expect(ack.cseq).toEqual({ seq: 314160, method: 'ACK' });
    const cancel = createInDialogRequest(dialog, 'CANCEL', { cseq: reInvite.cseq.seq });
    expect(cancel.cseq).toEqual({ seq: 314160, method: 'CANCEL' });
    expect(createInDialogRequest(dialog, 'BYE').cseq.seq).toBe(314161);
  });

  it('an ACK or CANCEL without the CSeq of its INVITE is refused rather than given a new number', () => {
    const dialog = uacDialog();
    expect(() => createInDialogRequest(dialog, 'ACK')).toThrow(TypeError);
    expect(() => createInDialogRequest(dialog, 'CANCEL')).toThrow(TypeError);
    expect(dialog.localSeq).toBe(314159);
  });

  it('a UAS starts its own sequence when it sends its first request', () => {
    const dialog = uasDialog();
    const first = createInDialogRequest(dialog, 'BYE');
    expect(first.cseq.seq).toBe(1);
    expect(first.from.params.tag).toBe('bob-local');
    expect(first.to.params.tag).toBe('1928301774');
    expect(routeHeaders(first)).toEqual([
      '<sip:p2.biloxi.example.com;lr>',
      '<sip:p1.atlanta.example.com;lr>',
    ]);
  });

  it('carries the extra headers, Contact and body asked for', () => {
    const info = createInDialogRequest(uacDialog(), 'INFO', {
      headers: [['Info-Package', 'dtmf']],
      contact: '<sip:alice@192.0.2.1>',
      body: 'Signal=5\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(info.headers.get('Info-Package')).toBe('dtmf');
    expect(info.headers.get('Contact')).toBe('<sip:alice@192.0.2.1>');
    expect(info.headers.get('Content-Type')).toBe('application/dtmf-relay');
    expect(info.body.toString()).toBe('Signal=5\r\nDuration=160\r\n');
  });
});

describe('requests received inside a dialog (RFC 3261 §12.2.2)', () => {
  it('rejects a CSeq lower than or equal to the last one with 500 and keeps the sequence', () => {
    const dialog = uasDialog();
    expect(receiveInDialogRequest(dialog, fromAlice('BYE', 314158))).toMatchObject({
      accept: false,
      status: 500,
    });
    expect(receiveInDialogRequest(dialog, fromAlice('INFO', 314159))).toMatchObject({
      accept: false,
      status: 500,
    });
    expect(dialog.remoteSeq).toBe(314159);
    expect(dialog.state).toBe('confirmed');
    expect(receiveInDialogRequest(dialog, fromAlice('INFO', 314160))).toEqual({ accept: true });
    expect(dialog.remoteSeq).toBe(314160);
  });

  it('takes any CSeq when none was received yet, and lets ACK keep its INVITE number', () => {
    const dialog = uacDialog();
    expect(receiveInDialogRequest(dialog, fromBob('INFO', 7))).toEqual({ accept: true });
    expect(dialog.remoteSeq).toBe(7);
    expect(receiveInDialogRequest(dialog, fromBob('INVITE', 8))).toEqual({ accept: true });
    expect(receiveInDialogRequest(dialog, fromBob('ACK', 8))).toEqual({ accept: true });
    expect(dialog.remoteSeq).toBe(8);
  });

  it('re-INVITE and UPDATE refresh the remote target; other methods do not', () => {
    const dialog = uacDialog();
    receiveInDialogRequest(dialog, fromBob('INVITE', 1, '<sip:bob@192.0.2.5>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.5');
    receiveInDialogRequest(dialog, fromBob('UPDATE', 2, '<sip:bob@192.0.2.6:5070>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.6:5070');
    receiveInDialogRequest(dialog, fromBob('INFO', 3, '<sip:bob@192.0.2.7>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.6:5070');
    // A re-INVITE without Contact keeps the target.
    receiveInDialogRequest(dialog, fromBob('INVITE', 4));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.6:5070');
  });

  it('BYE terminates the dialog', () => {
    const dialog = uacDialog();
    expect(receiveInDialogRequest(dialog, fromBob('BYE', 1))).toEqual({ accept: true });
    expect(dialog.state).toBe('terminated');
  });
});

describe('responses to requests sent inside a dialog (RFC 3261 §12.2.1.2)', () => {
  function answerTo(sent: SipRequest, status: number, contact?: string) {
    return createResponse(sent, status, undefined, {
      headers: contact === undefined ? [] : [['Contact', contact]],
    });
  }

  it('a 2xx to a re-INVITE or UPDATE refreshes the remote target', () => {
    const dialog = uacDialog();
    const reInvite = createInDialogRequest(dialog, 'INVITE');
    receiveInDialogResponse(dialog, reInvite, answerTo(reInvite, 200, '<sip:bob@192.0.2.8>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.8');
    const update = createInDialogRequest(dialog, 'UPDATE');
    receiveInDialogResponse(dialog, update, answerTo(update, 200, '<sip:bob@192.0.2.9>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.9');
    const info = createInDialogRequest(dialog, 'INFO');
    receiveInDialogResponse(dialog, info, answerTo(info, 200, '<sip:bob@192.0.2.10>'));
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.9');
  });

  it('a failed re-INVITE keeps the dialog and its target', () => {
    const dialog = uacDialog();
    const reInvite = createInDialogRequest(dialog, 'INVITE');
    receiveInDialogResponse(dialog, reInvite, answerTo(reInvite, 488, '<sip:bob@192.0.2.8>'));
    expect(dialog.state).toBe('confirmed');
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.4');
  });

  it.each([481, 408])('a %i terminates the dialog', (status) => {
    const dialog = uacDialog();
    const info = createInDialogRequest(dialog, 'INFO');
    receiveInDialogResponse(dialog, info, answerTo(info, status));
    expect(dialog.state).toBe('terminated');
  });

  it('a 2xx to BYE terminates the dialog', () => {
    const dialog = uacDialog();
    const bye = createInDialogRequest(dialog, 'BYE');
    receiveInDialogResponse(dialog, bye, answerTo(bye, 200));
    expect(dialog.state).toBe('terminated');
  });

  it('the 2xx that confirms an early dialog replaces its target and route set (RFC 3261 §13.2.2.4)', () => {
    const invite = aliceInvite();
    const dialog = uacDialog(180);
    const ok = response([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1',
      'Record-Route: <sip:p3.biloxi.example.com;lr>',
      'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
      'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
      `Call-ID: ${CALL_ID}`,
      'CSeq: 314159 INVITE',
      'Contact: <sip:bob@192.0.2.44>',
    ]);
    receiveInDialogResponse(dialog, invite, ok);
    expect(dialog.state).toBe('confirmed');
    expect(formatUri(dialog.remoteTarget)).toBe('sip:bob@192.0.2.44');
    expect(dialog.routeSet.map((route) => route.uri.host)).toEqual(['p3.biloxi.example.com']);
  });
});
