/**
 * How the core's devices for calls leaving over SIP are reached: the device kind the trunk
 * call handler drives, and the `reach` a router gives each such device.
 */

/** The device kind of calls placed over a trunk or to a SIP address (a pilot such as voicemail). */
export const SIP_TRUNK = 'sip-trunk';

export type TrunkReach =
  /** Through a configured trunk's carrier. */
  | (OutgoingNumbers & { readonly kind: 'trunk'; readonly trunk: string })
  /** Straight to a SIP address (`sip:600@192.0.2.5`), as a dial-peer's `session target ipv4:` does. */
  | (OutgoingNumbers & { readonly kind: 'address'; readonly uri: string });

export interface OutgoingNumbers {
  /** The called number as it leaves, after outbound translation (the Request-URI and To user). */
  readonly called: string;
  /** The calling number presented (the From user). */
  readonly calling: string;
  /** Max-Forwards of the outgoing INVITE: what is left of the caller's budget (RFC 3261 §16.6). */
  readonly maxForwards: number;
}
