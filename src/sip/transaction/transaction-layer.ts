/**
 * The transaction layer (RFC 3261 §17): owns the client and server transactions, matches what
 * the transport receives to them, and hands the rest to the transaction user.
 */
import { RateLimitedLog } from '../logger.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';
import type { Endpoint, ReceiveInfo, SendDone, SendOptions } from '../transport/types.js';
import { InviteClientTransaction } from './client-invite.js';
import { NonInviteClientTransaction } from './client-non-invite.js';
import type { ClientHooks, ClientTransactionBase } from './client-transaction.js';
import { invokeUser, type TransactionContext } from './context.js';
import { CleanupTimers } from './expiry-queue.js';
import { clientKey, serverKey } from './keys.js';
import { ensureTopVia, newToTag, synthesizeResponse } from './requests.js';
import { InviteServerTransaction } from './server-invite.js';
import { NonInviteServerTransaction } from './server-non-invite.js';
import { type AnyServerTransaction, ServerTransactionTable } from './server-table.js';
import type { ServerHooks } from './server-transaction.js';
import { resolveLimits, resolveTimers } from './timers.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  ClientTransactionState,
  RequestHandler,
  ServerTransaction,
  TransactionLayer,
  TransactionLayerOptions,
  TransactionLimits,
  TransactionStats,
} from './types.js';

type AnyClientTransaction = ClientTransactionBase<ClientTransactionState>;

/** Seconds a client refused for overload is asked to wait (RFC 3261 §20.33). */
const OVERLOAD_RETRY_AFTER_SECONDS = 5;

export function createTransactionLayer(options: TransactionLayerOptions): TransactionLayer {
  return new DefaultTransactionLayer(options);
}

/**
 * Sends a final response to a non-INVITE request as a stateless UAS would (RFC 3261 §8.2.7):
 * the transaction ends with it, keeping nothing for 64*T1. A retransmission that comes soon
 * gets the same bytes again (see ServerTransactionTable.answeredStatelessly); a later one
 * reaches the TU again. For answers the TU can give again at will, such as a digest challenge.
 * Any other response, or one in an INVITE transaction, is sent in the transaction as `respond`
 * sends it.
 */
export function respondStatelessly(transaction: ServerTransaction, response: SipResponse): boolean {
  return transaction instanceof NonInviteServerTransaction
    ? transaction.respondStatelessly(response)
    : transaction.respond(response);
}

class DefaultTransactionLayer implements TransactionLayer {
  private readonly context: TransactionContext;
  private readonly limits: TransactionLimits;
  private readonly warnings: RateLimitedLog;
  private readonly clients = new Map<string, AnyClientTransaction>();
  private inviteClients = 0;
  private readonly servers = new ServerTransactionTable();
  private requestHandler: RequestHandler | undefined;
  private ackHandler: ((ack: SipRequest, info: ReceiveInfo) => void) | undefined;
  private strayHandler: ((response: SipResponse, info: ReceiveInfo) => void) | undefined;
  private closed = false;

  private readonly clientHooks: ClientHooks = {
    terminated: (transaction) => this.forgetClient(transaction),
    startCancel: (cancel, branch, target, handlers, options) => {
      if (!this.closed) this.startClient(cancel, branch, target, handlers, options);
    },
  };

  /** Server transactions still holding their request: see TransactionLimits. */
  private pendingServers = 0;

  private readonly serverHooks: ServerHooks = {
    terminated: (transaction) => this.servers.remove(transaction),
    released: () => this.pendingServers--,
    ackToUser: (ack, info) => this.deliverAck(ack, info),
    answeredStatelessly: (key, answer) => this.servers.answeredStatelessly(key, answer),
  };

  private readonly replayed: SendDone = (error) => {
    if (error !== undefined) this.context.logger.debug({ err: error }, 'could not replay a stateless answer');
  };

  constructor(options: TransactionLayerOptions) {
    this.context = {
      transport: options.transport,
      clock: options.clock,
      logger: options.logger,
      timers: resolveTimers(options.timers),
      cleanup: new CleanupTimers(options.clock),
    };
    this.limits = resolveLimits(options.limits);
    this.warnings = new RateLimitedLog(options.logger, () => options.clock.now());
    options.transport.onMessage((message, info) => this.receive(message, info));
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  onAck(handler: (ack: SipRequest, info: ReceiveInfo) => void): void {
    this.ackHandler = handler;
  }

  onStrayResponse(handler: (response: SipResponse, info: ReceiveInfo) => void): void {
    this.strayHandler = handler;
  }

  sendRequest(
    request: SipRequest,
    target: Endpoint,
    handlers: ClientTransactionHandlers,
    options?: SendOptions,
  ): ClientTransaction {
    if (this.closed) throw new Error('the transaction layer is closed');
    // RFC 3261 §17.1.1.3 / §13.2.2.4: an ACK is never a client transaction of its own.
    if (request.method === 'ACK') throw new TypeError('an ACK for 2xx is sent with sendAck, not sendRequest');
    const branch = ensureTopVia(request, target.protocol, this.context.transport);
    return this.startClient(request, branch, target, handlers, options);
  }

  sendAck(ack: SipRequest, target: Endpoint, options?: SendOptions): Promise<void> {
    ensureTopVia(ack, target.protocol, this.context.transport);
    return this.context.transport.send(ack, target, options);
  }

  stats(): TransactionStats {
    return {
      inviteClient: this.inviteClients,
      nonInviteClient: this.clients.size - this.inviteClients,
      inviteServer: this.servers.invites,
      nonInviteServer: this.servers.nonInvites,
      pendingServer: this.pendingServers,
    };
  }

  close(): void {
    this.closed = true;
    for (const transaction of this.clients.values()) transaction.abandon();
    for (const transaction of this.servers.all()) transaction.abandon();
    this.context.cleanup.clear();
    this.clients.clear();
    this.inviteClients = 0;
    this.servers.clear();
    this.pendingServers = 0;
  }

  private startClient(
    request: SipRequest,
    branch: string,
    target: Endpoint,
    handlers: ClientTransactionHandlers,
    options: SendOptions | undefined,
  ): AnyClientTransaction {
    const key = clientKey(branch, request.cseq.method);
    if (this.clients.has(key)) throw new Error(`a client transaction already uses branch ${branch}`);
    const transaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(
            this.context,
            this.clientHooks,
            request,
            target,
            branch,
            key,
            handlers,
            options,
            'calling',
          )
        : new NonInviteClientTransaction(
            this.context,
            this.clientHooks,
            request,
            target,
            branch,
            key,
            handlers,
            options,
            'trying',
          );
    this.clients.set(key, transaction);
    if (transaction instanceof InviteClientTransaction) this.inviteClients++;
    transaction.start();
    return transaction;
  }

  private forgetClient(transaction: AnyClientTransaction): void {
    if (this.clients.get(transaction.key) !== transaction) return;
    this.clients.delete(transaction.key);
    if (transaction instanceof InviteClientTransaction) this.inviteClients--;
  }

  private receive(message: SipMessage, info: ReceiveInfo): void {
    if (this.closed) return;
    if (message.kind === 'request') this.receiveRequest(message, info);
    else this.receiveResponse(message, info);
  }

  /** RFC 3261 §17.1.3: top Via branch and CSeq method; no match goes to the core as a stray. */
  private receiveResponse(response: SipResponse, info: ReceiveInfo): void {
    const branch = response.via[0]?.branch;
    const transaction =
      branch === undefined ? undefined : this.clients.get(clientKey(branch, response.cseq.method));
    if (transaction !== undefined) transaction.receiveResponse(response, info);
    else invokeUser(this.context.logger, 'stray-response', this.strayHandler, response, info);
  }

  private receiveRequest(request: SipRequest, info: ReceiveInfo): void {
    const topVia = request.via[0];
    if (topVia === undefined) {
      this.warnings.warn('request-without-via', { source: info.source }, 'dropped a request without Via');
      return;
    }
    const key = serverKey(topVia, request.method);
    const existing = this.servers.match(request, topVia, key);
    if (existing !== undefined) {
      existing.receiveRequest(request, info);
      return;
    }
    // A retransmission of a request answered statelessly a moment ago gets the same bytes.
    const answered = key === undefined ? undefined : this.servers.statelessAnswer(key);
    if (answered !== undefined) {
      this.context.transport.transmitPrepared(answered, undefined, this.replayed);
      return;
    }
    if (request.method === 'ACK') {
      // RFC 3261 §17.2.3: the ACK for a 2xx is a transaction of its own, the TU's business.
      this.deliverAck(request, info);
      return;
    }
    if (
      this.servers.size >= this.limits.maxServerTransactions ||
      this.pendingServers >= this.limits.maxPendingServerTransactions
    ) {
      this.refuseOverloaded(request, info);
      return;
    }
    this.pendingServers++;
    if (request.method === 'INVITE') {
      const transaction = new InviteServerTransaction(
        this.context,
        this.serverHooks,
        request,
        info,
        key,
        'proceeding',
      );
      this.servers.add(transaction);
      transaction.start();
      this.handOver(request, transaction, info);
      return;
    }
    const transaction = new NonInviteServerTransaction(
      this.context,
      this.serverHooks,
      request,
      info,
      key,
      'trying',
    );
    this.servers.add(transaction);
    if (request.method === 'CANCEL') this.answerCancel(request, transaction, info);
    else this.handOver(request, transaction, info);
  }

  /** Gives a new request to the TU; with no TU, or a TU that threw, the request is refused. */
  private handOver(request: SipRequest, transaction: AnyServerTransaction, info: ReceiveInfo): void {
    if (this.requestHandler === undefined) {
      transaction.respond(synthesizeResponse(request, 503, 'Service Unavailable', newToTag()));
      return;
    }
    if (!invokeUser(this.context.logger, 'request', this.requestHandler, request, transaction, info)) {
      // Ignored by the state machine when the TU managed a final response before throwing.
      transaction.respond(synthesizeResponse(request, 500, 'Server Internal Error', newToTag()));
    }
  }

  /**
   * RFC 3261 §9.2: the CANCEL is answered by its own transaction, 200 when it matches a
   * transaction and 481 otherwise; the cancelled INVITE then ends with 487 unless already
   * answered. Only INVITEs are looked up: a CANCEL for another method (RFC 3261 §9.1 says it
   * SHOULD NOT be sent) has nothing to stop and gets 481.
   */
  private answerCancel(cancel: SipRequest, transaction: NonInviteServerTransaction, info: ReceiveInfo): void {
    const topVia = cancel.via[0];
    const invite = topVia === undefined ? undefined : this.servers.matchCancelled(cancel, topVia);
    if (invite === undefined) {
      transaction.respond(synthesizeResponse(cancel, 481, 'Call/Transaction Does Not Exist', newToTag()));
      return;
    }
    // RFC 3261 §9.2: the To tag of the 200 for the CANCEL SHOULD be the one of the INVITE's response.
    transaction.respond(synthesizeResponse(cancel, 200, 'OK', invite.localTag()));
    invite.cancelled(cancel, info);
  }

  private refuseOverloaded(request: SipRequest, info: ReceiveInfo): void {
    this.warnings.warn(
      'server-transactions-full',
      { live: this.servers.size, pending: this.pendingServers, limits: this.limits },
      'server transaction table full, refusing new requests with 503',
    );
    const response = synthesizeResponse(request, 503, 'Service Unavailable', newToTag());
    response.headers.set('Retry-After', String(OVERLOAD_RETRY_AFTER_SECONDS));
    this.context.transport.sendResponse(response, info).then(undefined, (error: unknown) => {
      this.context.logger.debug({ err: error }, 'could not send a stateless 503');
    });
  }

  private deliverAck(ack: SipRequest, info: ReceiveInfo): void {
    invokeUser(this.context.logger, 'ack', this.ackHandler, ack, info);
  }
}
