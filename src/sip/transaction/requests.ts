/** The messages the transaction layer writes itself: ACK for non-2xx, CANCEL, synthesized responses, the top Via. */
import {
  createRequest,
  createResponse,
  formatVia,
  generateBranch,
  generateTag,
  type HeaderList,
} from '../message/index.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { TransportLayer, TransportProtocol } from '../transport/types.js';

/** RFC 3261 §8.1.1.6. */
const MAX_FORWARDS = 70;

export function newToTag(): string {
  return generateTag();
}

/**
 * A response the layer answers with or reports to the TU (100, 408, 481, 487, 500, 503).
 * `toTag` is used when the request's To has none (RFC 3261 §8.2.6.2); a random one otherwise.
 */
export function synthesizeResponse(
  request: SipRequest,
  status: number,
  reason: string,
  toTag?: string,
): SipResponse {
  return createResponse(request, status, reason, toTag === undefined ? {} : { toTag });
}

/**
 * RFC 3261 §17.1.1.3: the ACK for a non-2xx final response: Request-URI, Call-ID, From, CSeq
 * number and the single Via of the INVITE (so the same branch), To of the response, the INVITE's
 * Route header fields.
 */
export function buildAckForFinal(invite: SipRequest, response: SipResponse): SipRequest {
  return createRequest({
    method: 'ACK',
    uri: invite.uri,
    from: invite.from,
    to: response.to,
    callId: invite.callId,
    cseq: { seq: invite.cseq.seq, method: 'ACK' },
    via: invite.via.slice(0, 1),
    maxForwards: MAX_FORWARDS,
    headers: routeOf(invite),
  });
}

/**
 * RFC 3261 §9.1: the CANCEL: Request-URI, Call-ID, From, To, CSeq number and the single top Via
 * of the request it cancels (the same branch), its Route header fields, CSeq method CANCEL.
 */
export function buildCancel(request: SipRequest): SipRequest {
  return createRequest({
    method: 'CANCEL',
    uri: request.uri,
    from: request.from,
    to: request.to,
    callId: request.callId,
    cseq: { seq: request.cseq.seq, method: 'CANCEL' },
    via: request.via.slice(0, 1),
    maxForwards: MAX_FORWARDS,
    headers: routeOf(request),
  });
}

function routeOf(request: SipRequest): HeaderList {
  return request.headers.getAll('Route').map((value) => ['Route', value] as const);
}

/**
 * Gives a request the top Via of RFC 3261 §8.1.1.7 when it has none (sent-by from the transport,
 * a fresh branch with the magic cookie, rport per RFC 3581 §3), or a branch when its top Via lacks
 * one. Returns the branch of the top Via: the Via just written need not be parsed back for it.
 */
export function ensureTopVia(
  request: SipRequest,
  protocol: TransportProtocol,
  transport: TransportLayer,
): string {
  const top = request.via[0];
  if (top?.branch !== undefined) return top.branch;
  const branch = generateBranch();
  if (top !== undefined) {
    request.headers.removeFirst('Via');
    request.headers.prepend('Via', formatVia({ ...top, branch }));
    return branch;
  }
  const sentBy = transport.viaSentBy(protocol);
  request.headers.prepend(
    'Via',
    formatVia({
      protocol: 'SIP/2.0',
      transport: protocol,
      host: sentBy.host,
      port: sentBy.port,
      params: {},
      branch,
      rport: true,
    }),
  );
  return branch;
}
