/**
 * The live server transactions and the matching of RFC 3261 §17.2.3: by branch, sent-by and
 * method; by the RFC 2543 rules for branches without the magic cookie; and, for ACK only, by
 * Call-ID, From tag and CSeq number against an INVITE in Completed, because some Cisco phones
 * ACK a 487 with a fresh branch.
 */
import type { SipRequest, Via } from '../message/types.js';
import type { PreparedResponse } from '../transport/types.js';
import { dialogRequestKey, sameUri, sameVia, serverKey, toTagOf } from './keys.js';
import { InviteServerTransaction } from './server-invite.js';
import type { ServerTransactionBase } from './server-transaction.js';
import type { ServerTransactionState } from './types.js';

export type AnyServerTransaction = ServerTransactionBase<ServerTransactionState>;

/**
 * Candidates kept per Call-ID/From tag/CSeq number. Legitimate traffic has one or two (a forking
 * proxy may bring a few); a cap keeps a flood of identical triples from turning every lookup
 * into a long scan.
 */
const MAX_PER_DIALOG_REQUEST = 8;

/**
 * Final responses sent statelessly (RFC 3261 §8.2.7) remembered at once, for retransmissions.
 * A UDP client retransmits after T1 and 3*T1 (RFC 3261 §17.1.2.2): at a few thousand answers a
 * second this covers the first retransmissions, in a few MB at most, where a Completed
 * transaction per answer would be kept 64*T1.
 */
const STATELESS_ANSWERS_KEPT = 4096;

/** The last stateless answers by server key, oldest dropped first. */
class RecentAnswers {
  private readonly byKey = new Map<string, PreparedResponse>();
  /** The keys in a ring, oldest at `next` once full: eviction without walking the map. */
  private readonly keys: (string | undefined)[] = new Array<string | undefined>(STATELESS_ANSWERS_KEPT).fill(
    undefined,
  );
  private next = 0;

  get(key: string): PreparedResponse | undefined {
    return this.byKey.size === 0 ? undefined : this.byKey.get(key);
  }

  add(key: string, answer: PreparedResponse): void {
    const oldest = this.keys[this.next];
    if (oldest !== undefined) this.byKey.delete(oldest);
    this.byKey.set(key, answer);
    this.keys[this.next] = key;
    this.next = (this.next + 1) % STATELESS_ANSWERS_KEPT;
  }

  clear(): void {
    this.byKey.clear();
    this.keys.fill(undefined);
    this.next = 0;
  }
}

export class ServerTransactionTable {
  private readonly byKey = new Map<string, AnyServerTransaction>();
  private readonly byDialogRequest = new Map<string, AnyServerTransaction[]>();
  private readonly statelessAnswers = new RecentAnswers();
  private inviteCount = 0;
  private nonInviteCount = 0;

  get size(): number {
    return this.inviteCount + this.nonInviteCount;
  }

  get invites(): number {
    return this.inviteCount;
  }

  get nonInvites(): number {
    return this.nonInviteCount;
  }

  add(transaction: AnyServerTransaction): void {
    if (transaction.key !== undefined) this.byKey.set(transaction.key, transaction);
    const dialogKey = transaction.dialogRequest;
    if (dialogKey !== undefined) {
      const list = this.byDialogRequest.get(dialogKey);
      if (list === undefined) this.byDialogRequest.set(dialogKey, [transaction]);
      else if (list.length < MAX_PER_DIALOG_REQUEST) list.push(transaction);
    }
    if (transaction.method === 'INVITE') this.inviteCount++;
    else this.nonInviteCount++;
  }

  remove(transaction: AnyServerTransaction): void {
    if (transaction.key !== undefined && this.byKey.get(transaction.key) === transaction) {
      this.byKey.delete(transaction.key);
    }
    const dialogKey = transaction.dialogRequest;
    const list = dialogKey === undefined ? undefined : this.byDialogRequest.get(dialogKey);
    if (dialogKey !== undefined && list !== undefined) {
      const index = list.indexOf(transaction);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.byDialogRequest.delete(dialogKey);
    }
    if (transaction.method === 'INVITE') this.inviteCount--;
    else this.nonInviteCount--;
  }

  /**
   * The transaction a received request (retransmission or ACK) belongs to; `key` is its
   * `serverKey`, which the caller keeps for a new transaction when nothing matches.
   */
  match(request: SipRequest, topVia: Via, key: string | undefined): AnyServerTransaction | undefined {
    const found =
      key !== undefined
        ? this.byKey.get(key)
        : this.matchRfc2543(request, topVia, request.method === 'ACK' ? 'INVITE' : request.method);
    if (found !== undefined || request.method !== 'ACK') return found;
    return this.matchAckByDialogRequest(request);
  }

  /** Remembers a final response sent statelessly under its transaction's key (see RecentAnswers). */
  answeredStatelessly(key: string, answer: PreparedResponse): void {
    this.statelessAnswers.add(key, answer);
  }

  /** The stateless answer to replay to a request with this server key, while it is remembered. */
  statelessAnswer(key: string): PreparedResponse | undefined {
    return this.statelessAnswers.get(key);
  }

  /** RFC 3261 §9.2: the INVITE a CANCEL cancels matches like the CANCEL would, except for the method. */
  matchCancelled(cancel: SipRequest, topVia: Via): InviteServerTransaction | undefined {
    const key = serverKey(topVia, 'INVITE');
    const found = key !== undefined ? this.byKey.get(key) : this.matchRfc2543(cancel, topVia, 'INVITE');
    return found instanceof InviteServerTransaction ? found : undefined;
  }

  /** Every live transaction, for shutting down. */
  all(): AnyServerTransaction[] {
    const seen = new Set<AnyServerTransaction>(this.byKey.values());
    for (const list of this.byDialogRequest.values()) for (const transaction of list) seen.add(transaction);
    return [...seen];
  }

  clear(): void {
    this.byKey.clear();
    this.byDialogRequest.clear();
    this.statelessAnswers.clear();
    this.inviteCount = 0;
    this.nonInviteCount = 0;
  }

  /**
   * RFC 3261 §17.2.3 for RFC 2543 requests: same Request-URI, To tag, From tag, Call-ID, CSeq and
   * top Via; an ACK matches its INVITE when its To tag is the one the transaction answered with.
   */
  private matchRfc2543(request: SipRequest, topVia: Via, method: string): AnyServerTransaction | undefined {
    const candidates = this.byDialogRequest.get(dialogRequestKey(request));
    if (candidates === undefined) return undefined;
    const isAck = request.method === 'ACK';
    for (const candidate of candidates) {
      const original = candidate.rfc2543;
      if (original === undefined || candidate.method !== method) continue;
      if (!sameVia(original.topVia, topVia) || !sameUri(original.uri, request.uri)) continue;
      const expectedToTag = isAck ? answeredToTag(candidate) : original.toTag;
      if (toTagOf(request) === expectedToTag) return candidate;
    }
    return undefined;
  }

  private matchAckByDialogRequest(ack: SipRequest): AnyServerTransaction | undefined {
    const candidates = this.byDialogRequest.get(dialogRequestKey(ack));
    return candidates?.find((candidate) => candidate.method === 'INVITE' && candidate.state === 'completed');
  }
}

function answeredToTag(transaction: AnyServerTransaction): string | undefined {
  return transaction instanceof InviteServerTransaction ? transaction.toTag : undefined;
}
