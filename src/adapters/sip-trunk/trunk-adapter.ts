/**
 * The SIP trunk adapter, carrier-facing side: keeps each trunk registered and probed, knows
 * which sources are carriers, and shows it all. The server builds it over the running stack.
 */
import {
  type Clock,
  createResolver,
  type Endpoint,
  type IncomingRequest,
  RateLimitedLog,
  type SipLogger,
  type SipResolver,
  type SipStack,
  silentLogger,
  systemClock,
} from '../../sip/index.js';
import { admitInbound, type InboundAdmission, type InboundAuthenticator } from './inbound-access.js';
import { Trunk } from './trunk.js';
import { type ResolvedTrunkConfig, resolveTrunkConfig, type TrunkConfig } from './trunk-config.js';
import { type TrunkEventListener, TrunkEvents } from './trunk-events.js';
import { type RegisterStatusRow, registerStatusRows, type TrunkStatusView } from './trunk-status.js';

export interface TrunkAdapterOptions {
  /** Requests go out through it; `contact()` and `listening()` tell our address and transports. */
  readonly stack: Pick<SipStack, 'request' | 'contact' | 'listening'>;
  /** The configured trunks; read at start and at each reload. */
  readonly trunks: () => readonly TrunkConfig[];
  readonly clock?: Clock;
  readonly logger?: SipLogger;
  /** RFC 3263 resolution of carrier proxies; default node:dns. */
  readonly resolver?: SipResolver;
  /** Longest time stop() waits for registrars to confirm the removal of our bindings. Default 5 s. */
  readonly stopTimeoutMs?: number;
}

export interface TrunkAdapter {
  /** Resolves every trunk's carrier, starts the keepalives and registers the numbers. */
  start(): void;
  /** Reads the trunks again: removed or changed ones stop (unregistering), new or changed ones start. */
  reload(): Promise<void>;
  /** Stops every trunk and removes its registrations, waiting at most `stopTimeoutMs`. */
  stop(): Promise<void>;
  status(): TrunkStatusView[];
  /** `show sip-ua register status`. */
  registerStatus(): RegisterStatusRow[];
  /** The checked configuration of a running trunk (codecs, supplementary services … for call handling). */
  trunkConfig(name: string): ResolvedTrunkConfig | undefined;
  /** The trunk whose carrier the address belongs to, if any. */
  isTrustedSource(source: Pick<Endpoint, 'address'>): string | undefined;
  /**
   * For handlers of requests from carriers: the trunk the request belongs to, by source address
   * or by the authenticator's verdict; undefined when the request has been answered (403).
   */
  admitInbound(incoming: IncomingRequest, authenticate?: InboundAuthenticator): InboundAdmission | undefined;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onEvent(listener: TrunkEventListener): () => void;
}

const DEFAULT_STOP_TIMEOUT_MS = 5000;

export function createTrunkAdapter(options: TrunkAdapterOptions): TrunkAdapter {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const resolver = options.resolver ?? createResolver({ clock });
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const events = new TrunkEvents(logger);
  const untrustedLog = new RateLimitedLog(logger, () => clock.now());
  const dependencies = { stack: options.stack, resolver, clock, logger, events };
  /** Running trunks, by name, in configuration order. */
  let running = new Map<string, Trunk>();
  let state: 'created' | 'running' | 'stopped' = 'created';
  /** Reloads and stop run one after another. */
  let queue: Promise<void> = Promise.resolve();

  const serialized = (task: () => Promise<void>): Promise<void> => {
    queue = queue.then(task, task);
    return queue;
  };

  /** The configured trunks that check out; the others are logged and left out, never thrown. */
  function readConfigs(): ResolvedTrunkConfig[] {
    let configs: readonly TrunkConfig[];
    try {
      configs = options.trunks();
    } catch (error) {
      logger.error({ err: error }, 'trunk configuration could not be read');
      return [];
    }
    const accepted: ResolvedTrunkConfig[] = [];
    const names = new Set<string>();
    for (const config of configs) {
      const resolved = resolveTrunkConfig(config);
      if (!resolved.ok) {
        logger.error({ trunk: config.name, errors: resolved.errors }, 'trunk configuration refused');
      } else if (names.has(resolved.value.name)) {
        logger.error({ trunk: resolved.value.name }, 'trunk name used twice; the later trunk is left out');
      } else {
        names.add(resolved.value.name);
        accepted.push(resolved.value);
      }
    }
    return accepted;
  }

  function startTrunk(config: ResolvedTrunkConfig): Trunk {
    const trunk = new Trunk(config, dependencies);
    trunk.start();
    return trunk;
  }

  /** Waits for the trunks to stop, but no longer than stopTimeoutMs (a dead registrar takes 64*T1). */
  async function stopTrunks(trunks: readonly Trunk[]): Promise<void> {
    if (trunks.length === 0) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = clock.setTimeout(() => {
        logger.warn(
          { trunks: trunks.map((trunk) => trunk.name) },
          'trunks stopped before registrars confirmed',
        );
        resolve();
      }, stopTimeoutMs);
    });
    await Promise.race([Promise.all(trunks.map((trunk) => trunk.stop())).then(() => undefined), deadline]);
    if (timer !== undefined) clock.clearTimeout(timer);
  }

  return {
    start() {
      if (state !== 'created') throw new Error(`the trunk adapter cannot start when ${state}`);
      state = 'running';
      for (const config of readConfigs()) running.set(config.name, startTrunk(config));
    },

    reload() {
      return serialized(async () => {
        if (state !== 'running') return;
        const configs = readConfigs();
        const next = new Map<string, Trunk>();
        const retired: Trunk[] = [];
        const wanted = new Map(configs.map((config) => [config.name, config]));
        for (const [name, trunk] of running) {
          const config = wanted.get(name);
          if (config && JSON.stringify(config.config) === JSON.stringify(trunk.config.config))
            next.set(name, trunk);
          else retired.push(trunk);
        }
        // Bindings of a changed trunk are removed before its new registrations start.
        await stopTrunks(retired);
        if (state !== 'running') return;
        for (const config of configs) if (!next.has(config.name)) next.set(config.name, startTrunk(config));
        running = new Map(configs.map((config) => [config.name, next.get(config.name) as Trunk]));
      });
    },

    stop() {
      return serialized(async () => {
        if (state === 'stopped') return;
        state = 'stopped';
        const trunks = [...running.values()];
        running = new Map();
        await stopTrunks(trunks);
      });
    },

    status() {
      const now = clock.now();
      return [...running.values()].map((trunk) => trunk.view(now));
    },

    registerStatus() {
      return registerStatusRows(this.status());
    },

    trunkConfig(name) {
      return running.get(name)?.config;
    },

    isTrustedSource(source) {
      for (const trunk of running.values()) if (trunk.trusts(source.address)) return trunk.name;
      return undefined;
    },

    admitInbound(incoming, authenticate) {
      return admitInbound(
        incoming,
        (address) => this.isTrustedSource({ address }),
        authenticate,
        untrustedLog,
      );
    },

    onEvent(listener) {
      return events.on(listener);
    },
  };
}
