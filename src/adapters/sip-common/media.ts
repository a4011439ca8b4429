/** Session descriptions as the B2BUA carries them: a message body with its type, passed through. */
import type { MediaDescription } from '../../core/index.js';
import { ownedText, type ReplyOptions, type SipRequest, type SipResponse } from '../../sip/index.js';

const SDP = 'application/sdp';

/**
 * The body of a message as a media description, or undefined when it carries none. A leg keeps
 * its description for the call: the usual Content-Type is the shared constant, any other a copy,
 * not a slice that would keep the message's whole head alive with it (see ownedText).
 */
export function mediaOf(message: SipRequest | SipResponse): MediaDescription | undefined {
  if (message.body.length === 0) return undefined;
  const contentType = message.headers.get('Content-Type');
  return {
    contentType: contentType === undefined || contentType === SDP ? SDP : ownedText(contentType),
    body: message.body,
  };
}

/** Reply or request options that carry `media` as the body. */
export function bodyOf(media: MediaDescription | undefined): Pick<ReplyOptions, 'body' | 'contentType'> {
  return media === undefined ? {} : { body: media.body, contentType: media.contentType };
}

const HOLD_ATTRIBUTE = /^a=(?:sendonly|inactive)\s*$/m;
const CONNECTION_ZERO = /^c=IN IP4 0\.0\.0\.0\s*$/m;

/**
 * Whether an offer puts the other party on hold: RFC 3264 §8.4 `a=sendonly` or `a=inactive`,
 * or the RFC 2543 style `c=0.0.0.0` older phones still send.
 */
export function isHoldOffer(media: MediaDescription): boolean {
  if (!isSdp(media)) return false;
  const text = media.body.toString('latin1');
  return HOLD_ATTRIBUTE.test(text) || CONNECTION_ZERO.test(text);
}

const DIRECTION_LINE = /^a=(?:sendrecv|sendonly|recvonly|inactive)\s*$/gm;

/** RFC 3264 §6.1: the direction an answer takes to an offer's. */
const ANSWER_DIRECTION: Readonly<Record<string, string>> = {
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
  sendrecv: 'sendrecv',
};

/**
 * An answer made here to `offer` from `session`, the other party's latest description: its
 * media with the direction RFC 3264 §6.1 asks of an answer to the offer's (recvonly to a hold's
 * sendonly). Undefined when either is no SDP.
 */
export function localAnswer(
  offer: MediaDescription,
  session: MediaDescription | undefined,
): MediaDescription | undefined {
  if (session === undefined || !isSdp(offer) || !isSdp(session)) return undefined;
  const offered = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(offer.body.toString('latin1'))?.[1];
  const direction = CONNECTION_ZERO.test(offer.body.toString('latin1'))
    ? 'inactive'
    : (ANSWER_DIRECTION[offered ?? 'sendrecv'] ?? 'sendrecv');
  const text = session.body.toString('latin1').replace(DIRECTION_LINE, '');
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  const withDirection: string[] = [];
  // a direction attribute on each media description (RFC 4566 §6), after its m= line's own lines
  for (const line of lines) {
    if (line.startsWith('m=') && withDirection.some((earlier) => earlier.startsWith('m=')))
      withDirection.push(`a=${direction}`);
    withDirection.push(line);
  }
  if (withDirection.some((line) => line.startsWith('m='))) withDirection.push(`a=${direction}`);
  return {
    contentType: session.contentType,
    body: Buffer.from(`${withDirection.join('\r\n')}\r\n`, 'latin1'),
  };
}

function isSdp(media: MediaDescription): boolean {
  return media.contentType.toLowerCase().startsWith(SDP);
}
