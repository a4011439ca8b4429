/**
 * What the INVITE and non-INVITE server transactions share (RFC 3261 §17.2): sending responses
 * where RFC 3261 §18.2.2 says, remembering the last one for retransmissions, and terminating on
 * transport failure (RFC 3261 §17.2.4).
 *
 * Memory: a UDP server transaction outlives its final response by 64*T1 (timer J, RFC 3261
 * §17.2.2) only to answer retransmitted requests with that response again. From the final
 * response on it keeps what that takes and nothing more: the response as bytes with its
 * destination (a PreparedResponse), its table keys and its method. The request, the response
 * object and, for non-INVITE, the ReceiveInfo are dropped (see `finalSent`).
 */
import type { SipRequest, SipResponse, Uri, Via } from '../message/types.js';
import type { PreparedResponse, ReceiveInfo } from '../transport/types.js';
import { invokeUser, isReliable, type TransactionContext } from './context.js';
import { dialogRequestKey, toTagOf } from './keys.js';
import { TransactionBase } from './transaction-base.js';
import type { ServerTransaction, ServerTransactionState } from './types.js';

export interface ServerHooks {
  /** The transaction reached Terminated: forget it. */
  terminated(transaction: ServerTransactionBase<ServerTransactionState>): void;
  /** The transaction let go of its request (final response sent, or Terminated before one). */
  released(): void;
  /** An ACK the TU must see (RFC 6026 §7.1: ACKs matched in the Accepted state). */
  ackToUser(ack: SipRequest, info: ReceiveInfo): void;
  /**
   * A final response sent over UDP by a transaction that ends with it (RFC 3261 §8.2.7): the
   * layer may replay it to a retransmission of the request for a while.
   */
  answeredStatelessly(key: string, answer: PreparedResponse): void;
}

/** What RFC 2543 matching (RFC 3261 §17.2.3) compares, kept for requests without a magic-cookie branch. */
export interface Rfc2543Identity {
  readonly topVia: Via;
  readonly uri: Uri;
  readonly toTag: string | undefined;
}

export abstract class ServerTransactionBase<S extends ServerTransactionState>
  extends TransactionBase
  implements ServerTransaction
{
  protected current: S;
  protected readonly reliable: boolean;
  readonly method: string;
  /** Call-ID, From tag and CSeq number: the table's second index (INVITEs and RFC 2543 requests only). */
  readonly dialogRequest: string | undefined;
  readonly rfc2543: Rfc2543Identity | undefined;
  /** The request, until the final response: the TU has it, and retransmissions need only the bytes. */
  protected request: SipRequest | undefined;
  protected info: ReceiveInfo | undefined;
  /** The last response sent: replayed on request retransmissions. */
  protected lastSent: PreparedResponse | undefined;
  private transportErrorHandler: ((error: Error) => void) | undefined;

  constructor(
    context: TransactionContext,
    protected readonly hooks: ServerHooks,
    request: SipRequest,
    info: ReceiveInfo,
    /** The table key (RFC 3261 §17.2.3), undefined for a request matched only by the RFC 2543 rules. */
    readonly key: string | undefined,
    initial: S,
  ) {
    super(context);
    this.current = initial;
    this.reliable = isReliable(info.source.protocol);
    this.method = request.method;
    this.request = request;
    this.info = info;
    const legacy = key === undefined;
    this.dialogRequest = legacy || request.method === 'INVITE' ? dialogRequestKey(request) : undefined;
    const topVia = request.via[0];
    this.rfc2543 =
      legacy && topVia !== undefined ? { topVia, uri: request.uri, toTag: toTagOf(request) } : undefined;
  }

  get state(): S {
    return this.current;
  }

  abstract respond(response: SipResponse): boolean;

  /** A retransmission of the request, or (INVITE) the ACK, matched this transaction. */
  abstract receiveRequest(request: SipRequest, info: ReceiveInfo): void;

  protected abstract stopTimers(): void;

  onCancel(_handler: (cancel: SipRequest, info: ReceiveInfo) => void): void {}

  onTimeout(_handler: () => void): void {}

  onTransportError(handler: (error: Error) => void): void {
    this.transportErrorHandler = handler;
  }

  expire(): void {
    this.terminate();
  }

  /** Sends a response and keeps its bytes for retransmissions. */
  protected transmit(response: SipResponse): void {
    const prepared = this.prepare(response);
    if (prepared === undefined) return;
    this.lastSent = prepared;
    this.sendPrepared(prepared, response);
  }

  /** Sends a response that no retransmitted request will be answered with. */
  protected transmitOnce(response: SipResponse): void {
    const prepared = this.prepare(response);
    if (prepared !== undefined) this.sendPrepared(prepared, response);
  }

  private prepare(response: SipResponse): PreparedResponse | undefined {
    const info = this.info;
    if (info === undefined) return undefined; // no response follows the final one, but for an INVITE's 2xx (which keeps info)
    try {
      return this.context.transport.prepareResponse(response, info);
    } catch (error) {
      // Reported like a failed send: after the caller has finished moving the state machine.
      queueMicrotask(() => this.sendFailed(error));
      return undefined;
    }
  }

  private sendPrepared(prepared: PreparedResponse, response?: SipResponse): void {
    // A callback per send, gone with it, rather than one the transaction keeps for 64*T1.
    this.context.transport.transmitPrepared(prepared, response, (error) => {
      if (error !== undefined) this.sendFailed(error);
    });
  }

  /** Replays the last response, byte for byte, for a retransmitted request. */
  protected retransmit(): void {
    const prepared = this.lastSent;
    if (prepared !== undefined) this.sendPrepared(prepared);
  }

  /** The final response went out: let go of what only the TU and the first send needed. */
  protected finalSent(keepInfo: boolean): void {
    this.release();
    if (!keepInfo) this.info = undefined;
  }

  protected terminate(): void {
    if (this.current === 'terminated') return;
    this.stopTimers();
    this.current = 'terminated' as S;
    this.release();
    // The TU may hold the transaction for as long as its call lasts: nothing is sent any more.
    this.lastSent = undefined;
    this.info = undefined;
    this.transportErrorHandler = undefined;
    this.hooks.terminated(this);
  }

  /** Ends the transaction without a word to anyone: the layer is closing. */
  abandon(): void {
    this.stopTimers();
    this.current = 'terminated' as S;
    this.request = undefined;
  }

  private release(): void {
    if (this.request === undefined) return;
    this.request = undefined;
    this.hooks.released();
  }

  private sendFailed(reason: unknown): void {
    if (this.current === 'terminated') return;
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.context.logger.debug(
      { key: this.key, method: this.method, err: error },
      'server transaction transport failure',
    );
    const handler = this.transportErrorHandler;
    this.terminate();
    invokeUser(this.context.logger, 'server-transport-error', handler, error);
  }
}
