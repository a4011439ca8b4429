/**
 * What the INVITE and non-INVITE server transactions share (RFC 3261 §17.2): sending responses
 * where RFC 3261 §18.2.2 says, remembering the last one for retransmissions, and terminating on
 * transport failure (RFC 3261 §17.2.4).
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { invokeUser, isReliable, type TransactionContext } from './context.js';
import type { ServerTransaction, ServerTransactionState } from './types.js';

export interface ServerHooks {
  /** The transaction reached Terminated: forget it. */
  terminated(transaction: ServerTransactionBase<ServerTransactionState>): void;
  /** An ACK the TU must see (RFC 6026 §7.1: ACKs matched in the Accepted state). */
  ackToUser(ack: SipRequest, info: ReceiveInfo): void;
}

export abstract class ServerTransactionBase<S extends ServerTransactionState> implements ServerTransaction {
  protected current: S;
  protected readonly reliable: boolean;
  /** The last response sent: replayed on request retransmissions. */
  protected lastResponse: SipResponse | undefined;
  private transportErrorHandler: ((error: Error) => void) | undefined;

  constructor(
    protected readonly context: TransactionContext,
    protected readonly hooks: ServerHooks,
    readonly request: SipRequest,
    readonly info: ReceiveInfo,
    /** The table key (RFC 3261 §17.2.3), undefined for a request matched only by the RFC 2543 rules. */
    readonly key: string | undefined,
    initial: S,
  ) {
    this.current = initial;
    this.reliable = isReliable(info.source.protocol);
  }

  get state(): S {
    return this.current;
  }

  get method(): string {
    return this.request.method;
  }

  /** The To tag this transaction answers with, once a response carried one. */
  get toTag(): string | undefined {
    const tag = this.lastResponse?.to.params.tag;
    return tag ?? undefined;
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

  protected transmit(response: SipResponse): void {
    this.lastResponse = response;
    this.context.transport.sendResponse(response, this.info).then(undefined, this.sendFailed);
  }

  /** Replays the last response, for a retransmitted request. */
  protected retransmit(): void {
    if (this.lastResponse !== undefined) this.transmit(this.lastResponse);
  }

  protected terminate(): void {
    if (this.current === 'terminated') return;
    this.stopTimers();
    this.current = 'terminated' as S;
    this.hooks.terminated(this);
  }

  /** Ends the transaction without a word to anyone: the layer is closing. */
  abandon(): void {
    this.stopTimers();
    this.current = 'terminated' as S;
  }

  private readonly sendFailed = (reason: unknown): void => {
    if (this.current === 'terminated') return;
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.context.logger.debug(
      { callId: this.request.callId, method: this.request.method, err: error },
      'server transaction transport failure',
    );
    this.terminate();
    invokeUser(this.context.logger, 'server-transport-error', this.transportErrorHandler, error);
  };
}
