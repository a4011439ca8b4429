/**
 * Who is calling: the INVITE is authenticated by digest as a proxy would (RFC 3261 §22.3, 407
 * with Proxy-Authenticate), and the phone the credentials belong to, with the line its From
 * names (or its first line), is the calling device.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigSnapshot, LineAppearanceSnapshot, PhoneSnapshot } from '../../../admin/index.js';
import type { Clock, DigestSecret, DigestServer, IncomingRequest, SipLogger } from '../../../sip/index.js';
import type { SourceLockout } from '../source-lockout.js';

/** Brute-force protection shared with the registrar: wrong INVITE credentials count too. */
export interface CallerLockout {
  readonly table: SourceLockout;
  readonly clock: Clock;
  readonly logger: SipLogger;
}

export type CallingPhone =
  | { readonly ok: true; readonly phone: PhoneSnapshot; readonly line: LineAppearanceSnapshot['line'] }
  | { readonly ok: false };

export class CallerAuthenticator {
  /**
   * Unknown users and phones without a password are checked against a secret nobody knows, so
   * that the answer and its timing never tell whether a user name exists.
   */
  private readonly decoy: DigestSecret = { password: randomBytes(24).toString('base64url') };

  constructor(
    private readonly digest: DigestServer,
    private readonly lockout?: CallerLockout,
  ) {}

  /** Answers the INVITE with 407 (or 403 for a phone without lines) unless it comes from a known phone. */
  identify(incoming: IncomingRequest, config: ConfigSnapshot): CallingPhone {
    const source = incoming.info.source.address;
    const lockout = this.lockout;
    if (lockout?.table.isLocked(source, lockout.clock.now())) {
      incoming.reply(403);
      return { ok: false };
    }
    const verdict = this.digest.verify(incoming.request, {
      proxy: true,
      lookup: (username) => this.secretOf(config, username),
    });
    if (verdict.status === 'invalid' && lockout?.table.recordFailure(source, lockout.clock.now())) {
      lockout.logger.warn({ source }, 'source locked out after repeated wrong INVITE credentials');
    }
    if (verdict.status !== 'ok') {
      // RFC 3261 §22.3: missing, stale or wrong credentials are challenged (again).
      this.challenge(incoming, verdict.status === 'stale');
      return { ok: false };
    }
    const phone = config.phonesBySipUsername.get(verdict.username);
    const line = phone && lineFor(phone, incoming.request.from.uri.user);
    if (!phone || !line) {
      incoming.reply(403, 'No Line for This Phone');
      return { ok: false };
    }
    return { ok: true, phone, line };
  }

  private secretOf(config: ConfigSnapshot, username: string): DigestSecret {
    const phone = config.phonesBySipUsername.get(username);
    if (phone === undefined || phone.protocol !== 'sip' || phone.sipPassword === null) return this.decoy;
    return { password: phone.sipPassword };
  }

  private challenge(incoming: IncomingRequest, stale: boolean): void {
    const challenge = this.digest.challenge({ proxy: true, stale });
    incoming.reply(challenge.status, undefined, {
      headers: challenge.values.map((value): [string, string] => [challenge.name, value]),
    });
  }
}

/** The line the From user names when the phone has it, else the phone's first line. */
function lineFor(
  phone: PhoneSnapshot,
  fromUser: string | undefined,
): LineAppearanceSnapshot['line'] | undefined {
  const named = phone.lines.find((appearance) => appearance.line.dn === fromUser);
  return (named ?? phone.lines[0])?.line;
}
