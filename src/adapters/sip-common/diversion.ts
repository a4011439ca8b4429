/**
 * The Diversion header (RFC 5806) of a forwarded call: one value per forward, the most recent
 * first (§4: each forwarding hop adds its own at the top), with the reason and a counter of 1.
 */
import type { Diversion, DiversionReason } from '../../core/index.js';

/** RFC 5806 §4 diversion-reason values. */
const REASONS: Readonly<Record<DiversionReason, string>> = {
  unconditional: 'unconditional',
  busy: 'user-busy',
  noAnswer: 'no-answer',
};

/** Numbers a URI user part can carry as they are (RFC 3261 §25.1 `user` without escapes). */
const NUMBER = /^\+?[0-9*#A-Za-z.-]{1,32}$/;

/**
 * Diversion header fields for `diversions` (oldest first) with the forwarding numbers as
 * `present` shows them (a carrier's DIDs) at `host`. Numbers no URI carries as they are are
 * left out.
 */
export function diversionHeaders(
  diversions: readonly Diversion[],
  host: string,
  present: (number: string) => string = (number) => number,
): [string, string][] {
  const headers: [string, string][] = [];
  for (let index = diversions.length - 1; index >= 0; index--) {
    const diversion = diversions[index] as Diversion;
    const number = present(diversion.from).replaceAll('#', '%23');
    if (!NUMBER.test(number.replaceAll('%23', '#'))) continue;
    headers.push(['Diversion', `<sip:${number}@${host}>;reason=${REASONS[diversion.reason]};counter=1`]);
  }
  return headers;
}
