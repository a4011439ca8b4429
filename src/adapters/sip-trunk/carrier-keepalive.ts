/**
 * OPTIONS keepalive toward a carrier (RFC 3261 §11): the proxy URI is resolved into ordered
 * targets (RFC 3263 §4), the current one is probed, and when it stops answering the trunk goes
 * out of service and fails over to the next target (RFC 3263 §4.3) until one answers again.
 */
import {
  type Clock,
  createRequest,
  createResponse,
  type Endpoint,
  generateCallId,
  generateTag,
  type NameAddr,
  type SipLogger,
  type SipResolver,
  type SipResponse,
  type SipStack,
  type TimerHandle,
  type Uri,
} from '../../sip/index.js';
import { MAX_TIMER_MS } from './timing.js';
import type { TrunkEvent } from './trunk-events.js';

export type TrunkServiceState = 'in-service' | 'out-of-service';

export interface OptionsProbeView {
  readonly target: Endpoint;
  /** Final status; 408 when the transaction timed out, 503 when it could not be sent. */
  readonly status: number;
  readonly reason: string;
  readonly rttMs: number;
  readonly secondsAgo: number;
}

export interface KeepaliveSettings {
  readonly intervalMs: number;
  readonly failuresBeforeOutOfService: number;
  readonly retries: number;
}

export interface KeepaliveContext {
  readonly stack: Pick<SipStack, 'request' | 'contact' | 'listening'>;
  readonly resolver: SipResolver;
  readonly clock: Clock;
  readonly logger: SipLogger;
  readonly trunk: string;
  readonly proxy: Uri;
  /** Our From for the probes (the account at the carrier); the stack's Contact when undefined. */
  readonly from: Uri | undefined;
  /** Undefined: no probes, the trunk counts as in service on its first resolved target. */
  readonly settings: KeepaliveSettings | undefined;
  emit(event: TrunkEvent): void;
  /** Each newly resolved target list (the default allow list of inbound sources follows it). */
  onTargets(targets: readonly Endpoint[]): void;
  /** The trunk is in service on a target other than before: registrations move there. */
  onNewTarget(target: Endpoint): void;
}

/** Probe period while no target resolves and no keepalive is configured. */
const RESOLVE_RETRY_MS = 60_000;

/**
 * RFC 3263 §4.3 fails over on a timeout or 503; a keepalive counts every 5xx and 408 as "not
 * answering". Any other response, 4xx and 6xx included (e.g. 405 or 401 to OPTIONS), proves the
 * server is alive.
 */
export function isKeepaliveFailure(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

function sameEndpoint(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  return a?.protocol === b?.protocol && a?.address === b?.address && a?.port === b?.port;
}

export class CarrierKeepalive {
  private targets: readonly Endpoint[] = [];
  private index = 0;
  private serviceState: TrunkServiceState = 'in-service';
  /** Where the trunk was last in service (at first, the first target): where registrations went. */
  private serving: Endpoint | undefined;
  private failures = 0;
  private last: { target: Endpoint; status: number; reason: string; rttMs: number; at: number } | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly context: KeepaliveContext) {}

  get state(): TrunkServiceState {
    return this.serviceState;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The target requests to the carrier go to now. */
  current(): Endpoint | undefined {
    return this.targets[this.index];
  }

  allTargets(): readonly Endpoint[] {
    return this.targets;
  }

  lastProbe(now: number): OptionsProbeView | undefined {
    const last = this.last;
    if (!last) return undefined;
    const { target, status, reason, rttMs } = last;
    return { target, status, reason, rttMs, secondsAgo: Math.max(0, Math.floor((now - last.at) / 1000)) };
  }

  /** Resolves the carrier's targets, then keeps probing; settles once the first resolution is done. */
  async start(): Promise<void> {
    await this.resolve();
    this.serving = this.current();
    void this.cycle(false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One step: resolve when needed, then probe the current target (or just settle on it without probes). */
  private async cycle(resolveFirst: boolean): Promise<void> {
    if (this.stopped) return;
    if (resolveFirst) await this.resolve();
    if (this.stopped) return;
    const target = this.current();
    if (!target) {
      this.goOutOfService(undefined, undefined, 'no carrier target resolved');
      this.schedule(this.context.settings?.intervalMs ?? RESOLVE_RETRY_MS);
      return;
    }
    if (!this.context.settings) {
      this.goInService(target);
      return;
    }
    await this.probe(target, this.context.settings);
  }

  private async resolve(): Promise<void> {
    const supportedTransports = [
      ...new Set(this.context.stack.listening().map((endpoint) => endpoint.protocol)),
    ];
    let targets: Endpoint[] = [];
    try {
      targets = await this.context.resolver.resolve(this.context.proxy, { supportedTransports });
    } catch (error) {
      // The resolver contract is to never reject; a failure here is a bug worth its log line.
      this.context.logger.error({ err: error, trunk: this.context.trunk }, 'carrier resolution failed');
    }
    if (this.stopped) return;
    this.targets = targets;
    this.index = 0;
    this.context.onTargets(targets);
  }

  private async probe(target: Endpoint, settings: KeepaliveSettings): Promise<void> {
    let result = await this.options(target);
    for (
      let retry = 0;
      retry < settings.retries && isKeepaliveFailure(result.status) && !this.stopped;
      retry++
    ) {
      result = await this.options(target);
    }
    if (this.stopped) return;
    this.last = {
      target,
      status: result.status,
      reason: result.reason,
      rttMs: result.rttMs,
      at: this.context.clock.now(),
    };
    if (!isKeepaliveFailure(result.status)) {
      this.failures = 0;
      this.goInService(target);
      this.schedule(settings.intervalMs);
      return;
    }
    this.failures++;
    if (this.serviceState === 'in-service' && this.failures < settings.failuresBeforeOutOfService) {
      this.schedule(settings.intervalMs);
      return;
    }
    // Out of service: every further failure moves on; the first move is tried at once.
    const firstFailover = this.serviceState === 'in-service';
    this.goOutOfService(target, result.status, result.reason);
    const moved = await this.advance(target);
    if (this.stopped) return;
    if (firstFailover && moved) void this.cycle(false);
    else this.schedule(settings.intervalMs);
  }

  /** Moves to the next target, re-resolving after the last one. Returns whether the target changed. */
  private async advance(from: Endpoint): Promise<boolean> {
    this.failures = 0;
    if (this.index + 1 < this.targets.length) this.index++;
    else await this.resolve();
    const to = this.current();
    if (!to || sameEndpoint(from, to)) return false;
    this.context.emit({ type: 'failover', trunk: this.context.trunk, from, to });
    return true;
  }

  private goInService(target: Endpoint): void {
    const wasOut = this.serviceState === 'out-of-service';
    const moved = !sameEndpoint(this.serving, target);
    this.serviceState = 'in-service';
    this.serving = target;
    if (wasOut) this.context.emit({ type: 'in-service', trunk: this.context.trunk, target });
    if (moved) this.context.onNewTarget(target);
  }

  private goOutOfService(target: Endpoint | undefined, status: number | undefined, reason: string): void {
    if (this.serviceState === 'out-of-service') return;
    this.serviceState = 'out-of-service';
    this.context.emit({ type: 'out-of-service', trunk: this.context.trunk, target, status, reason });
  }

  private async options(target: Endpoint): Promise<{ status: number; reason: string; rttMs: number }> {
    const { clock, proxy } = this.context;
    const from: NameAddr = this.context.from
      ? { uri: this.context.from, params: { tag: generateTag() } }
      : { ...this.context.stack.contact(target.protocol), params: { tag: generateTag() } };
    const request = createRequest({
      method: 'OPTIONS',
      uri: proxy,
      from,
      to: { uri: proxy, params: {} },
      callId: generateCallId(),
      cseq: 1,
      headers: [['Accept', 'application/sdp']],
    });
    const sentAt = clock.now();
    let final: SipResponse | undefined;
    try {
      for await (const response of this.context.stack.request(request, { target })) {
        if (response.status >= 200) final = response;
      }
    } catch (error) {
      this.context.logger.error({ err: error, trunk: this.context.trunk }, 'OPTIONS keepalive failed');
    }
    final ??= createResponse(request, 408);
    return { status: final.status, reason: final.reason, rttMs: clock.now() - sentAt };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = this.context.clock.setTimeout(
      () => {
        this.timer = undefined;
        // An empty list is resolved again; otherwise RFC 3263 order holds until a wrap-around re-resolves.
        void this.cycle(this.targets.length === 0);
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  }
}
