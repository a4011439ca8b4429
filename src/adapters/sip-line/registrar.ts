/**
 * The REGISTER handler of the line adapter (RFC 3261 §10.3): authenticates the phone by digest
 * (RFC 3261 §22, RFC 8760), checks that the AOR is one of its lines, and hands the binding
 * change to the location service. Every input is answered; nothing here throws.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigSnapshot, LineAppearanceSnapshot, PhoneSnapshot } from '../../admin/index.js';
import {
  type Clock,
  checkRequestSemantics,
  createDigestServer,
  type DigestAlgorithm,
  type DigestSecret,
  type DigestServer,
  type IncomingRequest,
  parseContacts,
  quoteString,
  type SipLogger,
  type Uri,
} from '../../sip/index.js';
import { type Binding, secondsLeft } from './binding.js';
import { readBindingRequest } from './binding-request.js';
import type { LocationService } from './location-service.js';
import { type LockoutPolicy, SourceLockout } from './source-lockout.js';

export interface RegistrarOptions {
  readonly location: LocationService;
  readonly snapshot: () => ConfigSnapshot;
  readonly clock: Clock;
  readonly wallClock: () => number;
  readonly logger: SipLogger;
  readonly realm: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly lockout: LockoutPolicy;
  readonly maxBindingsPerLine: number;
}

export interface RegistrarCounters {
  /** Credentials that did not verify (wrong password, unknown user, forged or replayed). */
  authFailures: number;
  /** Times a source address was locked out. */
  lockouts: number;
}

/** User-Agent is kept for display only; a longer one is cut rather than stored whole. */
const MAX_USER_AGENT_LENGTH = 256;

/** Option tags the registrar implements (RFC 3261 §8.2.2.3). */
const SUPPORTED = ['path'];

export class Registrar {
  readonly counters: RegistrarCounters = { authFailures: 0, lockouts: 0 };
  private readonly digest: DigestServer;
  private readonly lockout: SourceLockout;
  /**
   * Unknown users and phones without a password are checked against a secret nobody knows, so
   * that they take the same path, and about the same time, as a wrong password: the answers
   * never tell whether a user name exists.
   */
  private readonly decoy: DigestSecret = { password: randomBytes(24).toString('base64url') };

  constructor(private readonly options: RegistrarOptions) {
    this.digest = createDigestServer({
      realm: options.realm,
      algorithms: options.algorithms,
      clock: options.clock,
    });
    this.lockout = new SourceLockout(options.lockout);
  }

  lockedSources(): number {
    return this.lockout.lockedCount(this.options.clock.now());
  }

  async handle(incoming: IncomingRequest): Promise<void> {
    const { request, info } = incoming;
    const { clock, logger } = this.options;
    const source = info.source.address;
    if (this.lockout.isLocked(source, clock.now())) {
      incoming.reply(403);
      return;
    }
    // RFC 3261 §10.3 step 2: Require, and the grammar of Expires and Contact, before anything else.
    const rejection = checkRequestSemantics(request, { supported: SUPPORTED });
    if (rejection !== undefined) {
      incoming.reply(rejection.status, rejection.reason, { headers: rejection.headers });
      return;
    }

    // RFC 3261 §10.3 step 3: authenticate.
    const snapshot = this.options.snapshot();
    const verdict = this.digest.verify(request, {
      proxy: false,
      lookup: (username) => this.secretOf(snapshot, username),
    });
    if (verdict.status === 'missing' || verdict.status === 'stale') {
      this.challenge(incoming, verdict.status === 'stale');
      return;
    }
    if (verdict.status === 'invalid') {
      this.authenticationFailed(incoming, verdict.reason);
      return;
    }
    const phone = snapshot.phonesBySipUsername.get(verdict.username);
    if (phone === undefined) {
      this.challenge(incoming, false);
      return;
    }

    // RFC 3261 §10.3 step 4: the authenticated phone may only register its own lines.
    const appearance = lineFor(phone, request.to.uri);
    if (appearance === undefined) {
      logger.debug(
        { phone: phone.name, to: request.to.uri.user, source },
        'REGISTER for a line not on the phone',
      );
      incoming.reply(403);
      return;
    }

    const contacts = parseContacts(request);
    if (!contacts.ok) {
      incoming.reply(400, 'Bad Contact');
      return;
    }
    const requested = readBindingRequest(
      request,
      contacts.value,
      snapshot.registrar,
      this.options.maxBindingsPerLine,
    );
    if (requested.kind === 'reject') {
      incoming.reply(requested.status, requested.reason, { headers: requested.headers });
      return;
    }
    const path = requested.kind === 'update' ? request.headers.getAll('Path') : [];
    const result = await this.options.location.change({
      line: { dn: appearance.line.dn, partition: appearance.line.partition },
      phone: phone.name,
      request: requested,
      callId: request.callId,
      cseq: request.cseq.seq,
      userAgent: request.headers.get('User-Agent')?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      path,
      source: info.source,
    });
    if (!result.ok) {
      incoming.reply(result.status, result.reason);
      return;
    }
    incoming.reply(200, undefined, {
      headers: this.okHeaders(result.bindings, path, request.headers.getAll('Supported')),
    });
  }

  private secretOf(snapshot: ConfigSnapshot, username: string): DigestSecret {
    const phone = snapshot.phonesBySipUsername.get(username);
    if (phone === undefined || phone.protocol !== 'sip' || phone.sipPassword === null) return this.decoy;
    return { password: phone.sipPassword };
  }

  private challenge(incoming: IncomingRequest, stale: boolean): void {
    const challenge = this.digest.challenge({ proxy: false, stale });
    incoming.reply(challenge.status, undefined, {
      headers: challenge.values.map((value): [string, string] => [challenge.name, value]),
    });
  }

  /**
   * RFC 3261 §22.1: bad credentials are challenged again; too many from one source address
   * lock it out (403 to everything it sends) for a while.
   */
  private authenticationFailed(incoming: IncomingRequest, reason: string): void {
    const { clock, logger, lockout } = this.options;
    const source = incoming.info.source.address;
    this.counters.authFailures++;
    if (this.lockout.recordFailure(source, clock.now())) {
      this.counters.lockouts++;
      logger.warn(
        { source, failures: lockout.failures, windowMs: lockout.windowMs, durationMs: lockout.durationMs },
        'REGISTER source locked out after repeated authentication failures',
      );
      incoming.reply(403);
      return;
    }
    logger.debug({ source, reason }, 'REGISTER authentication failed');
    this.challenge(incoming, false);
  }

  /** RFC 3261 §10.3 step 8: every current binding with its expiry, and the registrar's Date. */
  private okHeaders(
    bindings: readonly Binding[],
    path: readonly string[],
    supported: readonly string[],
  ): [string, string][] {
    const now = this.options.clock.now();
    const headers: [string, string][] = bindings.map((binding) => ['Contact', formatBinding(binding, now)]);
    // RFC 3327 §5.3: the stored Path goes back to a UA that said it supports path.
    if (supported.includes('path')) for (const value of path) headers.push(['Path', value]);
    headers.push(['Date', new Date(this.options.wallClock()).toUTCString()]);
    return headers;
  }
}

/** The phone's appearance of the line a REGISTER's To names, if it has one. */
function lineFor(phone: PhoneSnapshot, to: Uri): LineAppearanceSnapshot | undefined {
  if ((to.scheme !== 'sip' && to.scheme !== 'sips') || to.user === undefined) return undefined;
  return phone.lines.find((appearance) => appearance.line.dn === to.user);
}

function formatBinding(binding: Binding, now: number): string {
  const instance = binding.instanceId === null ? '' : `;+sip.instance=${quoteString(binding.instanceId)}`;
  return `<${binding.contact}>;expires=${secondsLeft(binding, now)}${instance}`;
}
