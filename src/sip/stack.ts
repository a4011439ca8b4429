/**
 * The public face of the SIP stack: transports, transactions and dialogs wired together, with
 * request handlers per method (server side) and requests whose responses arrive as an async
 * iterable (client side). Everything here is UA-core behaviour of RFC 3261 §8, §12–§15.
 */
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import {
  canCreateUasDialog,
  createInDialogRequest,
  createUacDialog,
  createUasDialog,
  type Dialog,
  type DialogId,
  type DialogOrigin,
  DialogStore,
  dialogKey,
  type InDialogRequestOptions,
  incomingDialogId,
  receiveInDialogRequest,
  receiveInDialogResponse,
  responseDialogId,
} from './dialog/index.js';
import { type SipLogger, silentLogger } from './logger.js';
import { createResponse, formatNameAddr, generateTag, getRoutes, reasonPhrase } from './message/index.js';
import type { NameAddr, SipRequest, SipResponse, Uri } from './message/types.js';
import { createResolver, type ResolveOptions, type SipResolver } from './resolver/index.js';
import { ResponseStream } from './response-stream.js';
import {
  CleanupTimers,
  type ClientTransaction,
  type ClientTransactionHandlers,
  createTransactionLayer,
  type Expirable,
  type ExpiryQueue,
  type ServerTransaction,
  type TransactionLayer,
  type TransactionLimits,
  type TransactionTimers,
} from './transaction/index.js';
import { respondStatelessly } from './transaction/transaction-layer.js';
import { createTransportLayer } from './transport/index.js';
import type {
  Endpoint,
  MeteredTransportLayer,
  ReceiveInfo,
  TransportLayerOptions,
  TransportProtocol,
} from './transport/types.js';

export interface SipStackOptions extends Omit<TransportLayerOptions, 'listeners' | 'clock' | 'logger'> {
  /** Where to listen, e.g. `[{ protocol: 'UDP', address: '127.0.0.1', port: 5060 }]`. */
  transports: TransportLayerOptions['listeners'];
  clock?: Clock;
  logger?: SipLogger;
  timers?: Partial<TransactionTimers>;
  limits?: Partial<TransactionLimits>;
  /** RFC 3263 resolution of next hops; the default uses node:dns. */
  resolver?: SipResolver;
  /** Sent as User-Agent in requests and Server in responses the stack builds. */
  userAgent?: string;
}

export interface ReplyOptions {
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
  /** Contact to include; `accept()` adds the stack's own when not given. */
  contact?: NameAddr | string;
  /**
   * Answer a request other than INVITE as a stateless UAS (RFC 3261 §8.2.7): a final response
   * sent once, with no transaction kept to repeat it, so a retransmitted request reaches the
   * handler again. For answers that may as well be computed again, such as a digest challenge.
   */
  stateless?: boolean;
}

/** A request received outside any transaction the stack already handles (retransmissions, CANCEL). */
export interface IncomingRequest {
  readonly request: SipRequest;
  readonly info: ReceiveInfo;
  /** The dialog the request belongs to, for in-dialog requests. */
  readonly dialog: Dialog | undefined;
  /** Whether a final response has been sent. */
  readonly answered: boolean;
  /** Builds and sends a response in the server transaction (RFC 3261 §8.2.6). */
  reply(status: number, reason?: string, options?: ReplyOptions): SipResponse;
  /**
   * Answers a dialog-creating request (INVITE, SUBSCRIBE, REFER) with a 2xx, creates the UAS
   * dialog (a re-INVITE keeps its own) and, for INVITE over an unreliable transport, retransmits
   * the 2xx until the ACK arrives (RFC 3261 §13.3.1.4), ending the call with BYE after 64*T1.
   * Throws TypeError, sending nothing, for a status outside 2xx, a request already answered, or
   * a request that cannot create a dialog.
   */
  accept(options?: ReplyOptions & { status?: number }): Dialog;
  /** Called when the request is an INVITE and a CANCEL for it arrived (the stack then answers 487). */
  onCancel(handler: () => void): void;
}

export type RequestHandler = (incoming: IncomingRequest) => void | Promise<void>;
export type AckHandler = (ack: SipRequest, dialog: Dialog | undefined, info: ReceiveInfo) => void;

export interface RequestOptions {
  /** Send here instead of resolving the next hop (RFC 3263). */
  target?: Endpoint;
}

/** One response to an INVITE we sent, with the dialog it created or belongs to. */
export interface InviteResponse {
  response: SipResponse;
  dialog: Dialog | undefined;
}

export interface OutgoingInvite extends AsyncIterable<InviteResponse> {
  /** RFC 3261 §9.1: cancels the INVITE (sent once a provisional response has arrived). */
  cancel(): void;
}

export interface SipStack {
  readonly transport: MeteredTransportLayer;
  readonly transactions: TransactionLayer;
  readonly dialogs: DialogStore;
  /** Handles requests of one method; `'*'` catches every method without a handler of its own. */
  onRequest(method: string, handler: RequestHandler): void;
  /** ACKs for 2xx (their own transaction, RFC 3261 §17.2.3). */
  onAck(handler: AckHandler): void;
  /**
   * Sends a request outside a dialog; responses arrive as they come, the last one is final.
   * `close()` ends requests still in flight with a 503.
   */
  request(request: SipRequest, options?: RequestOptions): AsyncIterable<SipResponse>;
  /**
   * Sends an INVITE; 1xx/2xx with a To tag and Contact create dialogs (at most 16 forks), each
   * 2xx is acknowledged by the stack, and its retransmissions are acknowledged again, not repeated
   * in the iteration. The iteration ends 64*T1 after the first 2xx, when forks can no longer come.
   */
  invite(request: SipRequest, options?: RequestOptions): OutgoingInvite;
  /**
   * Sends a request inside a dialog and resolves with its final response (never rejects; no
   * response at all is a 408). A re-INVITE's 2xx is acknowledged by the stack. ACK and CANCEL
   * are the stack's own business and throw TypeError.
   */
  requestInDialog(
    dialog: Dialog,
    method: string,
    options?: InDialogRequestOptions & RequestOptions,
  ): Promise<SipResponse>;
  /** A Contact for this stack over the given transport. */
  contact(protocol?: TransportProtocol, user?: string): NameAddr;
  listening(): Endpoint[];
  close(): Promise<void>;
}

/**
 * Dialogs one INVITE may create through forking (RFC 3261 §13.2.2.4). Real forks are few; the
 * bound keeps a peer inventing To tags from growing the dialog store without end.
 */
const MAX_DIALOGS_PER_INVITE = 16;

/** The method of the INVITE whose responses confirm the dialogs it created. */
const INVITE_METHOD = { method: 'INVITE' } as const;

/** Served without a handler: OPTIONS, and BYE inside a dialog (RFC 3261 §15.1.2). */
const BUILT_IN_METHODS = ['ACK', 'BYE', 'CANCEL', 'OPTIONS'];

/** Shared by every reply that passes none: replies only read their options. */
const NO_REPLY_OPTIONS: ReplyOptions = {};

/** RFC 3261 §11.2: the 200 to OPTIONS SHOULD say which bodies the UA accepts. */
const OPTIONS_ANSWER: ReplyOptions = { headers: [['Accept', 'application/sdp']] };

/** The Allow value (RFC 3261 §20.5): the built-in methods and every method with a handler. */
function allowValue(handled: Iterable<string>): string {
  const methods = new Set(BUILT_IN_METHODS);
  for (const method of handled) if (method !== '*') methods.add(method);
  return [...methods].join(', ');
}

export async function createSipStack(options: SipStackOptions): Promise<SipStack> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const { transports, timers, limits, resolver, userAgent, ...transportSettings } = options;
  const transport = await createTransportLayer({
    ...transportSettings,
    listeners: transports,
    clock,
    logger,
  });
  const transactions = createTransactionLayer({ transport, clock, logger, timers, limits });
  return new Stack(
    transport,
    transactions,
    clock,
    logger,
    resolver ?? createResolver({ clock }),
    userAgent,
    timers,
  );
}

/**
 * An ACK we sent for a 2xx, re-sent when the 2xx comes again (RFC 3261 §13.2.2.4). The UAS
 * retransmits its 2xx for 64*T1 at most (§13.3.1.4), so the ACK is kept that long, not for the
 * dialog's life; `target` is unset while its next hop is being resolved.
 */
class SentAck implements Expirable {
  target: Endpoint | undefined = undefined;
  queue: ExpiryQueue | undefined = undefined;
  ticket = 0;

  constructor(
    private readonly owner: Map<string, SentAck>,
    readonly key: string,
    readonly ack: SipRequest,
  ) {}

  expire(): void {
    this.queue = undefined;
    if (this.owner.get(this.key) === this) this.owner.delete(this.key);
  }

  forget(): void {
    this.queue?.cancel(this.ticket);
    this.expire();
  }
}

/** What a 2xx waiting for its ACK needs of the stack. */
interface AnswerOwner {
  readonly transport: MeteredTransportLayer;
  readonly clock: Clock;
  readonly logger: SipLogger;
  answerUnacknowledged(pending: UnacknowledgedAnswer): void;
  answerDone(pending: UnacknowledgedAnswer): void;
}

/**
 * RFC 3261 13.3.1.4: a 2xx to an INVITE over UDP goes again after T1, doubling up to T2, until
 * its ACK arrives; when 64*T1 pass without it, the dialog is confirmed but the session ends with
 * a BYE. One clock timer serves both the retransmissions and the deadline.
 */
class UnacknowledgedAnswer {
  private interval: number;
  private readonly deadline: number;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly owner: AnswerOwner,
    readonly dialog: Dialog,
    readonly dialogKey: string,
    readonly seq: number,
    private readonly response: SipResponse,
    private readonly info: ReceiveInfo,
    T1: number,
    private readonly T2: number,
  ) {
    this.interval = T1;
    this.deadline = owner.clock.now() + 64 * T1;
    this.timer = owner.clock.setTimeout(this.fire, T1);
  }

  stop(): void {
    if (this.timer !== undefined) this.owner.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.owner.answerDone(this);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const { clock, transport, logger } = this.owner;
    const left = this.deadline - clock.now();
    if (left <= 0) {
      this.owner.answerDone(this);
      this.owner.answerUnacknowledged(this);
      return;
    }
    transport.sendResponse(this.response, this.info).catch((error: unknown) => {
      logger.warn({ err: error, callId: this.dialog.id.callId }, '2xx retransmission could not be sent');
    });
    this.interval = Math.min(this.interval * 2, this.T2);
    this.timer = clock.setTimeout(this.fire, Math.min(this.interval, left));
  };
}

/** What a client request reports to the method that made it. */
interface RequestListener {
  /** Each response: the final one exactly once, then forked 2xx for an INVITE. */
  response(response: SipResponse, transaction: ClientTransaction | undefined): void;
  /** Once, last. */
  final(): void;
}

/** What our INVITE's responses become: dialogs (RFC 3261 §12.1.2) and the caller's stream. */
class InviteListener implements RequestListener {
  readonly stream = new ResponseStream<InviteResponse>();
  /** Dialogs the INVITE created, for the bound on forks. */
  dialogsCreated = 0;
  /**
   * Those still early: they end with the transaction (RFC 3261 12.3). A confirmed one is not
   * kept for the 64*T1 of forks: it is the call's, and ends with it.
   */
  private readonly early = new Map<string, Dialog>();

  constructor(
    private readonly stack: Stack,
    readonly origin: DialogOrigin,
  ) {}

  created(dialog: Dialog): void {
    this.dialogsCreated++;
    this.early.set(dialogKey(dialog.id), dialog);
  }

  confirmed(dialog: Dialog): void {
    if (this.early.size > 0) this.early.delete(dialogKey(dialog.id));
  }

  response(response: SipResponse, transaction: ClientTransaction | undefined): void {
    const dialogsBefore = this.dialogsCreated;
    const answer = this.stack.inviteResponse(this, response, transaction);
    // A provisional response may be dropped for a lagging reader, unless it brought a new early dialog.
    if (answer) this.stream.push(answer, response.status < 200 && this.dialogsCreated === dialogsBefore);
  }

  final(): void {
    for (const dialog of this.early.values()) if (dialog.state === 'early') this.stack.forgetDialog(dialog);
    this.stream.end();
  }
}

/**
 * One client request through its client transactions, failing over to the next resolved target
 * on a transport error, a timeout or a 503 (RFC 3263 §4.3), each attempt with a fresh branch.
 * Its state is this one object rather than a closure per step: an INVITE answered 2xx keeps it
 * for 64*T1 longer, for forks (RFC 6026 §8.4).
 */
class OutgoingRequest {
  /** Only until the final response: what waits for forks needs no more of the request. */
  private request: SipRequest | undefined;
  private current: ClientTransaction | undefined;
  cancelled = false;
  private ended = false;

  constructor(
    private readonly transactions: TransactionLayer,
    private readonly inFlight: Set<OutgoingRequest>,
    request: SipRequest,
    private readonly listener: RequestListener,
  ) {
    this.request = request;
  }

  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
  }

  /** The stack is closing. */
  abort(): void {
    this.synthesize(503);
  }

  resolved(targets: Endpoint[]): void {
    if (this.ended) return;
    if (this.cancelled) this.synthesize(487);
    else this.attempt(targets, 0);
  }

  unresolved(): void {
    this.synthesize(503);
  }

  attempt(targets: Endpoint[], index: number): void {
    const target = targets[index];
    const pending = this.request;
    if (!target || pending === undefined) {
      this.synthesize(503);
      return;
    }
    if (index > 0) pending.headers.removeFirst('via');
    const handlers = new Attempt(this, targets, index, pending.method === 'INVITE');
    this.current = this.transactions.sendRequest(pending, target, handlers);
  }

  deliver(response: SipResponse): void {
    if (this.ended) return;
    if (response.status >= 200) this.request = undefined;
    this.listener.response(response, this.current);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inFlight.delete(this);
    this.listener.final();
  }

  private synthesize(status: number): void {
    const request = this.request;
    if (request !== undefined) this.deliver(createResponse(request, status));
    this.end();
  }
}

/**
 * The handlers of one attempt of an OutgoingRequest: one client transaction to one target.
 * Methods, not closures: the transaction calls them on this object (see ClientTransactionHandlers).
 */
class Attempt implements ClientTransactionHandlers {
  private finished = false;
  private awaitingForks = false;

  constructor(
    private readonly owner: OutgoingRequest,
    private readonly targets: Endpoint[],
    private readonly index: number,
    private readonly invite: boolean,
  ) {}

  onResponse(response: SipResponse, info: ReceiveInfo | undefined): void {
    const owner = this.owner;
    if (response.status < 200 || this.finished) {
      owner.deliver(response);
      return;
    }
    this.finished = true;
    const failOver =
      (response.status === 503 || (info === undefined && response.status === 408)) &&
      this.index + 1 < this.targets.length &&
      !owner.cancelled;
    if (failOver) {
      owner.attempt(this.targets, this.index + 1);
      return;
    }
    owner.deliver(response);
    // An INVITE answered 2xx stays open for forked 2xx until its transaction ends (RFC 6026 §8.4).
    if (!this.invite || response.status >= 300) owner.end();
    else this.awaitingForks = true;
  }

  onTerminated(): void {
    if (this.awaitingForks) this.owner.end();
  }
}

class Stack implements SipStack {
  readonly dialogs = new DialogStore();
  private readonly handlers = new Map<string, RequestHandler>();
  /** Sent in every 405 and OPTIONS 2xx; rebuilt only when a handler is added. */
  private allow = allowValue([]);
  private ackHandler: AckHandler | undefined;
  /** UAS 2xx retransmission until the ACK (RFC 3261 §13.3.1.4), by dialog key (rarely more than one). */
  private readonly unacknowledged = new Map<string, UnacknowledgedAnswer[]>();
  /** The ACK we sent per dialog, re-sent when the 2xx is retransmitted (RFC 3261 §13.2.2.4). */
  private readonly sentAcks = new Map<string, SentAck>();
  /** Where sent ACKs wait out the 64*T1 of 2xx retransmissions. */
  private readonly ackExpiry: CleanupTimers;
  /** Client requests still waiting for their end; `close()` ends each with a 503. */
  private readonly inFlight = new Set<OutgoingRequest>();
  private readonly T1: number;
  private readonly T2: number;
  /** What the resolver is told of our transports (RFC 3263 §4.1), for every next hop. */
  private resolveOptions: ResolveOptions | undefined;

  constructor(
    readonly transport: MeteredTransportLayer,
    readonly transactions: TransactionLayer,
    readonly clock: Clock,
    readonly logger: SipLogger,
    private readonly resolver: SipResolver,
    private readonly userAgent: string | undefined,
    timers: Partial<TransactionTimers> | undefined,
  ) {
    this.T1 = timers?.T1 ?? 500;
    this.T2 = timers?.T2 ?? 4000;
    this.ackExpiry = new CleanupTimers(clock);
    transactions.onRequest((request, transaction, info) => this.receiveRequest(request, transaction, info));
    transactions.onAck((ack, info) => this.receiveAck(ack, info));
    transactions.onStrayResponse((response) => this.receiveStrayResponse(response));
  }

  onRequest(method: string, handler: RequestHandler): void {
    this.handlers.set(method, handler);
    this.allow = allowValue(this.handlers.keys());
  }

  onAck(handler: AckHandler): void {
    this.ackHandler = handler;
  }

  listening(): Endpoint[] {
    return this.transport.listening();
  }

  contact(protocol: TransportProtocol = 'UDP', user?: string): NameAddr {
    const { host, port } = this.transport.viaSentBy(protocol);
    const params: Record<string, string | null> =
      protocol === 'UDP' ? {} : { transport: protocol.toLowerCase() };
    const uri = {
      scheme: protocol === 'TLS' || protocol === 'WSS' ? 'sips' : 'sip',
      host,
      port,
      params,
      headers: {},
      ...(user === undefined ? {} : { user }),
    };
    return { uri, params: {} };
  }

  async close(): Promise<void> {
    for (const outgoing of [...this.inFlight]) outgoing.abort();
    for (const pending of [...this.unacknowledged.values()].flat()) pending.stop();
    this.ackExpiry.clear();
    this.sentAcks.clear();
    this.transactions.close();
    await this.transport.close();
  }

  // ---- server side ----

  private receiveRequest(request: SipRequest, transaction: ServerTransaction, info: ReceiveInfo): void {
    const incoming = new Incoming(this, request, transaction, info, undefined);
    const dialogId = incomingDialogId(request);
    let dialog: Dialog | undefined;
    if (dialogId) {
      dialog = this.dialogs.get(dialogId);
      // RFC 3261 12.2.2: a request with a To tag for a dialog we do not know gets 481.
      if (!dialog) {
        incoming.reply(481);
        return;
      }
      const verdict = receiveInDialogRequest(dialog, request);
      if (!verdict.accept) {
        incoming.reply(verdict.status, verdict.reason);
        return;
      }
      if (dialog.state === 'terminated') this.forgetDialog(dialog);
      incoming.dialog = dialog;
    } else if (request.method === 'BYE') {
      // RFC 3261 15.1.2: a BYE that matches no dialog gets 481.
      incoming.reply(481);
      return;
    } else if (request.method === 'INVITE' && !canCreateUasDialog(request)) {
      // RFC 3261 8.1.1.8, 12.1.1: without a Contact (and a From tag) the INVITE cannot create the dialog it asks for.
      incoming.reply(400, 'Missing Contact or From tag');
      return;
    }
    const handler = this.handlers.get(request.method) ?? this.handlers.get('*');
    if (handler) this.runHandler(handler, incoming);
    else this.answerWithoutHandler(incoming);
  }

  private answerWithoutHandler(incoming: Incoming): void {
    const { method } = incoming.request;
    if (method === 'OPTIONS') incoming.reply(200, undefined, OPTIONS_ANSWER);
    // RFC 3261 15.1.2: the BYE has already ended its dialog; the UAS answers 200.
    else if (method === 'BYE') incoming.reply(200);
    // RFC 3261 8.2.1: an unsupported method gets 405 with Allow.
    else incoming.reply(405);
  }

  private runHandler(handler: RequestHandler, incoming: Incoming): void {
    try {
      const pending = handler(incoming);
      if (pending) pending.catch((error: unknown) => this.handlerFailed(incoming, error));
    } catch (error) {
      this.handlerFailed(incoming, error);
    }
  }

  private handlerFailed(incoming: Incoming, error: unknown): void {
    this.logger.error(
      { err: error, method: incoming.request.method, callId: incoming.request.callId },
      'request handler failed',
    );
    if (!incoming.answered) incoming.reply(500);
  }

  /** Adds the headers every response built by the stack carries. */
  decorateResponse(response: SipResponse, request: SipRequest): void {
    if (this.userAgent && !response.headers.has('server')) response.headers.set('Server', this.userAgent);
    if (response.status === 405 || (request.method === 'OPTIONS' && response.status < 300)) {
      response.headers.set('Allow', this.allow);
    }
  }

  /**
   * Records the dialog a 2xx just sent created (or, for a re-INVITE, the one it belongs to) and
   * over UDP keeps the 2xx to an INVITE going until its ACK.
   */
  acceptedDialog(incoming: Incoming, dialog: Dialog, response: SipResponse): void {
    if (this.dialogs.get(dialog.id) !== dialog) this.dialogs.add(dialog);
    if (incoming.request.method === 'INVITE' && incoming.info.source.protocol === 'UDP') {
      this.retransmitUntilAcked(dialog, incoming, response);
    }
  }

  /** Keeps the 2xx to an INVITE over UDP going until its ACK (RFC 3261 §13.3.1.4). */
  private retransmitUntilAcked(dialog: Dialog, incoming: Incoming, response: SipResponse): void {
    const key = dialogKey(dialog.id);
    const pending = new UnacknowledgedAnswer(
      this,
      dialog,
      key,
      incoming.request.cseq.seq,
      response,
      incoming.info,
      this.T1,
      this.T2,
    );
    const list = this.unacknowledged.get(key);
    if (list === undefined) this.unacknowledged.set(key, [pending]);
    else list.push(pending);
  }

  /** @internal The ACK for a 2xx never came within 64*T1 (RFC 3261 §13.3.1.4). */
  answerUnacknowledged(pending: UnacknowledgedAnswer): void {
    this.logger.warn({ callId: pending.dialog.id.callId }, 'no ACK for 2xx within 64*T1, ending the dialog');
    void this.requestInDialog(pending.dialog, 'BYE');
  }

  /** @internal The 2xx needs no more retransmissions. */
  answerDone(pending: UnacknowledgedAnswer): void {
    const list = this.unacknowledged.get(pending.dialogKey);
    if (list === undefined) return;
    const index = list.indexOf(pending);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.unacknowledged.delete(pending.dialogKey);
  }

  private receiveAck(ack: SipRequest, info: ReceiveInfo): void {
    const id = incomingDialogId(ack);
    const dialog = id ? this.dialogs.get(id) : undefined;
    if (dialog) this.stopRetransmission(dialogKey(dialog.id), ack.cseq.seq);
    if (!this.ackHandler) return;
    try {
      this.ackHandler(ack, dialog, info);
    } catch (error) {
      this.logger.error({ err: error, callId: ack.callId }, 'ACK handler failed');
    }
  }

  private stopRetransmission(key: string, seq: number): void {
    const list = this.unacknowledged.get(key);
    if (list === undefined) return;
    for (const pending of list) {
      if (pending.seq === seq) {
        pending.stop();
        return;
      }
    }
  }

  /** @internal */
  forgetDialog(dialog: Dialog): void {
    const key = dialogKey(dialog.id);
    this.dialogs.delete(dialog.id);
    this.sentAcks.get(key)?.forget();
    const pending = this.unacknowledged.get(key);
    if (pending !== undefined) for (const answer of [...pending]) answer.stop();
  }

  // ---- client side ----

  private prepareRequest(request: SipRequest): void {
    if (this.userAgent && !request.headers.has('user-agent'))
      request.headers.set('User-Agent', this.userAgent);
  }

  /** RFC 3261 §8.1.2: the next hop is the first Route when there is one, else the Request-URI. */
  private async targetsFor(request: SipRequest, options: RequestOptions | undefined): Promise<Endpoint[]> {
    if (options?.target) return [options.target];
    const routes = getRoutes(request, 'route');
    const first = routes.ok ? routes.value[0] : undefined;
    return this.resolve(first ? first.uri : request.uri);
  }

  private resolve(uri: Uri): Promise<Endpoint[]> {
    // The listeners are bound once, before the stack exists: their transports never change.
    this.resolveOptions ??= {
      supportedTransports: [...new Set(this.transport.listening().map((endpoint) => endpoint.protocol))],
    };
    return this.resolver.resolve(uri, this.resolveOptions);
  }

  /**
   * Runs a client request (see OutgoingRequest) once its next hops are resolved; `listener`
   * sees each response and hears `final` once, last.
   */
  private send(
    request: SipRequest,
    options: RequestOptions | undefined,
    listener: RequestListener,
  ): OutgoingRequest {
    const outgoing = new OutgoingRequest(this.transactions, this.inFlight, request, listener);
    this.inFlight.add(outgoing);
    this.prepareRequest(request);
    const host = request.uri.host;
    this.targetsFor(request, options).then(
      (targets) => outgoing.resolved(targets),
      (error: unknown) => {
        this.logger.warn({ err: error, uri: host }, 'next hop could not be resolved');
        outgoing.unresolved();
      },
    );
    return outgoing;
  }

  request(request: SipRequest, options?: RequestOptions): AsyncIterable<SipResponse> {
    if (request.method === 'INVITE') throw new TypeError('use invite() for INVITE');
    if (request.method === 'ACK') throw new TypeError('an ACK is sent by the stack, not as a request');
    const stream = new ResponseStream<SipResponse>();
    this.send(request, options, {
      response: (response) => stream.push(response, response.status < 200),
      final: () => stream.end(),
    });
    return stream;
  }

  invite(request: SipRequest, options?: RequestOptions): OutgoingInvite {
    // The responses of the next 64*T1 (forks, RFC 6026 §8.4) need only these of the INVITE.
    const origin: DialogOrigin = {
      callId: request.callId,
      from: request.from,
      cseq: request.cseq,
      uri: request.uri,
    };
    const listener = new InviteListener(this, origin);
    const stream = listener.stream;
    const handle = this.send(request, options, listener);
    return {
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
      cancel: () => handle.cancel(),
    };
  }

  /**
   * Matches a response to our INVITE with its dialog (creating it for the first 1xx/2xx with a
   * new To tag, RFC 3261 §12.1.2) and acknowledges each 2xx. Returns undefined for a 2xx
   * retransmission, which is only acknowledged again, and for a fork beyond the bound.
   * @internal
   */
  inviteResponse(
    listener: InviteListener,
    response: SipResponse,
    transaction: ClientTransaction | undefined,
  ): InviteResponse | undefined {
    const invite = listener.origin;
    if (response.status < 101 || response.status >= 300) return { response, dialog: undefined };
    const id = responseDialogId(response);
    if (!id) return { response, dialog: undefined };
    let dialog = this.dialogs.get(id);
    if (!dialog) {
      if (listener.dialogsCreated >= MAX_DIALOGS_PER_INVITE) {
        this.logger.warn(
          { callId: invite.callId, status: response.status },
          'too many forked dialogs, response dropped',
        );
        return undefined;
      }
      dialog = createUacDialog(invite, response);
      if (!dialog) return { response, dialog: undefined };
      this.dialogs.add(dialog);
      listener.created(dialog);
    } else if (response.status >= 200 && this.resendAck(id, response)) {
      return undefined;
    } else {
      receiveInDialogResponse(dialog, INVITE_METHOD, response);
    }
    if (response.status >= 200) {
      dialog.state = 'confirmed';
      listener.confirmed(dialog);
      this.acknowledge(dialog, invite.cseq.seq, transaction?.target);
    }
    return { response, dialog };
  }

  /** RFC 3261 13.2.2.4: the UA core sends the ACK for each 2xx, in the dialog, with the INVITE's CSeq. */
  private acknowledge(
    dialog: Dialog,
    inviteSeq: number,
    fallback: Endpoint | undefined,
    target?: Endpoint,
  ): void {
    const ack = createInDialogRequest(dialog, 'ACK', { cseq: inviteSeq });
    this.prepareRequest(ack);
    // Remembered at once, so that a 2xx retransmitted while the next hop resolves is not acknowledged twice.
    const key = dialogKey(dialog.id);
    this.sentAcks.get(key)?.forget();
    const sent = new SentAck(this.sentAcks, key, ack);
    this.sentAcks.set(key, sent);
    sent.queue = this.ackExpiry.queue(64 * this.T1);
    sent.ticket = sent.queue.add(sent);
    const send = (endpoint: Endpoint | undefined) => {
      if (!endpoint) return;
      sent.target = endpoint;
      this.transactions.sendAck(ack, endpoint).catch((error: unknown) => {
        this.logger.warn({ err: error, callId: dialog.id.callId }, 'ACK could not be sent');
      });
    };
    if (target) {
      send(target);
      return;
    }
    const routes = getRoutes(ack, 'route');
    const nextHop = routes.ok && routes.value[0] ? routes.value[0].uri : ack.uri;
    // The ACK goes where the dialog's route set and remote target say, not necessarily to the INVITE's target.
    this.resolve(nextHop).then(
      (targets) => send(targets[0] ?? fallback),
      () => send(fallback),
    );
  }

  /**
   * A 2xx we already acknowledged came again, so our ACK was lost: send the same ACK again
   * (RFC 3261 13.2.2.4). Returns whether the response was such a retransmission.
   */
  private resendAck(id: DialogId, response: SipResponse): boolean {
    const sent = this.sentAcks.get(dialogKey(id));
    if (!sent || sent.ack.cseq.seq !== response.cseq.seq) return false;
    if (sent.target) this.transactions.sendAck(sent.ack, sent.target).catch(() => {});
    return true;
  }

  private receiveStrayResponse(response: SipResponse): void {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const id = responseDialogId(response);
    if (id) this.resendAck(id, response);
  }

  requestInDialog(
    dialog: Dialog,
    method: string,
    options?: InDialogRequestOptions & RequestOptions,
  ): Promise<SipResponse> {
    if (method === 'ACK' || method === 'CANCEL') {
      throw new TypeError(`${method} is sent by the stack (invite() acknowledges, cancel() cancels)`);
    }
    const request = createInDialogRequest(dialog, method, options);
    const seq = request.cseq.seq;
    // An explicit target (a phone's registered flow behind NAT, RFC 5626 §5.3) carries the ACK too.
    const target = options?.target;
    return new Promise((resolve) => {
      let final: SipResponse | undefined;
      this.send(request, target && { target }, {
        response: (response, transaction) => {
          if (response.status < 200) return;
          // RFC 3261 14.1: the 2xx to a re-INVITE is acknowledged like any 2xx to INVITE.
          if (method === 'INVITE' && response.status < 300) {
            if (this.resendAck(dialog.id, response)) return;
            this.acknowledge(dialog, seq, transaction?.target, target);
          }
          receiveInDialogResponse(dialog, { method }, response);
          if (dialog.state === 'terminated') this.forgetDialog(dialog);
          if (final) return;
          // Resolved at the final response: a re-INVITE's transaction stays open for 64*T1 after its 2xx.
          final = response;
          resolve(response);
        },
        final: () => {
          if (!final) resolve(createResponse(request, 408));
        },
      });
    });
  }
}

class Incoming implements IncomingRequest {
  answered = false;
  private toTag: string | undefined;
  private cancelHandler: (() => void) | undefined;

  constructor(
    private readonly stack: Stack,
    readonly request: SipRequest,
    private readonly transaction: ServerTransaction,
    readonly info: ReceiveInfo,
    public dialog: Dialog | undefined,
  ) {
    if (request.method === 'INVITE') {
      transaction.onCancel(() => {
        this.cancelHandler?.();
      });
    }
  }

  onCancel(handler: () => void): void {
    this.cancelHandler = handler;
  }

  reply(status: number, reason?: string, options: ReplyOptions = NO_REPLY_OPTIONS): SipResponse {
    const response = this.buildResponse(status, reason, options);
    this.send(response, options.stateless === true);
    return response;
  }

  accept(options: ReplyOptions & { status?: number } = NO_REPLY_OPTIONS): Dialog {
    const status = options.status ?? 200;
    if (status < 200 || status >= 300) throw new TypeError(`accept() answers with a 2xx, not ${status}`);
    if (this.answered) throw new TypeError('the request has already been answered');
    const contact = options.contact ?? this.stack.contact(this.info.local.protocol);
    const response = this.buildResponse(status, undefined, { ...options, contact });
    // A re-INVITE stays in its dialog (RFC 3261 §14.2); checked before anything is sent.
    const dialog = this.dialog ?? createUasDialog(this.request, response);
    if (!dialog) throw new TypeError('the request cannot create a dialog (no Contact or From tag)');
    if (dialog.state === 'early') dialog.state = 'confirmed';
    this.send(response, false);
    this.dialog = dialog;
    this.stack.acceptedDialog(this, dialog, response);
    return dialog;
  }

  private buildResponse(status: number, reason: string | undefined, options: ReplyOptions): SipResponse {
    // RFC 3261 8.2.6.2: every response of the request carries the same To tag (none on 100).
    if (status > 100 && this.request.to.params.tag === undefined) this.toTag ??= generateTag();
    const contact = options.contact;
    // The caller's array is only read, never extended: a Contact goes into a copy.
    const headers =
      contact === undefined
        ? options.headers
        : [
            ...(options.headers ?? []),
            ['Contact', typeof contact === 'string' ? contact : formatNameAddr(contact)] as [string, string],
          ];
    const response = createResponse(this.request, status, reason ?? reasonPhrase(status), {
      toTag: status > 100 ? this.toTag : undefined,
      headers,
      body: options.body,
      contentType: options.contentType,
    });
    this.stack.decorateResponse(response, this.request);
    return response;
  }

  private send(response: SipResponse, stateless: boolean): void {
    const sent = stateless
      ? respondStatelessly(this.transaction, response)
      : this.transaction.respond(response);
    if (sent && response.status >= 200) this.answered = true;
  }
}
