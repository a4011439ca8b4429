/**
 * The REGISTER handler of the line adapter (RFC 3261 §10.3): authenticates the phone by digest
 * (RFC 3261 §22, RFC 8760), checks that the device is the one configured (MAC, model: R-REG-24)
 * and that the node takes one more phone, checks that the AOR is one of its lines, and hands
 * the binding change to the location service. A device that is not configured is refused
 * (R-REG-01, R-REG-20) or, with auto-registration, added. Every attempt that is answered for
 * good is reported with its outcome and reason. Every input is answered; nothing here throws.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigSnapshot, LineAppearanceSnapshot, PhoneSnapshot } from '../../admin/index.js';
import {
  type Clock,
  type Contact,
  checkRequestSemantics,
  createDigestServer,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestSecret,
  type DigestServer,
  type DigestVerifyOptions,
  digestHa1,
  type Endpoint,
  type IncomingRequest,
  ownedText,
  parseContacts,
  quoteString,
  type Result,
  type SipLogger,
  type Uri,
  unquote,
} from '../../sip/index.js';
import { type Binding, secondsLeft } from './binding.js';
import { type BindingRequest, type RequestedContact, readBindingRequest } from './binding-request.js';
import { type DeviceIdentity, identifyDevice, modelMismatch } from './device-identity.js';
import type { ChangeResult, LocationService } from './location-service.js';
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
  /** Shared with the INVITE authenticator, so that guessing through either counts. */
  readonly sourceLockout?: SourceLockout;
  readonly maxBindingsPerLine: number;
  readonly admission: AdmissionPolicy;
  /** Told of every attempt answered for good (not of challenges that are part of the handshake). */
  readonly onAttempt: (attempt: RegistrationAttempt) => void;
}

/** Which devices the registrar takes beyond a valid login. */
export interface AdmissionPolicy {
  /** Phones registered at once; a further phone gets 503 and tries its next node. */
  readonly maxPhones: number;
  /** Absent: a device that is not configured is refused (auto-registration off, R-REG-02). */
  readonly autoRegistration?: AutoRegistrationHook;
}

/** What a device that is not configured meets when auto-registration is on. */
export interface AutoRegistrationHook {
  /** The credentials unconfigured phones register with (DEMO or site-specific, never a phone's). */
  readonly account: { readonly username: string; readonly password: string };
  add(device: UnknownDevice): Promise<AutoRegistrationResult>;
}

export interface UnknownDevice {
  /** `SEP<MAC>`. */
  readonly name: string;
  readonly identity: DeviceIdentity;
  readonly source: Readonly<Endpoint>;
}

export type AutoRegistrationResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string };

/**
 * Why a REGISTER was refused (the seed's rejection reasons, R-REG-28): `unknown-device` (not
 * configured, auto-registration off), `version-error` (another model than configured),
 * `mac-mismatch` (credentials of another phone), `max-phones`, `bad-credentials`,
 * `line-not-on-phone`, `bad-request` (a malformed or refused binding), `registrar-error`
 * (the store), `auto-registration-failed`.
 */
export type RejectionReason =
  | 'unknown-device'
  | 'version-error'
  | 'mac-mismatch'
  | 'max-phones'
  | 'bad-credentials'
  | 'line-not-on-phone'
  | 'bad-request'
  | 'registrar-error'
  | 'auto-registration-failed';

/** One REGISTER's final outcome: `added` is a device just created by auto-registration. */
export interface RegistrationAttempt {
  /** Wall time, epoch milliseconds. */
  readonly at: number;
  /** The configured phone, or `SEP<MAC>` of a device that is not, or null when neither is known. */
  readonly device: string | null;
  readonly identity: DeviceIdentity;
  readonly source: Readonly<Endpoint>;
  /** The line the To header names. */
  readonly line: string | null;
  readonly result: 'accepted' | 'rejected' | 'added';
  readonly status: number;
  readonly reason: RejectionReason | null;
  /** For people: what was wrong, naming the values involved. */
  readonly detail: string;
  /** Seconds granted to the longest binding of an accepted update; 0 for removals and queries. */
  readonly expires: number;
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
/** RFC 3261 §20.43: 399 is the miscellaneous warning, its text for people. */
const WARNING_CODE = 399;
/** Cisco device names: SEP and the 12 hex digits of the MAC (R-REG-03). */
const SEP_NAME = /^SEP[0-9A-F]{12}$/;

/** What one REGISTER established before it is answered; fields filled in as it is checked. */
interface Attempt {
  readonly incoming: IncomingRequest;
  readonly identity: DeviceIdentity;
  readonly contacts: Result<Contact[]>;
  readonly line: string | null;
  device: string | null;
}

export class Registrar {
  readonly counters: RegistrarCounters = { authFailures: 0, lockouts: 0 };
  private readonly digest: DigestServer;
  private readonly lockout: SourceLockout;
  /**
   * Unknown users and phones without a password are checked against a secret nobody knows, so
   * that they take the same path, and about the same time, as a wrong password: the answers
   * never tell whether a user name exists.
   */
  private readonly decoy: HashedSecret = { ha1: {} };
  private readonly decoyPassword = randomBytes(24).toString('base64url');
  /**
   * Each configured phone's password in HA1 form (RFC 7616 §3.4.2), per hash, computed at the
   * first REGISTER that uses the hash rather than at every one, by SIP username: one lookup
   * finds the phone and its secret. Only for the snapshot named here: a new configuration starts
   * an empty table, so a changed password is never answered from it, and it never holds more
   * entries than the snapshot has phones.
   */
  private credentials: { snapshot: ConfigSnapshot | undefined; byUsername: Map<string, PhoneCredential> } = {
    snapshot: undefined,
    byUsername: new Map(),
  };
  /**
   * How `verify` is called, with the digest lookup, made once rather than per REGISTER: `verify`
   * calls the lookup synchronously, so the snapshot of the REGISTER being verified and the user
   * name it claimed travel in the two fields below.
   */
  private readonly verifyOptions: DigestVerifyOptions = {
    proxy: false,
    lookup: (username, _realm, hash) => this.secretOf(username, hash),
  };
  private verifying: ConfigSnapshot | undefined;
  private claimed: string | undefined;
  /** The Date value of the last 200 and the wall-clock second it names: one string per second. */
  private dateValue = { second: Number.NaN, text: '' };
  /** Live bindings per phone, kept by the adapter's binding events: the phones registered here. */
  private readonly bindingsByPhone = new Map<string, number>();

  constructor(private readonly options: RegistrarOptions) {
    this.digest = createDigestServer({
      realm: options.realm,
      algorithms: options.algorithms,
      clock: options.clock,
    });
    this.lockout = options.sourceLockout ?? new SourceLockout(options.lockout);
  }

  lockedSources(): number {
    return this.lockout.lockedCount(this.options.clock.now());
  }

  /**
   * Answers one REGISTER. Synchronous unless the store or auto-registration is waited for: in
   * write-back mode a REGISTER is answered without a turn of the event loop or a promise.
   */
  handle(incoming: IncomingRequest): void | Promise<void> {
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
    // RFC 3261 §10.3 step 3: authenticate, as a configured phone or as the auto-registration account.
    const snapshot = this.options.snapshot();
    const auto = this.options.admission.autoRegistration;
    this.verifying = snapshot;
    this.claimed = undefined;
    const verdict = this.digest.verify(request, this.verifyOptions);
    const claimed = this.claimed;
    this.verifying = undefined;
    if (verdict.status === 'missing' || verdict.status === 'stale') {
      this.challenge(incoming, verdict.status === 'stale', true);
      return;
    }
    // Read only now: half of all REGISTERs are the bare first one of the handshake, answered above.
    const contacts = parseContacts(request);
    const attempt: Attempt = {
      incoming,
      identity: identifyDevice(request, contacts.ok ? instanceOf(contacts.value) : null),
      contacts,
      line: lineUser(request.to.uri),
      device: null,
    };
    const named = attempt.identity.deviceName;
    const unknown = named !== null && !snapshot.phones.has(named);
    if (verdict.status === 'invalid') {
      attempt.device = (claimed && snapshot.phonesBySipUsername.get(claimed)?.name) || named;
      // R-REG-01, R-REG-20: a device that names itself and is not configured is refused at once.
      if (unknown && auto === undefined) {
        this.countFailure(source);
        this.refuse(
          attempt,
          403,
          'Unknown Device',
          'unknown-device',
          `${named} is not configured and auto-registration is off`,
        );
        return;
      }
      this.refuse(
        attempt,
        401,
        undefined,
        'bad-credentials',
        `credentials of ${claimed ?? 'nobody'} did not verify (${verdict.reason})`,
        true,
      );
      this.authenticationFailed(incoming, verdict.reason);
      return;
    }
    const phone = snapshot.phonesBySipUsername.get(verdict.username);
    if (phone === undefined) {
      if (auto !== undefined && verdict.username === auto.account.username)
        return this.autoRegister(attempt, auto, named, unknown);
      this.challenge(incoming, false, false);
      return;
    }
    attempt.device = phone.name;
    if (!this.admitted(attempt, phone)) return;

    // RFC 3261 §10.3 step 4: the authenticated phone may only register its own lines.
    const appearance = lineFor(phone, request.to.uri);
    if (appearance === undefined) {
      logger.debug(
        { phone: phone.name, to: request.to.uri.user, source },
        'REGISTER for a line not on the phone',
      );
      this.refuse(
        attempt,
        403,
        undefined,
        'line-not-on-phone',
        `line ${attempt.line ?? '(none)'} is not on ${phone.name}`,
      );
      return;
    }

    if (!contacts.ok) {
      this.refuse(attempt, 400, 'Bad Contact', 'bad-request', contacts.error.message);
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
      this.report(
        attempt,
        'rejected',
        requested.status,
        'bad-request',
        requested.reason ?? 'binding refused',
      );
      return;
    }
    const expires = requested.kind === 'update' ? longestExpiry(requested.contacts) : 0;
    if (
      this.bindingsByPhone.size >= this.options.admission.maxPhones &&
      expires > 0 &&
      !this.bindingsByPhone.has(phone.name)
    ) {
      // RFC 3261 §21.5.4 without Retry-After: the phone tries the next node of its group.
      this.refuse(
        attempt,
        503,
        'Too Many Phones',
        'max-phones',
        `this node takes at most ${this.options.admission.maxPhones} phones`,
      );
      return;
    }
    const path = requested.kind === 'update' ? request.headers.getAll('Path') : [];
    const result = this.options.location.change({
      line: { dn: appearance.line.dn, partition: appearance.line.partition },
      phone: phone.name,
      request: requested,
      callId: request.callId,
      cseq: request.cseq.seq,
      userAgent: request.headers.get('User-Agent')?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      path,
      source: info.source,
    });
    if (!(result instanceof Promise)) {
      this.answerChange(attempt, result, requested.kind, expires, path);
      return;
    }
    return result.then((settled) => this.answerChange(attempt, settled, requested.kind, expires, path));
  }

  /** RFC 3261 §10.3 step 8: the outcome of the binding change, answered and reported. */
  private answerChange(
    attempt: Attempt,
    result: ChangeResult,
    kind: Exclude<BindingRequest['kind'], 'reject'>,
    expires: number,
    path: readonly string[],
  ): void {
    const { incoming } = attempt;
    if (!result.ok) {
      const headers: [string, string][] =
        result.retryAfter === undefined ? [] : [['Retry-After', String(result.retryAfter)]];
      incoming.reply(result.status, result.reason, { headers });
      this.report(attempt, 'rejected', result.status, 'registrar-error', result.reason);
      return;
    }
    incoming.reply(200, undefined, {
      headers: this.okHeaders(result.bindings, path, incoming.request.headers.getAll('Supported')),
    });
    this.report(attempt, 'accepted', 200, null, kind, expires);
  }

  /** Phones registered on this node right now: count a binding that appears. */
  bindingAdded(phone: string): void {
    this.bindingsByPhone.set(phone, (this.bindingsByPhone.get(phone) ?? 0) + 1);
  }

  bindingRemoved(phone: string): void {
    const count = (this.bindingsByPhone.get(phone) ?? 0) - 1;
    if (count > 0) this.bindingsByPhone.set(phone, count);
    else this.bindingsByPhone.delete(phone);
  }

  registeredPhones(): number {
    return this.bindingsByPhone.size;
  }

  /**
   * The authenticated phone is the device it claims to be: its MAC names no other configured
   * phone, and its model is the configured one (R-REG-24, seed §3.12 "version error").
   */
  private admitted(attempt: Attempt, phone: PhoneSnapshot): boolean {
    const { identity } = attempt;
    if (identity.deviceName !== null && SEP_NAME.test(phone.name) && identity.deviceName !== phone.name) {
      this.refuse(
        attempt,
        403,
        'Device Name Mismatch',
        'mac-mismatch',
        `the credentials are ${phone.name}'s but the device's MAC makes it ${identity.deviceName}`,
      );
      return false;
    }
    if (modelMismatch(phone.model, identity.model)) {
      this.refuse(
        attempt,
        403,
        'Version Error',
        'version-error',
        `version error: ${phone.name} is configured as ${phone.model} but the device is a ${identity.model}`,
      );
      return false;
    }
    return true;
  }

  /** A device the auto-registration account logged in for: added when it is new (R-REG-06). */
  private async autoRegister(
    attempt: Attempt,
    auto: AutoRegistrationHook,
    named: string | null,
    unknown: boolean,
  ): Promise<void> {
    attempt.device = named;
    if (named === null) {
      this.refuse(
        attempt,
        403,
        'Unknown Device',
        'unknown-device',
        'auto-registration needs the MAC address in +sip.instance',
      );
      return;
    }
    if (!unknown) {
      this.refuse(
        attempt,
        403,
        'Device Configured',
        'bad-credentials',
        `${named} is configured: it must fetch its own file and register with its own credentials`,
      );
      return;
    }
    let added: AutoRegistrationResult;
    try {
      added = await auto.add({
        name: named,
        identity: attempt.identity,
        source: attempt.incoming.info.source,
      });
    } catch (error) {
      this.options.logger.error({ err: error, device: named }, 'auto-registration failed');
      added = { ok: false, detail: 'the device could not be added' };
    }
    if (!added.ok) {
      this.refuse(attempt, 503, 'Auto-Registration Failed', 'auto-registration-failed', added.detail);
      return;
    }
    // The phone learns its line and credentials from its own file: it is refused once, restarts
    // its configuration and finds SEP<MAC>.cnf.xml this time (seed §2.7, R-REG-06).
    attempt.incoming.reply(403, 'Device Added', {
      headers: [this.warning(`${added.detail}; fetch the configuration file again`)],
    });
    this.report(attempt, 'added', 403, null, added.detail);
  }

  private refuse(
    attempt: Attempt,
    status: number,
    phrase: string | undefined,
    reason: RejectionReason,
    detail: string,
    answered = false,
  ): void {
    if (!answered) {
      const headers =
        reason === 'version-error' || reason === 'mac-mismatch' || reason === 'unknown-device'
          ? [this.warning(detail)]
          : [];
      attempt.incoming.reply(status, phrase, { headers });
    }
    this.report(attempt, 'rejected', status, reason, detail);
  }

  private report(
    attempt: Attempt,
    result: RegistrationAttempt['result'],
    status: number,
    reason: RejectionReason | null,
    detail: string,
    expires = 0,
  ): void {
    this.options.onAttempt({
      at: this.options.wallClock(),
      device: attempt.device,
      identity: attempt.identity,
      source: attempt.incoming.info.source,
      line: attempt.line,
      result,
      status,
      reason,
      detail,
      expires,
    });
  }

  /** RFC 3261 §20.43: `399 <agent> "<text>"`. */
  private warning(text: string): [string, string] {
    return ['Warning', `${WARNING_CODE} ${this.options.realm} ${quoteString(text)}`];
  }

  /** The digest secret of `username` in the snapshot being verified (see `verifyOptions`). */
  private secretOf(username: string, hash: DigestHashName): DigestSecret {
    const snapshot = this.verifying as ConfigSnapshot;
    this.claimed = username;
    let credentials = this.credentials;
    if (credentials.snapshot !== snapshot) {
      credentials = { snapshot, byUsername: new Map() };
      this.credentials = credentials;
    }
    const known = credentials.byUsername.get(username);
    if (known !== undefined) return withHa1(known.secret, hash, username, this.options.realm, known.password);
    const phone = snapshot.phonesBySipUsername.get(username);
    if (phone === undefined) {
      const auto = this.options.admission.autoRegistration;
      if (auto !== undefined && username === auto.account.username)
        return { password: auto.account.password };
    }
    if (phone === undefined || phone.protocol !== 'sip' || phone.sipPassword === null)
      return withHa1(this.decoy, hash, username, this.options.realm, this.decoyPassword);
    const credential: PhoneCredential = { password: phone.sipPassword, secret: { ha1: {} } };
    credentials.byUsername.set(ownedText(username), credential);
    return withHa1(credential.secret, hash, username, this.options.realm, credential.password);
  }

  /**
   * `stateless` for a REGISTER whose retransmission may as well be verified again (no or stale
   * credentials): the challenge is then sent as Kamailio sends its own (RFC 3261 §8.2.7), with
   * nothing kept for the 64*T1 of retransmissions, and a retransmitted REGISTER earns another
   * nonce. A failed login stays in its transaction, so that its retransmissions replay the
   * answer instead of counting as more failures towards the lockout.
   */
  private challenge(incoming: IncomingRequest, stale: boolean, stateless: boolean): void {
    const challenge = this.digest.challenge({ proxy: false, stale });
    incoming.reply(challenge.status, undefined, {
      headers: challenge.values.map((value): [string, string] => [challenge.name, value]),
      stateless,
    });
  }

  /**
   * RFC 3261 §22.1: bad credentials are challenged again; too many from one source address
   * lock it out (403 to everything it sends) for a while.
   */
  private authenticationFailed(incoming: IncomingRequest, reason: string): void {
    const source = incoming.info.source.address;
    if (this.countFailure(source)) {
      incoming.reply(403);
      return;
    }
    this.options.logger.debug({ source, reason }, 'REGISTER authentication failed');
    this.challenge(incoming, false, false);
  }

  /** Counts a failed login from `source`; true when it locked the source out. */
  private countFailure(source: string): boolean {
    const { clock, logger, lockout } = this.options;
    this.counters.authFailures++;
    if (!this.lockout.recordFailure(source, clock.now())) return false;
    this.counters.lockouts++;
    logger.warn(
      { source, failures: lockout.failures, windowMs: lockout.windowMs, durationMs: lockout.durationMs },
      'REGISTER source locked out after repeated authentication failures',
    );
    return true;
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
    headers.push(['Date', this.date()]);
    return headers;
  }

  /** RFC 3261 §20.17: an HTTP-date, which counts whole seconds, so one string serves a second. */
  private date(): string {
    const wall = this.options.wallClock();
    const second = Math.floor(wall / 1000);
    if (second !== this.dateValue.second) this.dateValue = { second, text: new Date(wall).toUTCString() };
    return this.dateValue.text;
  }
}

type HashedSecret = { readonly ha1: Partial<Record<DigestHashName, string>> };

/** A configured phone's password and the HA1 forms computed from it so far. */
interface PhoneCredential {
  readonly password: string;
  readonly secret: HashedSecret;
}

/**
 * `secret` with its HA1 for `hash`, computed now if it is missing. The decoy's is computed once
 * too, for the first unknown name: later unknown users cost what a known phone's refresh does.
 */
function withHa1(
  secret: HashedSecret,
  hash: DigestHashName,
  username: string,
  realm: string,
  password: string,
): HashedSecret {
  secret.ha1[hash] ??= digestHa1(hash, username, realm, password);
  return secret;
}

/** Seconds granted to the longest of the requested bindings; 0 when all are removals. */
function longestExpiry(contacts: readonly RequestedContact[]): number {
  let longest = 0;
  for (const contact of contacts) if (contact.expires > longest) longest = contact.expires;
  return longest;
}

/** The `+sip.instance` of the first Contact that has one (RFC 5626 §4.1), unquoted. */
function instanceOf(contacts: readonly Contact[]): string | null {
  for (const contact of contacts) {
    if (contact === '*') return null;
    const instance = contact.params['+sip.instance'];
    if (typeof instance === 'string') return unquote(instance);
  }
  return null;
}

function lineUser(to: Uri): string | null {
  return to.user === undefined ? null : to.user.slice(0, MAX_USER_AGENT_LENGTH);
}

/** The phone's appearance of the line a REGISTER's To names, if it has one. */
function lineFor(phone: PhoneSnapshot, to: Uri): LineAppearanceSnapshot | undefined {
  const user = to.user;
  if ((to.scheme !== 'sip' && to.scheme !== 'sips') || user === undefined) return undefined;
  for (const appearance of phone.lines) if (appearance.line.dn === user) return appearance;
  return undefined;
}

function formatBinding(binding: Binding, now: number): string {
  const instance = binding.instanceId === null ? '' : `;+sip.instance=${quoteString(binding.instanceId)}`;
  return `<${binding.contact}>;expires=${secondsLeft(binding, now)}${instance}`;
}
