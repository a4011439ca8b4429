/** Transaction identifiers and the comparisons of RFC 3261 §17.1.3 and §17.2.3. */
import { BRANCH_MAGIC_COOKIE } from '../message/index.js';
import type { SipRequest, Uri, Via } from '../message/types.js';

/**
 * RFC 3261 §17.2.3 / RFC 4475 §3.2.1: a branch identifies an RFC 3261 transaction only when it
 * starts with the magic cookie and has something after it; otherwise the RFC 2543 rules apply.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return (
    branch !== undefined &&
    branch.length > BRANCH_MAGIC_COOKIE.length &&
    branch.startsWith(BRANCH_MAGIC_COOKIE)
  );
}

/** RFC 3261 §17.1.3: a response matches by its top Via branch and its CSeq method. */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}\u0000${cseqMethod}`;
}

/**
 * RFC 3261 §17.2.3: branch, sent-by of the top Via and method, where ACK counts as INVITE.
 * Undefined when the branch lacks the magic cookie: such requests match by the RFC 2543 rules.
 */
export function serverKey(topVia: Via, method: string): string | undefined {
  if (!isRfc3261Branch(topVia.branch)) return undefined;
  const transactionMethod = method === 'ACK' ? 'INVITE' : method;
  return flatKey(topVia.branch, `${topVia.host.toLowerCase()}:${topVia.port ?? ''}`, transactionMethod);
}

/**
 * The part of the RFC 2543 matching rules (RFC 3261 §17.2.3, last paragraphs) that every
 * candidate shares: Call-ID, From tag and CSeq number. The same triple finds the INVITE a
 * Cisco phone ACKs with a fresh branch.
 */
export function dialogRequestKey(request: SipRequest): string {
  return flatKey(request.callId, request.from.params.tag ?? '', String(request.cseq.seq));
}

/**
 * Keys live as long as their transaction (64*T1 after the final response over UDP). Joined
 * from an array they are one flat string; a template literal would be a rope of slices that
 * keeps the whole header text of the request alive with it.
 */
function flatKey(...parts: string[]): string {
  return parts.join('\u0000');
}

export function toTagOf(request: SipRequest): string | undefined {
  return request.to.params.tag ?? undefined;
}

/** Top Via equality for RFC 2543 matching: transport, sent-by and any branch. */
export function sameVia(a: Via | undefined, b: Via | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return (
    a.transport === b.transport &&
    a.host.toLowerCase() === b.host.toLowerCase() &&
    a.port === b.port &&
    a.branch === b.branch
  );
}

/**
 * Request-URI equality for RFC 2543 matching, after RFC 3261 §19.1.4: scheme, host and parameter
 * names compare case-insensitively (the parser lower-cases them), user and password exactly.
 */
export function sameUri(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme || a.user !== b.user || a.password !== b.password) return false;
  if (a.host !== b.host || a.port !== b.port || a.opaque !== b.opaque) return false;
  return sameParams(a.params, b.params);
}

function sameParams(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) {
    if (!Object.hasOwn(b, name)) return false;
    const x = a[name];
    const y = b[name];
    if (x === y) continue;
    if (
      x === null ||
      y === null ||
      x === undefined ||
      y === undefined ||
      x.toLowerCase() !== y.toLowerCase()
    ) {
      return false;
    }
  }
  return true;
}
