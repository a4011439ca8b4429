/**
 * The INVITE of a call leaving over a trunk, and what follows a failed attempt: the carrier's
 * digest challenge answered with the trunk's credentials (RFC 3261 §22.2), and `retry invite`
 * after a carrier that did not answer at all. Every attempt keeps the Call-ID and From tag and
 * takes the next CSeq (RFC 3261 §22.2, §8.1.3.5).
 */
import type { Diversion, MediaDescription } from '../../../core/index.js';
import {
  authorizeRequest,
  createRequest,
  DigestNonceCounter,
  type Endpoint,
  generateCallId,
  generateTag,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type Uri,
} from '../../../sip/index.js';
import { NOTIFY_MAX_DURATION_MS } from '../../media/index.js';
import type { Dial, DialAttempt } from '../../sip-common/index.js';
import { bodyOf, diversionHeaders } from '../../sip-common/index.js';
import { type ResolvedTrunkConfig, TRUNK_DEFAULTS } from '../trunk-config.js';
import { notifyRelayHeader } from './notify-relay.js';
import type { OutgoingNumbers } from './trunk-reach.js';

export interface CarrierDialInput {
  readonly stack: Pick<SipStack, 'contact'>;
  readonly trunk: ResolvedTrunkConfig;
  readonly numbers: OutgoingNumbers;
  readonly callingName: string | undefined;
  readonly media: MediaDescription | undefined;
  /** Send P-Asserted-Identity (RFC 3325 §9.1) with the presented number. */
  readonly assertedIdentity: boolean;
  /** The carrier's server in service now (it may change between attempts). */
  readonly target: () => Endpoint | undefined;
  /** The forwards of a forwarded call, with how the carrier sees the forwarding numbers (RFC 5806). */
  readonly diversions?: { readonly list: readonly Diversion[]; readonly present: (number: string) => string };
  /** Announce Cisco NOTIFY DTMF relay (Call-Info) from our Contact. */
  readonly notifyRelay?: boolean;
}

/**
 * The host of our URIs toward the carrier: its registrar's domain with `host-registrar`
 * (R-TRUNK-11, the address-of-record host), else our own address.
 */
export function carrierFacingHost(trunk: ResolvedTrunkConfig, ownHost: string): string {
  return trunk.config.hostRegistrar ? (trunk.registrar?.uri.host ?? trunk.proxy.host) : ownHost;
}

/** Challenges answered in one call: a stale nonce (RFC 7616 §3.3) may come once after the first. */
const MAX_CHALLENGES = 2;

/** Undefined when the carrier has no server in service. Throws TypeError for numbers no URI can carry. */
export function carrierDial(input: CarrierDialInput): Dial | undefined {
  const firstTarget = input.target();
  if (firstTarget === undefined) return undefined;
  const { trunk, numbers } = input;
  const proxy = trunk.config;
  const retries = proxy.inviteRetries ?? TRUNK_DEFAULTS.inviteRetries;
  const credentials = trunk.credentials;
  const counter = new DigestNonceCounter(4);
  const callId = generateCallId();
  const fromTag = generateTag();
  const requestUri: Uri = {
    ...trunk.proxy,
    user: numbers.called,
    params: { ...trunk.proxy.params },
    headers: {},
  };
  const toUri: Uri = {
    scheme: trunk.proxy.scheme,
    user: numbers.called,
    host: trunk.proxy.host,
    params: {},
    headers: {},
  };
  let challenges = 0;
  let retried = 0;
  let lastChallenge: SipResponse | undefined;

  const build = (cseq: number, target: Endpoint, authorization: [string, string][]): DialAttempt => {
    const contact = input.stack.contact(
      target.protocol,
      numbers.calling === '' ? undefined : numbers.calling,
    );
    const host = carrierFacingHost(trunk, contact.uri.host);
    const identity: Uri = { scheme: 'sip', user: numbers.calling, host, params: {}, headers: {} };
    const from: NameAddr = {
      ...(input.callingName === undefined ? {} : { displayName: input.callingName }),
      uri: identity,
      params: { tag: fromTag },
    };
    const headers: [string, string][] = [];
    if (input.assertedIdentity && numbers.calling !== '')
      headers.push(['P-Asserted-Identity', `<sip:${numbers.calling}@${host}>`]);
    if (input.diversions)
      headers.push(...diversionHeaders(input.diversions.list, host, input.diversions.present));
    if (input.notifyRelay) headers.push(notifyRelayHeader(contact, NOTIFY_MAX_DURATION_MS));
    headers.push(...authorization);
    const invite = createRequest({
      method: 'INVITE',
      uri: requestUri,
      from,
      to: { uri: toUri, params: {} },
      callId,
      cseq,
      maxForwards: numbers.maxForwards,
      contact,
      headers,
      ...bodyOf(input.media),
    });
    return { invite, target };
  };

  /** Credentials for the last challenge, each time with the next nonce count (RFC 7616 §3.4). */
  const authorize = (request: SipRequest): [string, string][] | undefined => {
    if (lastChallenge === undefined || credentials === undefined) return [];
    const answer = authorizeRequest({
      response: lastChallenge,
      request,
      account: (realm) =>
        credentials.realm !== undefined && credentials.realm !== realm
          ? undefined
          : { username: credentials.authUsername ?? credentials.username, password: credentials.password },
      counter,
    });
    return answer.ok
      ? answer.value.values.map((value): [string, string] => [answer.value.name, value])
      : undefined;
  };

  return {
    first: build(1, firstTarget, []),
    followFlow: false,
    next(failed: DialAttempt, response: SipResponse): DialAttempt | undefined {
      const seq = failed.invite.cseq.seq + 1;
      if (response.status === 401 || response.status === 407) {
        if (credentials === undefined || challenges >= MAX_CHALLENGES) return undefined;
        // Refused again without a stale nonce: the password is wrong, asking again will not help.
        if (challenges > 0 && !isStale(response)) return undefined;
        challenges++;
        lastChallenge = response;
        const fields = authorize(failed.invite);
        return fields === undefined ? undefined : build(seq, failed.target, fields);
      }
      // `retry invite`: a carrier that said nothing at all is asked again, on its current server.
      if (response.status === 408 && retried < retries) {
        retried++;
        return build(seq, input.target() ?? failed.target, authorize(failed.invite) ?? []);
      }
      return undefined;
    },
  };
}

function isStale(response: SipResponse): boolean {
  const name = response.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return response.headers.getAll(name).some((value) => /\bstale\s*=\s*"?true"?/i.test(value));
}
