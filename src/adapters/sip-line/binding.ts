import type { Endpoint } from '../../sip/index.js';

/** A line is a DN in a partition: the same DN may exist in several partitions. */
export interface LineRef {
  readonly dn: string;
  readonly partition: string;
}

/** One registration binding (RFC 3261 §10.3): a contact of a line, until it expires. */
export interface Binding {
  readonly line: LineRef;
  /** Name of the phone that registered it. */
  readonly phone: string;
  /** The Contact URI as registered. */
  readonly contact: string;
  /** Comparison key of the Contact URI (see `contactKey`). */
  readonly contactKey: string;
  /** `+sip.instance` (RFC 5626 §4.1), unquoted. */
  readonly instanceId: string | null;
  /** Path values (RFC 3327 §5.3) in the order received. */
  readonly path: readonly string[];
  readonly callId: string;
  readonly cseq: number;
  readonly userAgent: string | null;
  /** Where the REGISTER came from (RFC 3261 §18.2.1 received/rport): the way back through NAT. */
  readonly source: Readonly<Endpoint>;
  /** When the binding ends, on the adapter's (monotonic) clock. */
  readonly expiresAt: number;
  /**
   * When the stored row says the binding ends, on the same clock: a refresh that changes
   * nothing but the expiry may leave the row behind (see `LocationService`), so this can be
   * earlier than `expiresAt`.
   */
  readonly storedUntil: number;
}

/** Whole seconds left, never negative (RFC 3261 §10.3 step 8: expires of each binding in the 200). */
export function secondsLeft(binding: Binding, now: number): number {
  return Math.max(0, Math.ceil((binding.expiresAt - now) / 1000));
}
