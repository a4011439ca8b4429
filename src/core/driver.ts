/**
 * What an adapter implements for each kind of device it serves: the core's requests to a
 * device. Drivers answer through the core's reports (`reportAlerting`, `reportAnswered`, …),
 * always later than the request itself (never from inside a driver call), except `release`,
 * after which the connection is already gone from the core's point of view.
 */
import type { CallView, Cause, Connection, MediaDescription } from './model.js';

/** A change of the session negotiated inside an established call, relayed to the other party. */
export type SessionUpdate =
  /**
   * A new offer (a SIP re-INVITE or UPDATE with a body); the answer comes back in the result.
   * `transfer` marks the core's own offer to a party a transfer has just joined with another
   * (the other party's latest description), rather than one relayed from the other party: a
   * driver that anchors media may join the two itself and answer without a description.
   */
  | { readonly kind: 'offer'; readonly media: MediaDescription; readonly transfer?: boolean }
  /** Information inside the call that needs no answer body (e.g. SIP INFO: DTMF relay, RFC 6086). */
  | { readonly kind: 'info'; readonly content: MediaDescription | undefined };

export type SessionUpdateFailure =
  /** The other party refused it (e.g. SIP 488 for an offer it cannot accept). */
  | 'rejected'
  /** The other party is in the middle of its own update (SIP 491, RFC 3261 §14.1). */
  | 'pending'
  /** No answer in time. */
  | 'timeout'
  /** There is no other party in a state to take it (not connected, already gone). */
  | 'noPeer';

export type SessionUpdateResult =
  | { readonly ok: true; readonly media?: MediaDescription }
  | { readonly ok: false; readonly failure: SessionUpdateFailure };

export interface DeviceDriver {
  /**
   * Presents the call to a terminating device (it should start alerting). `offer` is the calling
   * side's session description, if it gave one.
   */
  offer(connection: Connection, call: CallView, offer: MediaDescription | undefined): void;
  /**
   * Tells an originating device that the far end is alerting, with the far end's early session
   * description when it sent one. May come more than once (a later one carries early media).
   */
  progress(connection: Connection, media: MediaDescription | undefined): void;
  /** Tells an originating device that the far end answered, with the far end's session description. */
  accept(connection: Connection, media: MediaDescription | undefined): void;
  /** Ends the device's part in the call (stop alerting, refuse the call, or hang up). */
  release(connection: Connection, cause: Cause): void;
  /** Asks an alerting device to answer (remote answer); left out by drivers of devices that cannot. */
  answer?(connection: Connection): void;
  /** Relays a session update from the other party of an established call. */
  update(connection: Connection, update: SessionUpdate): Promise<SessionUpdateResult>;
  /**
   * Asks the calling device's own network to take a forwarded call to `target` itself (a SIP
   * 302 to a carrier, RFC 3261 §21.3.3) and answers the device at once. False when the device
   * cannot or may not be redirected: the core then places the forwarded call itself (hairpin).
   * `call.diversions` holds the forwards, the last one to `target`.
   */
  redirect?(connection: Connection, call: CallView, target: string): boolean;
}
