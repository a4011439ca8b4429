/**
 * The SIP line adapter: phones register their lines here (the registrar) and call routing
 * finds their contacts here. The server builds it over a running stack and the store.
 */
import type { ConfigSnapshot } from '../../admin/index.js';
import {
  type Clock,
  type DigestAlgorithm,
  type Endpoint,
  type IncomingRequest,
  type SipLogger,
  type SipStack,
  silentLogger,
  systemClock,
} from '../../sip/index.js';
import { type Binding, secondsLeft } from './binding.js';
import { type BindingEvent, LocationService } from './location-service.js';
import type { PersistenceMode, RegistrationPersistence } from './persistence.js';
import { type AdmissionPolicy, Registrar, type RegistrationAttempt } from './registrar.js';
import { DEFAULT_LOCKOUT, type LockoutPolicy, type SourceLockout } from './source-lockout.js';

export interface SipLineAdapterOptions {
  /** Only `onRequest` is used: the adapter answers REGISTER. */
  readonly stack: Pick<SipStack, 'onRequest'>;
  /** Where bindings are persisted (the `Store`). */
  readonly store: RegistrationPersistence;
  /**
   * When a REGISTER's bindings reach the store: before the 200 (`write-through`, the default) or
   * within `writeBackIntervalMs` after it and at `stop` (`write-back`).
   */
  readonly persistence?: PersistenceMode;
  /** Longest wait of a `write-back` change for the store. Default 1000. */
  readonly writeBackIntervalMs?: number;
  /** The current configuration; read once per request. */
  readonly snapshot: () => ConfigSnapshot;
  /** Digest realm (RFC 3261 §22.1); also the domain of the stored AORs (`sip:<dn>@<realm>`). */
  readonly realm: string;
  /** Expiry timers and nonce ages. Default the system clock. */
  readonly clock?: Clock;
  /** Wall time in epoch milliseconds, for the Date header and stored expiry instants. Default Date.now. */
  readonly wallClock?: () => number;
  readonly logger?: SipLogger;
  /** Default 10 failures within 10 minutes lock a source address out for 10 minutes. */
  readonly lockout?: Partial<LockoutPolicy>;
  /** A lockout table shared with the INVITE authenticator; built from `lockout` when absent. */
  readonly sourceLockout?: SourceLockout;
  /** Contacts one line may have at once. Default 10. */
  readonly maxBindingsPerLine?: number;
  /** Offered in this order (RFC 8760 §2.4). Default SHA-256 then MD5. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** Phones registered at once (default unlimited) and auto-registration (default off). */
  readonly admission?: Partial<AdmissionPolicy>;
}

/** One binding as `show registrations` and the API present it. */
export interface RegistrationView {
  readonly aor: string;
  readonly dn: string;
  readonly partition: string;
  readonly phone: string;
  readonly contact: string;
  readonly source: Readonly<Endpoint>;
  /** Seconds until the binding expires. */
  readonly expiresIn: number;
  readonly userAgent: string | null;
  readonly instanceId: string | null;
}

/** Where a line can be reached, for call routing. */
export interface LineContact {
  readonly phone: string;
  readonly contact: string;
  /** Path (RFC 3327) to route through, in order. */
  readonly path: readonly string[];
  /** Where the phone's REGISTER came from: the flow to send requests over behind NAT. */
  readonly source: Readonly<Endpoint>;
  readonly instanceId: string | null;
  readonly expiresIn: number;
}

export interface SipLineStats {
  readonly bindings: number;
  readonly bindingsByLine: readonly {
    readonly dn: string;
    readonly partition: string;
    readonly bindings: number;
  }[];
  readonly authFailures: number;
  readonly lockouts: number;
  /** Source addresses locked out right now. */
  readonly lockedSources: number;
}

export type RegistrationEvent =
  | { readonly type: 'registered'; readonly registration: RegistrationView; readonly refresh: boolean }
  | {
      readonly type: 'unregistered';
      readonly registration: RegistrationView;
      readonly reason: 'removed' | 'expired';
    }
  /** A REGISTER answered for good: accepted, rejected (with the reason) or added by auto-registration. */
  | { readonly type: 'attempt'; readonly attempt: RegistrationAttempt };

export type RegistrationListener<T extends RegistrationEvent['type']> = (
  event: Extract<RegistrationEvent, { type: T }>,
) => void;

export interface SipLineAdapter {
  /** Restores the stored bindings (dropping expired ones), then accepts REGISTER. */
  start(): Promise<void>;
  /** Every live binding, by DN, partition and contact. */
  registrations(): RegistrationView[];
  /** Live contacts of a DN, in one partition or in every one. */
  lookup(dn: string, partition?: string): LineContact[];
  stats(): SipLineStats;
  /** Subscribes to binding changes; returns the unsubscribe function. */
  on<T extends RegistrationEvent['type']>(type: T, listener: RegistrationListener<T>): () => void;
  /**
   * Refuses REGISTER again (503), waits for changes in progress, disarms the timers and writes
   * what waits for a write-back. Rejects when that last write fails.
   */
  stop(): Promise<void>;
}

const DEFAULT_MAX_BINDINGS_PER_LINE = 10;
/** REGISTERs of one line queued behind the store at once. */
const MAX_PENDING_PER_LINE = 16;
/** RFC 3261 §21.5.4: while not serving, ask phones to come back shortly. */
const RETRY_AFTER_SECONDS = '5';

export function createSipLineAdapter(options: SipLineAdapterOptions): SipLineAdapter {
  const clock = options.clock ?? systemClock;
  const wallClock = options.wallClock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const lockout: LockoutPolicy = { ...DEFAULT_LOCKOUT, ...options.lockout };
  const maxBindingsPerLine = options.maxBindingsPerLine ?? DEFAULT_MAX_BINDINGS_PER_LINE;
  const listeners = new Set<{
    type: RegistrationEvent['type'];
    listener: (event: RegistrationEvent) => void;
  }>();
  const aorOf = (binding: Binding) => `sip:${binding.line.dn}@${options.realm}`;

  const view = (binding: Binding, now: number): RegistrationView => ({
    aor: aorOf(binding),
    dn: binding.line.dn,
    partition: binding.line.partition,
    phone: binding.phone,
    contact: binding.contact,
    source: binding.source,
    expiresIn: secondsLeft(binding, now),
    userAgent: binding.userAgent,
    instanceId: binding.instanceId,
  });

  const publish = (published: RegistrationEvent) => {
    for (const entry of listeners) {
      if (entry.type !== published.type) continue;
      try {
        entry.listener(published);
      } catch (error) {
        logger.error({ err: error, event: published.type }, 'registration listener failed');
      }
    }
  };

  const emit = (event: BindingEvent) => {
    if (event.type === 'unregistered') registrar.bindingRemoved(event.binding.phone);
    else if (!event.refresh) registrar.bindingAdded(event.binding.phone);
    const registration = view(event.binding, clock.now());
    const published: RegistrationEvent =
      event.type === 'registered'
        ? { type: 'registered', registration, refresh: event.refresh }
        : { type: 'unregistered', registration, reason: event.reason };
    if (published.type === 'registered' && !published.refresh)
      logger.info(
        { dn: registration.dn, phone: registration.phone, contact: registration.contact },
        'line registered',
      );
    if (published.type === 'unregistered')
      logger.info(
        { dn: registration.dn, phone: registration.phone, reason: published.reason },
        'line unregistered',
      );
    publish(published);
  };

  const location = new LocationService({
    persistence: options.store,
    clock,
    wallClock,
    logger,
    domain: options.realm,
    maxBindingsPerLine,
    mode: options.persistence,
    ...(options.writeBackIntervalMs === undefined
      ? {}
      : { writeBack: { intervalMs: options.writeBackIntervalMs } }),
    maxPendingPerLine: MAX_PENDING_PER_LINE,
    emit,
  });
  const registrar = new Registrar({
    location,
    snapshot: options.snapshot,
    clock,
    wallClock,
    logger,
    realm: options.realm,
    algorithms: options.algorithms ?? ['SHA-256', 'MD5'],
    lockout,
    sourceLockout: options.sourceLockout,
    maxBindingsPerLine,
    admission: { maxPhones: Number.POSITIVE_INFINITY, ...options.admission },
    onAttempt: (attempt) => publish({ type: 'attempt', attempt }),
  });

  let state: 'created' | 'running' | 'stopped' = 'created';
  options.stack.onRequest('REGISTER', (incoming: IncomingRequest) => {
    if (state === 'running') return registrar.handle(incoming);
    incoming.reply(503, undefined, { headers: [['Retry-After', RETRY_AFTER_SECONDS]] });
  });

  return {
    async start() {
      if (state !== 'created') throw new Error(`the SIP line adapter cannot start when ${state}`);
      const { restored, dropped } = await location.restore(options.snapshot());
      for (const binding of location.all()) registrar.bindingAdded(binding.phone);
      logger.info({ restored, dropped }, 'registrations restored');
      state = 'running';
    },

    registrations() {
      const now = clock.now();
      const views: RegistrationView[] = [];
      for (const binding of location.all()) if (binding.expiresAt > now) views.push(view(binding, now));
      return views.sort(
        (a, b) => compare(a.dn, b.dn) || compare(a.partition, b.partition) || compare(a.contact, b.contact),
      );
    },

    lookup(dn, partition) {
      const now = clock.now();
      return location.lookup(dn, partition).map((binding) => ({
        phone: binding.phone,
        contact: binding.contact,
        path: binding.path,
        source: binding.source,
        instanceId: binding.instanceId,
        expiresIn: secondsLeft(binding, now),
      }));
    },

    stats() {
      const byLine = new Map<string, { dn: string; partition: string; bindings: number }>();
      for (const binding of location.all()) {
        const key = `${binding.line.partition}\u0000${binding.line.dn}`;
        const entry = byLine.get(key);
        if (entry) entry.bindings++;
        else byLine.set(key, { dn: binding.line.dn, partition: binding.line.partition, bindings: 1 });
      }
      return {
        bindings: location.size,
        bindingsByLine: [...byLine.values()],
        authFailures: registrar.counters.authFailures,
        lockouts: registrar.counters.lockouts,
        lockedSources: registrar.lockedSources(),
      };
    },

    on(type, listener) {
      const entry = { type, listener: listener as (event: RegistrationEvent) => void };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },

    async stop() {
      state = 'stopped';
      await location.stop();
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
