/**
 * The public face of the SIP stack: transports, transactions and dialogs wired together, with
 * request handlers per method (server side) and requests whose responses arrive as an async
 * iterable (client side). Everything here is UA-core behaviour of RFC 3261 §8, §12–§15.
 */
import { type Clock, systemClock } from './clock.js';
import {
  createInDialogRequest,
  createUacDialog,
  createUasDialog,
  type Dialog,
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
import { createResolver, type SipResolver } from './resolver/index.js';
import { ResponseStream } from './response-stream.js';
import {
  type ClientTransaction,
  createTransactionLayer,
  type ServerTransaction,
  type TransactionLayer,
  type TransactionLimits,
  type TransactionTimers,
} from './transaction/index.js';
import { createTransportLayer } from './transport/index.js';
import type {
  Endpoint,
  ReceiveInfo,
  TransportLayer,
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
   * dialog and, for INVITE over an unreliable transport, retransmits the 2xx until the ACK
   * arrives (RFC 3261 §13.3.1.4).
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
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly dialogs: DialogStore;
  /** Handles requests of one method; `'*'` catches every method without a handler of its own. */
  onRequest(method: string, handler: RequestHandler): void;
  /** ACKs for 2xx (their own transaction, RFC 3261 §17.2.3). */
  onAck(handler: AckHandler): void;
  /** Sends a request outside a dialog; responses arrive as they come, the last one is final. */
  request(request: SipRequest, options?: RequestOptions): AsyncIterable<SipResponse>;
  /** Sends an INVITE; 2xx responses create dialogs and are acknowledged by the stack. */
  invite(request: SipRequest, options?: RequestOptions): OutgoingInvite;
  /** Sends a request inside a dialog and resolves with its final response. */
  requestInDialog(dialog: Dialog, method: string, options?: InDialogRequestOptions): Promise<SipResponse>;
  /** A Contact for this stack over the given transport. */
  contact(protocol?: TransportProtocol, user?: string): NameAddr;
  listening(): Endpoint[];
  close(): Promise<void>;
}

const BUILT_IN_METHODS = ['ACK', 'CANCEL', 'OPTIONS'];

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

interface PendingAck {
  ack: SipRequest;
  target: Endpoint;
}

class Stack implements SipStack {
  readonly dialogs = new DialogStore();
  private readonly handlers = new Map<string, RequestHandler>();
  private ackHandler: AckHandler | undefined;
  /** UAS 2xx retransmission until the ACK (RFC 3261 §13.3.1.4), by dialog key + CSeq. */
  private readonly unacknowledged = new Map<string, { stop(): void }>();
  /** The ACK we sent per dialog, re-sent when the 2xx is retransmitted (RFC 3261 §13.2.2.4). */
  private readonly sentAcks = new Map<string, PendingAck>();
  private readonly T1: number;
  private readonly T2: number;

  constructor(
    readonly transport: TransportLayer,
    readonly transactions: TransactionLayer,
    private readonly clock: Clock,
    private readonly logger: SipLogger,
    private readonly resolver: SipResolver,
    private readonly userAgent: string | undefined,
    timers: Partial<TransactionTimers> | undefined,
  ) {
    this.T1 = timers?.T1 ?? 500;
    this.T2 = timers?.T2 ?? 4000;
    transactions.onRequest((request, transaction, info) => this.receiveRequest(request, transaction, info));
    transactions.onAck((ack, info) => this.receiveAck(ack, info));
    transactions.onStrayResponse((response) => this.receiveStrayResponse(response));
  }

  onRequest(method: string, handler: RequestHandler): void {
    this.handlers.set(method, handler);
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
    for (const retransmission of this.unacknowledged.values()) retransmission.stop();
    this.unacknowledged.clear();
    this.transactions.close();
    await this.transport.close();
  }

  // ---- server side ----

  private allowHeader(): string {
    const methods = new Set(BUILT_IN_METHODS);
    for (const method of this.handlers.keys()) if (method !== '*') methods.add(method);
    return [...methods].join(', ');
  }

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
    }
    const handler = this.handlers.get(request.method) ?? this.handlers.get('*');
    if (!handler) {
      if (request.method === 'OPTIONS')
        incoming.reply(200, undefined, { headers: [['Accept', 'application/sdp']] });
      // RFC 3261 8.2.1: an unsupported method gets 405 with Allow.
      else incoming.reply(405);
      return;
    }
    this.runHandler(handler, incoming);
  }

  private runHandler(handler: RequestHandler, incoming: Incoming): void {
    const fail = (error: unknown) => {
      this.logger.error(
        { err: error, method: incoming.request.method, callId: incoming.request.callId },
        'request handler failed',
      );
      if (!incoming.answered) incoming.reply(500);
    };
    try {
      const pending = handler(incoming);
      if (pending) pending.catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  /** Adds the headers every response built by the stack carries. */
  decorateResponse(response: SipResponse, request: SipRequest): void {
    if (this.userAgent && !response.headers.has('server')) response.headers.set('Server', this.userAgent);
    if (response.status === 405 || (request.method === 'OPTIONS' && response.status < 300)) {
      response.headers.set('Allow', this.allowHeader());
    }
  }

  acceptDialog(incoming: Incoming, response: SipResponse): Dialog {
    const { request } = incoming;
    const dialog = createUasDialog(request, response);
    if (!dialog) throw new TypeError('the request cannot create a dialog (no Contact or From tag)');
    this.dialogs.add(dialog);
    if (request.method === 'INVITE' && incoming.info.source.protocol === 'UDP') {
      this.retransmitUntilAcked(dialog, incoming, response);
    }
    return dialog;
  }

  /** RFC 3261 13.3.1.4: 2xx every T1 doubling to T2 until the ACK; no ACK after 64*T1 ends the dialog with BYE. */
  private retransmitUntilAcked(dialog: Dialog, incoming: Incoming, response: SipResponse): void {
    const key = `${dialogKey(dialog.id)}\u0000${incoming.request.cseq.seq}`;
    const started = this.clock.now();
    let interval = this.T1;
    let timer = this.clock.setTimeout(tick, interval);
    const stop = () => {
      this.clock.clearTimeout(timer);
      this.unacknowledged.delete(key);
    };
    const stack = this;
    function tick(): void {
      if (stack.clock.now() - started >= 64 * stack.T1) {
        stop();
        stack.logger.warn({ callId: dialog.id.callId }, 'no ACK for 2xx within 64*T1, ending the dialog');
        stack.requestInDialog(dialog, 'BYE').catch(() => {});
        return;
      }
      stack.transport.sendResponse(response, incoming.info).catch(() => {});
      interval = Math.min(interval * 2, stack.T2);
      timer = stack.clock.setTimeout(tick, interval);
    }
    this.unacknowledged.set(key, { stop });
  }

  private receiveAck(ack: SipRequest, info: ReceiveInfo): void {
    const id = incomingDialogId(ack);
    const dialog = id ? this.dialogs.get(id) : undefined;
    if (dialog) this.unacknowledged.get(`${dialogKey(dialog.id)}\u0000${ack.cseq.seq}`)?.stop();
    if (!this.ackHandler) return;
    try {
      this.ackHandler(ack, dialog, info);
    } catch (error) {
      this.logger.error({ err: error, callId: ack.callId }, 'ACK handler failed');
    }
  }

  private forgetDialog(dialog: Dialog): void {
    const key = dialogKey(dialog.id);
    this.dialogs.delete(dialog.id);
    this.sentAcks.delete(key);
    for (const [pendingKey, retransmission] of this.unacknowledged) {
      if (pendingKey.startsWith(key)) retransmission.stop();
    }
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
    const supportedTransports = [...new Set(this.transport.listening().map((endpoint) => endpoint.protocol))];
    return this.resolver.resolve(uri, { supportedTransports });
  }

  /**
   * Runs a client transaction, failing over to the next resolved target on a transport error,
   * a timeout or a 503 (RFC 3263 §4.3), each attempt with a fresh branch.
   */
  private send(
    request: SipRequest,
    options: RequestOptions | undefined,
    onResponse: (response: SipResponse, transaction: ClientTransaction) => void,
    onFinal: () => void,
  ): { cancel(): void } {
    let current: ClientTransaction | undefined;
    let cancelled = false;
    const synthesize = (status: number) => {
      onResponse(createResponse(request, status), current as ClientTransaction);
      onFinal();
    };
    const attempt = (targets: Endpoint[], index: number) => {
      const target = targets[index];
      if (!target) return synthesize(503);
      if (index > 0) request.headers.removeFirst('via');
      let finished = false;
      let awaitingForks = false;
      current = this.transactions.sendRequest(request, target, {
        onResponse: (response, info) => {
          const failedOver =
            !finished &&
            response.status >= 200 &&
            (response.status === 503 || (info === undefined && response.status === 408)) &&
            index + 1 < targets.length &&
            !cancelled;
          if (response.status >= 200 && !finished) {
            finished = true;
            if (failedOver) {
              attempt(targets, index + 1);
              return;
            }
            onResponse(response, current as ClientTransaction);
            // An INVITE answered 2xx stays open for forked 2xx until its transaction ends (RFC 6026 §8.4).
            if (request.method !== 'INVITE' || response.status >= 300) onFinal();
            else awaitingForks = true;
            return;
          }
          onResponse(response, current as ClientTransaction);
        },
        onTerminated: () => {
          if (awaitingForks) onFinal();
        },
      });
    };
    this.prepareRequest(request);
    this.targetsFor(request, options).then(
      (targets) => {
        if (cancelled) return synthesize(487);
        attempt(targets, 0);
      },
      (error: unknown) => {
        this.logger.warn({ err: error, uri: request.uri.host }, 'next hop could not be resolved');
        synthesize(503);
      },
    );
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }

  request(request: SipRequest, options?: RequestOptions): AsyncIterable<SipResponse> {
    if (request.method === 'INVITE') throw new TypeError('use invite() for INVITE');
    const stream = new ResponseStream<SipResponse>();
    this.send(
      request,
      options,
      (response) => stream.push(response),
      () => stream.end(),
    );
    return stream;
  }

  invite(request: SipRequest, options?: RequestOptions): OutgoingInvite {
    const stream = new ResponseStream<InviteResponse>();
    const early = new Map<string, Dialog>();
    const handle = this.send(
      request,
      options,
      (response, transaction) =>
        stream.push({ response, dialog: this.inviteResponse(request, response, early, transaction) }),
      () => {
        // Early dialogs that never got a 2xx end with the transaction (RFC 3261 12.3).
        for (const dialog of early.values()) if (dialog.state === 'early') this.forgetDialog(dialog);
        stream.end();
      },
    );
    return {
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
      cancel: () => handle.cancel(),
    };
  }

  private inviteResponse(
    request: SipRequest,
    response: SipResponse,
    early: Map<string, Dialog>,
    transaction: ClientTransaction | undefined,
  ): Dialog | undefined {
    if (response.status < 101 || response.status >= 300) return undefined;
    const id = responseDialogId(response);
    if (!id) return undefined;
    let dialog = this.dialogs.get(id);
    if (!dialog) {
      dialog = createUacDialog(request, response);
      if (!dialog) return undefined;
      this.dialogs.add(dialog);
      early.set(dialogKey(dialog.id), dialog);
    } else {
      receiveInDialogResponse(dialog, request, response);
    }
    if (response.status >= 200) {
      dialog.state = 'confirmed';
      this.acknowledge(dialog, request, transaction?.target);
    }
    return dialog;
  }

  /** RFC 3261 13.2.2.4: the UA core sends the ACK for each 2xx, in the dialog, with the INVITE's CSeq. */
  private acknowledge(dialog: Dialog, invite: SipRequest, target: Endpoint | undefined): void {
    const ack = createInDialogRequest(dialog, 'ACK', { cseq: invite.cseq.seq });
    this.prepareRequest(ack);
    const send = (endpoint: Endpoint) => {
      this.sentAcks.set(dialogKey(dialog.id), { ack, target: endpoint });
      this.transactions.sendAck(ack, endpoint).catch((error: unknown) => {
        this.logger.warn({ err: error, callId: dialog.id.callId }, 'ACK could not be sent');
      });
    };
    const routes = getRoutes(ack, 'route');
    const nextHop = routes.ok && routes.value[0] ? routes.value[0].uri : ack.uri;
    // The ACK goes where the dialog's route set and remote target say, not necessarily to the INVITE's target.
    this.resolve(nextHop).then(
      (targets) => {
        const endpoint = targets[0] ?? target;
        if (endpoint) send(endpoint);
      },
      () => {
        if (target) send(target);
      },
    );
  }

  private receiveStrayResponse(response: SipResponse): void {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const id = responseDialogId(response);
    const pending = id ? this.sentAcks.get(dialogKey(id)) : undefined;
    // A retransmitted 2xx means our ACK was lost: send it again (RFC 3261 13.2.2.4).
    if (pending) this.transactions.sendAck(pending.ack, pending.target).catch(() => {});
  }

  requestInDialog(dialog: Dialog, method: string, options?: InDialogRequestOptions): Promise<SipResponse> {
    const request = createInDialogRequest(dialog, method, options);
    return new Promise((resolve) => {
      let final: SipResponse | undefined;
      this.send(
        request,
        undefined,
        (response) => {
          if (response.status < 200) return;
          final ??= response;
          receiveInDialogResponse(dialog, request, response);
          if (dialog.state === 'terminated') this.forgetDialog(dialog);
        },
        () => resolve(final ?? createResponse(request, 408)),
      );
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

  reply(status: number, reason?: string, options: ReplyOptions = {}): SipResponse {
    // RFC 3261 8.2.6.2: every response of the request carries the same To tag (none on 100).
    if (status > 100 && this.request.to.params.tag === undefined) this.toTag ??= generateTag();
    const headers: [string, string][] = [...(options.headers ?? [])];
    if (options.contact !== undefined) {
      headers.push([
        'Contact',
        typeof options.contact === 'string' ? options.contact : formatNameAddr(options.contact),
      ]);
    }
    const response = createResponse(this.request, status, reason ?? reasonPhrase(status), {
      toTag: status > 100 ? this.toTag : undefined,
      headers,
      body: options.body,
      contentType: options.contentType,
    });
    this.stack.decorateResponse(response, this.request);
    if (this.transaction.respond(response) && status >= 200) this.answered = true;
    return response;
  }

  accept(options: ReplyOptions & { status?: number } = {}): Dialog {
    const contact = options.contact ?? this.stack.contact(this.info.local.protocol);
    const response = this.reply(options.status ?? 200, undefined, { ...options, contact });
    return this.stack.acceptDialog(this, response);
  }
}
