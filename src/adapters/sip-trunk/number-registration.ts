/**
 * Outbound registration of one number with the carrier's registrar (RFC 3261 §10.2): REGISTER
 * with digest authentication, refresh before expiry, 423 handling, retry with backoff after a
 * failure, and removal of the binding on stop.
 */
import {
  authorizeRequest,
  type Clock,
  createRequest,
  createResponse,
  DigestNonceCounter,
  type Endpoint,
  formatUri,
  generateCallId,
  generateTag,
  parseContacts,
  parseDigestChallenge,
  type SipLogger,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type TimerHandle,
  type Uri,
} from '../../sip/index.js';
import { addressOfRecord } from './carrier-uri.js';
import { refreshAfterSeconds, retryAfterSeconds, timerMs } from './timing.js';
import type { TrunkCredentials } from './trunk-config.js';
import type { TrunkEvent } from './trunk-events.js';

export type RegistrationState = 'none' | 'pending' | 'registered' | 'failed';

export interface NumberRegistrationView {
  readonly number: string;
  /** false for `no-reg` numbers, which are never registered. */
  readonly register: boolean;
  readonly state: RegistrationState;
  /** The status of the last failure (408 for a timeout), while `failed`. */
  readonly status: number | undefined;
  readonly reason: string | undefined;
  /** Seconds until the binding at the registrar expires, while `registered`. */
  readonly expiresIn: number | undefined;
  /** Seconds until the next attempt, while `failed`. */
  readonly retryIn: number | undefined;
  /** The registrar's URI, undefined when the trunk registers nothing. */
  readonly registrar: string | undefined;
}

export interface RegistrationContext {
  readonly stack: Pick<SipStack, 'request' | 'contact'>;
  readonly clock: Clock;
  readonly logger: SipLogger;
  readonly trunk: string;
  readonly registrar: { readonly uri: Uri; readonly expires: number; readonly retryRegisterSeconds: number };
  readonly credentials: TrunkCredentials | undefined;
  /** Where REGISTER goes; undefined lets the stack resolve the registrar (RFC 3263). */
  target(): Endpoint | undefined;
  emit(event: TrunkEvent): void;
}

/** A challenge answered, then a stale nonce answered again (RFC 7616 §3.3), for each of 401 and 407. */
const MAX_REQUESTS_PER_EXCHANGE = 5;
/** RFC 3261 §25.1 delta-seconds. */
const MAX_DELTA_SECONDS = 4_294_967_295;

/** Seconds from an Expires value or parameter; undefined unless it is plain delta-seconds. */
function deltaSeconds(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]{1,10}$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  return seconds <= MAX_DELTA_SECONDS ? seconds : undefined;
}

function isStaleChallenge(response: SipResponse): boolean {
  const name = response.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return response.headers.getAll(name).some((value) => {
    const challenge = parseDigestChallenge(value);
    return challenge.ok && challenge.value.stale;
  });
}

export class NumberRegistration {
  private readonly aor: Uri;
  /** RFC 3261 §10.2.4: one Call-ID for every registration of this number while we run… */
  private readonly callId = generateCallId();
  private readonly fromTag = generateTag();
  /** …and CSeq growing by one with each REGISTER. */
  private cseq = 0;
  private requestedExpires: number;
  private readonly counter = new DigestNonceCounter();
  /** The last challenges received, answered again in later requests (RFC 7616 §3.4: nc counts up). */
  private challenges: { 401?: SipResponse; 407?: SipResponse } = {};

  private state: RegistrationState = 'none';
  private failure: { status: number; reason: string } | undefined;
  private consecutiveFailures = 0;
  private expiresAt = 0;
  private retryAt = 0;
  /** Whether the registrar may hold a binding of ours, which stop() then removes. */
  private bound = false;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    readonly number: string,
    private readonly context: RegistrationContext,
  ) {
    this.aor = addressOfRecord(number, context.registrar.uri);
    this.requestedExpires = context.registrar.expires;
  }

  start(): void {
    if (this.stopped || this.state !== 'none') return;
    this.state = 'pending';
    this.registerNow();
  }

  /** Registers again at once, e.g. after the trunk failed over to another carrier target. */
  registerNow(): void {
    if (this.stopped) return;
    this.clearTimer();
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.register().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.registerNow();
      }
    });
  }

  /** Stops refreshing and removes our binding (Expires: 0, RFC 3261 §10.2.2). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    await this.running;
    const wasRegistered = this.state === 'registered';
    if (this.bound) {
      const response = await this.exchange(0);
      if (response.status >= 300)
        this.context.logger.warn(
          { trunk: this.context.trunk, number: this.number, status: response.status },
          'registrar did not confirm the removal of the binding',
        );
      this.bound = false;
    }
    this.state = 'none';
    if (wasRegistered)
      this.context.emit({ type: 'unregistered', trunk: this.context.trunk, number: this.number });
  }

  view(now: number): NumberRegistrationView {
    const seconds = (at: number) => Math.max(0, Math.ceil((at - now) / 1000));
    return {
      number: this.number,
      register: true,
      state: this.state,
      status: this.state === 'failed' ? this.failure?.status : undefined,
      reason: this.state === 'failed' ? this.failure?.reason : undefined,
      expiresIn: this.state === 'registered' ? seconds(this.expiresAt) : undefined,
      retryIn: this.state === 'failed' ? seconds(this.retryAt) : undefined,
      registrar: formatUri(this.context.registrar.uri),
    };
  }

  private async register(): Promise<void> {
    let response = await this.exchange(this.requestedExpires);
    // RFC 3261 §10.2.8: 423 names the shortest interval the registrar accepts; ask again with it.
    if (response.status === 423 && !this.stopped) {
      const minimum = deltaSeconds(response.headers.get('Min-Expires'));
      if (minimum === undefined || minimum <= this.requestedExpires) {
        return this.failed(423, 'Interval Too Brief without a usable Min-Expires');
      }
      this.requestedExpires = minimum;
      response = await this.exchange(this.requestedExpires);
    }
    if (this.stopped) return;
    if (response.status >= 200 && response.status < 300) return this.registered(response);
    this.failed(response.status, response.reason);
  }

  private registered(response: SipResponse): void {
    const granted = this.grantedExpires(response);
    if (granted === 0) {
      this.bound = false;
      this.failed(response.status, 'registrar granted no time to our Contact');
      return;
    }
    this.bound = true;
    const wasRegistered = this.state === 'registered';
    const now = this.context.clock.now();
    this.state = 'registered';
    this.failure = undefined;
    this.consecutiveFailures = 0;
    this.expiresAt = now + granted * 1000;
    this.schedule(timerMs(refreshAfterSeconds(granted)));
    if (!wasRegistered)
      this.context.emit({
        type: 'registered',
        trunk: this.context.trunk,
        number: this.number,
        expires: granted,
        registrar: formatUri(this.context.registrar.uri),
      });
  }

  private failed(status: number, reason: string): void {
    if (this.stopped) return;
    this.consecutiveFailures++;
    const retryIn = retryAfterSeconds(this.context.registrar.retryRegisterSeconds, this.consecutiveFailures);
    const changed = this.state !== 'failed' || this.failure?.status !== status;
    this.state = 'failed';
    this.failure = { status, reason };
    this.retryAt = this.context.clock.now() + retryIn * 1000;
    this.schedule(timerMs(retryIn));
    if (changed)
      this.context.emit({
        type: 'registration-failed',
        trunk: this.context.trunk,
        number: this.number,
        status,
        reason,
        retryInSeconds: retryIn,
      });
  }

  /**
   * RFC 3261 §10.2.4: the time granted is our Contact's expires parameter in the 2xx, else its
   * Expires header, else what we asked for. A registrar that rewrites Contacts (NAT handling)
   * may list ours changed: a lone Contact is then taken as ours.
   */
  private grantedExpires(response: SipResponse): number {
    const ours = this.context.stack.contact(this.context.target()?.protocol, this.number).uri;
    const contacts = parseContacts(response);
    if (contacts.ok) {
      const named = contacts.value.filter((contact) => contact !== '*');
      const match =
        named.find(
          (contact) =>
            contact.uri.user === ours.user &&
            contact.uri.host === ours.host &&
            contact.uri.port === ours.port,
        ) ?? (named.length === 1 ? named[0] : undefined);
      const fromParam = deltaSeconds(match?.params.expires);
      if (fromParam !== undefined) return fromParam;
    }
    return deltaSeconds(response.headers.get('Expires')) ?? this.requestedExpires;
  }

  /**
   * One REGISTER with its authentication round trips (RFC 3261 §22.2): each request has the
   * same Call-ID and the next CSeq. A fresh challenge answered and refused again without
   * `stale=true` means the credentials are wrong, and ends the exchange.
   */
  private async exchange(expires: number): Promise<SipResponse> {
    let answered = false;
    for (let sent = 1; ; sent++) {
      const request = this.buildRequest(expires);
      this.addCredentials(request);
      const response = await this.send(request);
      const challenged = response.status === 401 || response.status === 407;
      if (!challenged || !this.context.credentials || sent >= MAX_REQUESTS_PER_EXCHANGE) return response;
      if (answered && !isStaleChallenge(response)) return response;
      this.challenges[response.status as 401 | 407] = response;
      if (!this.canAnswer(response, request)) return response;
      answered = true;
    }
  }

  private buildRequest(expires: number): SipRequest {
    const target = this.context.target();
    this.cseq++;
    return createRequest({
      method: 'REGISTER',
      // RFC 3261 §10.2: the Request-URI names the registrar's domain, without user part.
      uri: this.context.registrar.uri,
      from: { uri: this.aor, params: { tag: this.fromTag } },
      to: { uri: this.aor, params: {} },
      callId: this.callId,
      cseq: this.cseq,
      contact: this.context.stack.contact(target?.protocol, this.number),
      headers: [['Expires', String(expires)]],
    });
  }

  private account(realm: string) {
    const credentials = this.context.credentials;
    if (!credentials || (credentials.realm !== undefined && credentials.realm !== realm)) return undefined;
    return { username: credentials.authUsername ?? credentials.username, password: credentials.password };
  }

  private canAnswer(challenge: SipResponse, request: SipRequest): boolean {
    const answer = authorizeRequest({
      response: challenge,
      request,
      account: (realm) => this.account(realm),
    });
    if (!answer.ok)
      this.context.logger.warn(
        { trunk: this.context.trunk, number: this.number, error: answer.error.message },
        'cannot answer the registrar challenge',
      );
    return answer.ok;
  }

  private addCredentials(request: SipRequest): void {
    for (const challenge of [this.challenges[401], this.challenges[407]]) {
      if (!challenge) continue;
      const answer = authorizeRequest({
        response: challenge,
        request,
        account: (realm) => this.account(realm),
        counter: this.counter,
      });
      if (answer.ok)
        for (const value of answer.value.values) request.headers.append(answer.value.name, value);
    }
  }

  /** The final response; the stack synthesizes 408 for a timeout and 503 for a transport failure. */
  private async send(request: SipRequest): Promise<SipResponse> {
    const target = this.context.target();
    let final: SipResponse | undefined;
    try {
      for await (const response of this.context.stack.request(request, target ? { target } : undefined)) {
        if (response.status >= 200) final = response;
      }
    } catch (error) {
      this.context.logger.error(
        { err: error, trunk: this.context.trunk, number: this.number },
        'REGISTER failed',
      );
    }
    return final ?? createResponse(request, 408);
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.stopped) return;
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      this.registerNow();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
