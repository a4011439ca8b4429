/**
 * Requests inside a call's dialog, from whichever far end: BYE ends the leg, a re-INVITE or
 * UPDATE with an offer and an INFO are relayed to the other party through the core, and its
 * verdict comes back. Each leg is its own dialog: only session descriptions cross.
 */
import type { SessionUpdateFailure } from '../../core/index.js';
import { dialogKey, type IncomingRequest } from '../../sip/index.js';
import { CallerLeg } from './caller-leg.js';
import type { Leg, LegContext } from './leg.js';
import { isHoldOffer, mediaOf } from './media.js';
import { MIN_SESSION_EXPIRES, readSessionTimer } from './session-timer.js';

/**
 * Answers a BYE, re-INVITE, UPDATE, INFO or NOTIFY; one outside a known leg's dialog gets 481
 * (RFC 3261 §12.2.2).
 */
export async function answerInDialog(context: LegContext, incoming: IncomingRequest): Promise<void> {
  const leg = incoming.dialog ? context.legs.get(dialogKey(incoming.dialog.id)) : undefined;
  const { method } = incoming.request;
  if (method === 'BYE') {
    // The stack has ended the dialog already (RFC 3261 §15.1.2); the BYE is answered whatever we knew of it.
    incoming.reply(200);
    if (!leg) return;
    leg.hungUp();
    context.core.reportCleared(leg.connectionId, 'normalClearing');
    return;
  }
  if (!leg) {
    incoming.reply(481);
    return;
  }
  if (method === 'INFO' || method === 'NOTIFY') {
    const taken = await takeDtmf(context, leg, incoming);
    if (taken !== undefined) {
      // docs/media.md: a DTMF body the anchor cannot produce again is refused as unsupported.
      incoming.reply(taken ? 200 : 415);
      return;
    }
    // NOTIFYs that are not digits report on a REFER we sent (RFC 3515 §2.4.4).
    if (method === 'NOTIFY') {
      incoming.reply(200);
      return;
    }
    return relayInfo(context, leg, incoming);
  }
  return relayOffer(context, leg, incoming);
}

/** The response to a relayed update the other party did not take. */
function failureStatus(failure: SessionUpdateFailure): [number, [string, string][]] {
  switch (failure) {
    case 'rejected':
      return [488, []];
    case 'pending':
      return [491, []];
    // RFC 3261 §14.2: an update that cannot be handled now gets 500 with Retry-After.
    case 'timeout':
    case 'noPeer':
      return [500, [['Retry-After', '1']]];
  }
}

/**
 * A re-INVITE or UPDATE (RFC 3261 §14, RFC 3311): with an offer it goes to the other party and
 * its answer comes back; without one it is a session refresh (RFC 4028 §7.4) answered here.
 */
async function relayOffer(context: LegContext, leg: Leg, incoming: IncomingRequest): Promise<void> {
  const { request } = incoming;
  const sessionTimer = readSessionTimer(request);
  if (sessionTimer.kind === 'tooSmall') {
    incoming.reply(422, undefined, { headers: [['Min-SE', String(MIN_SESSION_EXPIRES)]] });
    return;
  }
  const refresh = () =>
    leg instanceof CallerLeg
      ? leg.refreshed(sessionTimer.kind === 'accept' ? sessionTimer.terms : undefined)
      : [];
  const media = mediaOf(request);
  if (!media) {
    // A refresh re-INVITE without an offer gets ours again (RFC 3261 §14.2); an UPDATE needs none.
    const answer = request.method === 'INVITE' ? leg.sentMedia : undefined;
    incoming.reply(200, undefined, leg.replyOptions(answer, refresh()));
    return;
  }
  const result = await context.core.updateSession(leg.connectionId, { kind: 'offer', media });
  if (incoming.answered) return;
  if (!result.ok) {
    const [status, headers] = failureStatus(result.failure);
    incoming.reply(status, undefined, { headers });
    return;
  }
  if (isHoldOffer(media)) context.core.hold(leg.connectionId);
  else context.core.retrieve(leg.connectionId);
  leg.receivedMedia = media;
  leg.sentMedia = result.media;
  incoming.reply(200, undefined, leg.replyOptions(result.media, refresh()));
}

/** A DTMF INFO or Cisco NOTIFY, for the media anchor; undefined when it is not one or nothing is anchored. */
function takeDtmf(context: LegContext, leg: Leg, incoming: IncomingRequest): Promise<boolean | undefined> {
  const { request } = incoming;
  if (context.media === undefined || request.body.length === 0) return Promise.resolve(undefined);
  return context.media.receiveDtmf(leg, {
    method: request.method,
    contentType: request.headers.get('Content-Type') ?? '',
    body: request.body,
    event: request.headers.get('Event') ?? request.headers.get('o'),
  });
}

/** INFO (RFC 6086) goes to the other party as it is; its verdict comes back. */
async function relayInfo(context: LegContext, leg: Leg, incoming: IncomingRequest): Promise<void> {
  const result = await context.core.updateSession(leg.connectionId, {
    kind: 'info',
    content: mediaOf(incoming.request),
  });
  if (incoming.answered) return;
  if (result.ok) {
    incoming.reply(200);
    return;
  }
  const [status, headers] = failureStatus(result.failure);
  incoming.reply(status, undefined, { headers });
}
