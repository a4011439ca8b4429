/** Session descriptions as the B2BUA carries them: a message body with its type, passed through. */
import type { MediaDescription } from '../../core/index.js';
import type { ReplyOptions, SipRequest, SipResponse } from '../../sip/index.js';

/** The body of a message as a media description, or undefined when it carries none. */
export function mediaOf(message: SipRequest | SipResponse): MediaDescription | undefined {
  if (message.body.length === 0) return undefined;
  return { contentType: message.headers.get('Content-Type') ?? 'application/sdp', body: message.body };
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
  if (!media.contentType.toLowerCase().startsWith('application/sdp')) return false;
  const text = media.body.toString('latin1');
  return HOLD_ATTRIBUTE.test(text) || CONNECTION_ZERO.test(text);
}
