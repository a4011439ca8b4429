/**
 * Public contract of the transaction layer (RFC 3261 §17, amended by RFC 6026). The layer sits
 * on a TransportLayer and hands requests, ACKs for 2xx and responses to the transaction user
 * (the dialog layer or a stateless core).
 */
import type { Clock } from '../clock.js';
import type { SipLogger } from '../logger.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Endpoint, ReceiveInfo, SendOptions, TransportLayer } from '../transport/types.js';

/** RFC 3261 §17.1.1 (Figure 5) plus the Accepted state of RFC 6026 §7.2. */
export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';
/** RFC 3261 §17.1.2 (Figure 6). */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';
/** RFC 3261 §17.2.1 (Figure 7) plus the Accepted state of RFC 6026 §7.1. */
export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
/** RFC 3261 §17.2.2 (Figure 8). */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export type ClientTransactionState = InviteClientState | NonInviteClientState;
export type ServerTransactionState = InviteServerState | NonInviteServerState;

/** Timer base values in milliseconds (RFC 3261 §17.1.1.1, Table 4). */
export interface TransactionTimers {
  /** RTT estimate; retransmission base and 64*T1 transaction timeouts. Default 500. */
  T1: number;
  /** Cap on non-INVITE request and INVITE final response retransmission intervals. Default 4000. */
  T2: number;
  /** Maximum time a message stays in the network. Default 5000. */
  T4: number;
  /**
   * Delay after which an INVITE server transaction sends 100 Trying itself when the TU has not
   * responded (RFC 3261 §17.2.1 asks for it within 200 ms). Default 200.
   */
  trying: number;
}

/**
 * Bounds on server transactions: at either, new requests are refused statelessly with 503 and
 * Retry-After (RFC 3261 §21.5.4), so that a flood cannot grow memory without bound.
 *
 * The memory behind them: a transaction costs what its request costs (a few KB parsed) until
 * the TU sends the final response; from then on it holds that response's bytes and its keys
 * only, about 0.9 KB (0.55 KB of heap, the bytes outside it), and over UDP it stays 64*T1
 * (32 s) to answer retransmissions (RFC 3261 §17.2.2). Sustained non-INVITE load over UDP is
 * therefore bounded by maxServerTransactions / 32 s, and the memory at the bounds by about
 * maxServerTransactions * 0.9 KB + maxPendingServerTransactions * the size of a request.
 */
export interface TransactionLimits {
  /**
   * Live server transactions, answered or not. Default 1 000 000: 31 000 non-INVITE requests
   * per second sustained over UDP, about 0.9 GB when all of them are answered.
   */
  maxServerTransactions: number;
  /**
   * Server transactions still waiting for the TU's final response, each holding its request.
   * Default 50 000: three seconds of a TU's answering time at 15 000 requests per second,
   * some hundreds of MB at most.
   */
  maxPendingServerTransactions: number;
}

export interface TransactionLayerOptions {
  transport: TransportLayer;
  clock: Clock;
  logger: SipLogger;
  timers?: Partial<TransactionTimers>;
  limits?: Partial<TransactionLimits>;
}

/**
 * What the TU hears from a client transaction. Every transaction ends with exactly one final
 * response through `onResponse` (an INVITE may add forked 2xx after it, RFC 6026 §8.4): a
 * timeout (timer B/F) arrives as a synthesized 408 (RFC 3261 §17.1.1.2, §17.1.2.2) and a
 * transport failure as a synthesized 503 (RFC 3261 §8.1.3.1). Synthesized responses come without
 * ReceiveInfo; `onTimeout` / `onTransportError`, when given, are called just before them.
 */
/** Called as methods of the object given (`this` is that object), each inside a guard against throws. */
export interface ClientTransactionHandlers {
  onResponse(response: SipResponse, info: ReceiveInfo | undefined): void;
  onTimeout?(): void;
  onTransportError?(error: Error): void;
  /** The transaction reached Terminated and was forgotten. */
  onTerminated?(): void;
}

export interface ClientTransaction {
  /**
   * The request, until its final response reached the TU: an INVITE transaction lives 64*T1
   * longer (RFC 6026 §8.4) only to pass forked 2xx on, and keeps no copy of the request for it.
   */
  readonly request: SipRequest | undefined;
  readonly target: Endpoint;
  /** The branch of the top Via, the transaction id (RFC 3261 §17.1.3). */
  readonly branch: string;
  readonly state: ClientTransactionState;
  /**
   * INVITE only (RFC 3261 §9.1): sends a CANCEL as its own non-INVITE client transaction with the
   * same branch once a provisional response has been received (deferred until then), and does
   * nothing once a final response has been received. `handlers` observe the CANCEL's own
   * transaction; the INVITE's outcome (normally 487) still arrives through the INVITE's handlers.
   * Returns false when there is nothing left to cancel.
   */
  cancel(handlers?: ClientTransactionHandlers): boolean;
}

/**
 * A server transaction as its TU sees it. The request and its ReceiveInfo are the request
 * handler's arguments: the transaction itself lets go of them once its final response is sent
 * and keeps only that response's bytes to answer retransmissions (a UDP transaction lives
 * 64*T1 more, and holding the messages that long is most of a server's memory under load).
 */
export interface ServerTransaction {
  readonly method: string;
  readonly state: ServerTransactionState;
  /**
   * Sends a response within the transaction. Ignored (returns false) where the state machine
   * does not allow it, e.g. a second final response, or anything once Terminated. For INVITE,
   * 2xx retransmissions by the TU are passed on while Accepted (RFC 6026 §7.1).
   */
  respond(response: SipResponse): boolean;
  /**
   * INVITE only: called when a CANCEL matched this transaction before it sent a final response
   * (RFC 3261 §9.2). The layer has already answered the CANCEL with 200; when the handler returns
   * without the TU having sent a final response, the layer answers 487 Request Terminated.
   */
  onCancel(handler: (cancel: SipRequest, info: ReceiveInfo) => void): void;
  /** INVITE only: timer H fired, the ACK for a non-2xx final response never came (RFC 3261 §17.2.1). */
  onTimeout(handler: () => void): void;
  /** A response could not be sent; the transaction has terminated (RFC 3261 §17.2.4). */
  onTransportError(handler: (error: Error) => void): void;
}

export type RequestHandler = (request: SipRequest, transaction: ServerTransaction, info: ReceiveInfo) => void;

export interface TransactionStats {
  inviteClient: number;
  nonInviteClient: number;
  inviteServer: number;
  nonInviteServer: number;
  /** Server transactions (of both kinds) the TU has not answered with a final response yet. */
  pendingServer: number;
}

export interface TransactionLayer {
  /** New requests (never retransmissions, ACKs or CANCELs; CANCEL reaches the TU through `onCancel`). */
  onRequest(handler: RequestHandler): void;
  /**
   * ACKs that match no transaction, i.e. ACKs for 2xx which are their own transaction
   * (RFC 3261 §17.2.3 / §13.3.1.4), and ACKs matched by an INVITE server transaction in the
   * Accepted state (RFC 6026 §7.1).
   */
  onAck(handler: (ack: SipRequest, info: ReceiveInfo) => void): void;
  /**
   * Responses that match no client transaction (RFC 3261 §17.1.3), e.g. retransmitted or forked
   * 2xx after timer M, for the dialog layer.
   */
  onStrayResponse(handler: (response: SipResponse, info: ReceiveInfo) => void): void;
  /**
   * Starts a client transaction. Adds a top Via (sent-by from the transport, a fresh
   * `z9hG4bK` branch, rport) when the request has none, or a branch when the top Via lacks one.
   * Throws TypeError for ACK: an ACK for 2xx is sent with `sendAck`.
   */
  sendRequest(
    request: SipRequest,
    target: Endpoint,
    handlers: ClientTransactionHandlers,
    options?: SendOptions,
  ): ClientTransaction;
  /** Sends an ACK for a 2xx outside any transaction (RFC 3261 §13.2.2.4), adding a top Via when it has none. */
  sendAck(ack: SipRequest, target: Endpoint, options?: SendOptions): Promise<void>;
  stats(): TransactionStats;
  /** Stops every timer and forgets every transaction without notifying anyone. */
  close(): void;
}
