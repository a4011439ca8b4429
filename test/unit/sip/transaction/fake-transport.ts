/** A TransportLayer that records what is sent (with the fake clock's time) and lets a test inject what is received. */
import type { Clock } from '../../../../src/sip/clock.js';
import { parseMessage, serializeMessage } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipResponse } from '../../../../src/sip/message/types.js';
import {
  type Endpoint,
  type PreparedResponse,
  type ReceiveInfo,
  type SendDone,
  type SendOptions,
  TransportError,
  type TransportLayer,
  type TransportProtocol,
} from '../../../../src/sip/transport/types.js';

export interface SentMessage {
  message: SipMessage;
  at: number;
  /** Set for requests (send). */
  target?: Endpoint;
  /** Set for responses (sendResponse). */
  requestInfo?: ReceiveInfo;
  /** Set for prepared responses: the bytes as they would go on the wire. */
  bytes?: Buffer;
}

export const LOCAL_ADDRESS = '192.0.2.10';
export const LOCAL_PORT = 5060;

export class FakeTransport implements TransportLayer {
  readonly sent: SentMessage[] = [];
  /** While set, every send fails with a TransportError. */
  failing = false;
  private handler: ((message: SipMessage, info: ReceiveInfo) => void) | undefined;

  constructor(private readonly clock: Clock) {}

  onMessage(handler: (message: SipMessage, info: ReceiveInfo) => void): void {
    this.handler = handler;
  }

  send(message: SipMessage, target: Endpoint): Promise<void> {
    return settled(this.request(message, target));
  }

  transmit(message: SipMessage, target: Endpoint, _options: SendOptions | undefined, done: SendDone): void {
    reportLater(done, this.request(message, target));
  }

  /** Records a request; the failure the send reports, if any. */
  private request(message: SipMessage, target: Endpoint): Error | undefined {
    this.sent.push({ message, at: this.clock.now(), target });
    return this.failing ? new TransportError('unreachable', target) : undefined;
  }

  sendResponse(response: SipResponse, requestInfo?: ReceiveInfo): Promise<void> {
    const entry: SentMessage = { message: response, at: this.clock.now() };
    if (requestInfo !== undefined) entry.requestInfo = requestInfo;
    this.sent.push(entry);
    const target = requestInfo?.source ?? { protocol: 'UDP', address: '0.0.0.0', port: 0 };
    return this.failing ? Promise.reject(new TransportError('connection lost', target)) : Promise.resolve();
  }

  prepareResponse(response: SipResponse, requestInfo?: ReceiveInfo): PreparedResponse {
    if (response.via[0] === undefined) {
      throw new TransportError(
        'no top Via',
        requestInfo?.source ?? { protocol: 'UDP', address: '', port: 0 },
      );
    }
    return {
      bytes: serializeMessage(response),
      target: requestInfo?.source ?? { protocol: 'UDP', address: '0.0.0.0', port: 0 },
      local: requestInfo?.local,
      connectionId: requestInfo?.connectionId,
    };
  }

  /** Records the message as sent (parsed back from the bytes when not given, as the real layer's observer sees it). */
  sendPrepared(prepared: PreparedResponse, response?: SipResponse): Promise<void> {
    return settled(this.prepared(prepared, response));
  }

  transmitPrepared(prepared: PreparedResponse, response: SipResponse | undefined, done: SendDone): void {
    reportLater(done, this.prepared(prepared, response));
  }

  /** Records a prepared response; the failure the send reports, if any. */
  private prepared(prepared: PreparedResponse, response: SipResponse | undefined): Error | undefined {
    const parsed = parseMessage(prepared.bytes);
    const message = response ?? (parsed.ok ? parsed.value : undefined);
    if (message === undefined) return new Error('prepared bytes do not parse');
    this.sent.push({ message, at: this.clock.now(), bytes: prepared.bytes });
    return this.failing ? new TransportError('connection lost', prepared.target) : undefined;
  }

  viaSentBy(_protocol: TransportProtocol): { host: string; port: number } {
    return { host: LOCAL_ADDRESS, port: LOCAL_PORT };
  }

  listening(): Endpoint[] {
    return [];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Delivers a message as if the transport had received it. */
  receive(message: SipMessage, info: ReceiveInfo): void {
    if (this.handler === undefined) throw new Error('nothing listens on the fake transport');
    this.handler(message, info);
  }

  /** Times at which messages matching `filter` were sent. */
  timesOf(filter: (message: SipMessage) => boolean): number[] {
    return this.sent.filter((entry) => filter(entry.message)).map((entry) => entry.at);
  }

  /** Sent messages since the last call, and forgets them. */
  take(): SipMessage[] {
    return this.sent.splice(0).map((entry) => entry.message);
  }
}

function settled(failure: Error | undefined): Promise<void> {
  return failure === undefined ? Promise.resolve() : Promise.reject(failure);
}

/** As the real layer does: the outcome arrives after the sending call has returned. */
function reportLater(done: SendDone, failure: Error | undefined): void {
  queueMicrotask(() => done(failure));
}
