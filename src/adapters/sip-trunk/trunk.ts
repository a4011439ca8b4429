/** One running trunk: its keepalive, its numbers' registrations and the sources it trusts. */
import type { Clock, SipLogger, SipResolver, SipStack } from '../../sip/index.js';
import { CarrierKeepalive } from './carrier-keepalive.js';
import { addressOfRecord, sameCarrier } from './carrier-uri.js';
import { NumberRegistration, type NumberRegistrationView } from './number-registration.js';
import { parseSourceRule, SourceAllowList } from './source-allow-list.js';
import type { ResolvedTrunkConfig } from './trunk-config.js';
import type { TrunkEvents } from './trunk-events.js';
import type { TrunkStatusView } from './trunk-status.js';

export interface TrunkDependencies {
  readonly stack: Pick<SipStack, 'request' | 'contact' | 'listening'>;
  readonly resolver: SipResolver;
  readonly clock: Clock;
  readonly logger: SipLogger;
  readonly events: TrunkEvents;
}

export class Trunk {
  private readonly keepalive: CarrierKeepalive;
  private readonly registrations: NumberRegistration[] = [];
  private allowList: SourceAllowList;

  constructor(
    readonly config: ResolvedTrunkConfig,
    dependencies: TrunkDependencies,
  ) {
    const { stack, resolver, clock, logger, events } = dependencies;
    const emit = events.emit.bind(events);
    const username = config.credentials?.username;
    this.allowList = new SourceAllowList(config.allowedSources ?? []);
    this.keepalive = new CarrierKeepalive({
      stack,
      resolver,
      clock,
      logger,
      trunk: config.name,
      proxy: config.proxy,
      from: username === undefined ? undefined : addressOfRecord(username, config.proxy),
      settings: config.keepalive,
      emit,
      onTargets: (targets) => {
        // A failed lookup keeps the last addresses: a DNS hiccup must not lock the carrier out.
        if (config.allowedSources === undefined && targets.length > 0)
          this.allowList = new SourceAllowList(
            targets.flatMap((target) => parseSourceRule(target.address) ?? []),
          );
      },
      onNewTarget: () => {
        for (const registration of this.registrations) registration.registerNow();
      },
    });
    const registrar = config.registrar;
    if (registrar) {
      // A registrar that is the proxy follows the keepalive's failover; another one is resolved by the stack.
      const followsProxy = sameCarrier(registrar.uri, config.proxy);
      for (const entry of config.numbers) {
        if (!entry.register) continue;
        this.registrations.push(
          new NumberRegistration(entry.number, {
            stack,
            clock,
            logger,
            trunk: config.name,
            registrar,
            credentials: config.credentials,
            target: () => (followsProxy ? this.keepalive.current() : undefined),
            emit,
          }),
        );
      }
    }
  }

  get name(): string {
    return this.config.name;
  }

  start(): void {
    // Registrations that follow the proxy need its targets first.
    void this.keepalive.start().then(() => {
      for (const registration of this.registrations) registration.start();
    });
  }

  /** Stops probing and removes every binding this trunk holds at the registrar. */
  async stop(): Promise<void> {
    this.keepalive.stop();
    await Promise.all(this.registrations.map((registration) => registration.stop()));
  }

  trusts(address: string): boolean {
    return this.allowList.has(address);
  }

  view(now: number): TrunkStatusView {
    const registered = new Map(this.registrations.map((registration) => [registration.number, registration]));
    const numbers: NumberRegistrationView[] = this.config.numbers.map(
      (entry) => registered.get(entry.number)?.view(now) ?? unregisteredView(entry.number, entry.register),
    );
    return {
      name: this.config.name,
      state: this.keepalive.state,
      target: this.keepalive.current(),
      targets: this.keepalive.allTargets(),
      consecutiveFailures: this.keepalive.consecutiveFailures,
      lastOptions: this.keepalive.lastProbe(now),
      numbers,
    };
  }
}

/** A number that is never registered: `no-reg`, or a trunk without registrar. */
function unregisteredView(number: string, register: boolean): NumberRegistrationView {
  return {
    number,
    register,
    state: 'none',
    status: undefined,
    reason: undefined,
    expiresIn: undefined,
    retryIn: undefined,
    registrar: undefined,
  };
}
