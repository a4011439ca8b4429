/**
 * What the INVITE and non-INVITE client transactions share (RFC 3261 §17.1): sending through
 * the transport, reporting timeouts and transport failures as synthesized final responses, and
 * leaving the layer's table when Terminated.
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Endpoint, ReceiveInfo, SendOptions } from '../transport/types.js';
import { invokeHandler, isReliable, type TransactionContext } from './context.js';
import { synthesizeResponse } from './requests.js';
import { TransactionBase } from './transaction-base.js';
import type { ClientTransaction, ClientTransactionHandlers, ClientTransactionState } from './types.js';

export interface ClientHooks {
  /** The transaction reached Terminated: forget it. */
  terminated(transaction: ClientTransactionBase<ClientTransactionState>): void;
  /** Starts a CANCEL as its own non-INVITE client transaction (RFC 3261 §9.1), with the INVITE's branch. */
  startCancel(
    cancel: SipRequest,
    branch: string,
    target: Endpoint,
    handlers: ClientTransactionHandlers,
    options?: SendOptions,
  ): void;
}

export abstract class ClientTransactionBase<S extends ClientTransactionState>
  extends TransactionBase
  implements ClientTransaction
{
  protected current: S;
  protected readonly reliable: boolean;
  private finalDelivered = false;
  /**
   * The request, while it may still be retransmitted or answered by a synthesized response. An
   * INVITE transaction outlives its final response by 64*T1 (timer M, RFC 6026 §8.4) or timer D
   * only to match responses: it lets go of the request then, so that what it keeps is small.
   */
  protected sent: SipRequest | undefined;

  constructor(
    context: TransactionContext,
    protected readonly hooks: ClientHooks,
    request: SipRequest,
    readonly target: Endpoint,
    readonly branch: string,
    /** The table key: branch plus CSeq method (RFC 3261 §17.1.3). */
    readonly key: string,
    private readonly handlers: ClientTransactionHandlers,
    protected readonly options: SendOptions | undefined,
    initial: S,
  ) {
    super(context);
    this.current = initial;
    this.reliable = isReliable(target.protocol);
    this.sent = request;
  }

  /** The request until the TU has its final response; see `finalReceived`. */
  get request(): SipRequest | undefined {
    return this.sent;
  }

  get state(): S {
    return this.current;
  }

  /** Sends the request for the first time and arms the timers of the initial state. */
  abstract start(): void;

  /** A response whose top Via branch and CSeq method matched this transaction. */
  abstract receiveResponse(response: SipResponse, info: ReceiveInfo): void;

  /** Stops every timer of the state machine. */
  protected abstract stopTimers(): void;

  cancel(_handlers?: ClientTransactionHandlers): boolean {
    return false;
  }

  expire(): void {
    this.terminate();
  }

  /** Stops the state machine without a word to anyone: the layer is closing. */
  abandon(): void {
    this.stopTimers();
    this.current = 'terminated' as S;
  }

  /** The final response has reached the TU: nothing will be retransmitted or synthesized from the request. */
  protected finalReceived(): void {
    this.sent = undefined;
  }

  protected transmit(message: SipRequest): void {
    // A callback per send, gone with it, rather than one the transaction keeps for 64*T1.
    this.context.transport.transmit(message, this.target, this.options, (error) => {
      if (error !== undefined) this.sendFailed(error);
    });
  }

  protected deliver(response: SipResponse, info: ReceiveInfo | undefined): void {
    if (response.status >= 200) this.finalDelivered = true;
    const handlers = this.handlers;
    invokeHandler(this.context.logger, 'client-response', handlers, handlers.onResponse, response, info);
  }

  /** Timer B / F (or the CANCEL guard of RFC 3261 §9.1): a synthesized 408 ends the transaction. */
  protected timedOut(): void {
    invokeHandler(this.context.logger, 'client-timeout', this.handlers, this.handlers.onTimeout);
    const request = this.sent;
    if (request !== undefined) this.deliver(synthesizeResponse(request, 408, 'Request Timeout'), undefined);
    this.terminate();
  }

  protected terminate(): void {
    if (this.current === 'terminated') return;
    this.stopTimers();
    this.current = 'terminated' as S;
    this.hooks.terminated(this);
    invokeHandler(this.context.logger, 'client-terminated', this.handlers, this.handlers.onTerminated);
  }

  /**
   * RFC 3261 §17.1.4 / §8.1.3.1: a transport failure ends the transaction and reaches the TU as
   * a 503, unless the TU already has its final response (a failed ACK or retransmission then
   * only ends the transaction).
   */
  private sendFailed(error: Error): void {
    if (this.current === 'terminated') return;
    this.context.logger.debug(
      { callId: this.sent?.callId, branch: this.branch, err: error },
      'client transaction transport failure',
    );
    const request = this.sent;
    if (!this.finalDelivered && request !== undefined) {
      const handlers = this.handlers;
      invokeHandler(
        this.context.logger,
        'client-transport-error',
        handlers,
        handlers.onTransportError,
        error,
      );
      this.deliver(synthesizeResponse(request, 503, 'Service Unavailable'), undefined);
    }
    this.terminate();
  }
}
