/**
 * The call model of ECMA-269 (CSTA) §6: devices take part in calls through connections, and a
 * connection is in one of the CSTA connection states. Nothing here knows a protocol.
 */

/** ECMA-269 §6.1.2 connection states (LocalConnectionState). */
export type ConnectionState = 'null' | 'initiated' | 'alerting' | 'connected' | 'held' | 'queued' | 'failed';

/**
 * ECMA-269 §12.2 event causes the core uses. Adapters map them to their protocol (a SIP status,
 * a Q.850 cause, an SCCP tone).
 */
export type Cause =
  /** Nothing out of the ordinary (an answer, a hold). */
  | 'normal'
  /** The call or connection ended the usual way (hang-up). */
  | 'normalClearing'
  | 'busy'
  /** The calling device abandoned the call before it was answered. */
  | 'callCancelled'
  /** Nobody answered before the no-answer timeout. */
  | 'callNotAnswered'
  /** The dialled number is not known. */
  | 'destNotObtainable'
  /** The number is known but none of its devices can be reached (e.g. not registered). */
  | 'destOutOfOrder'
  /** The device refused the media offered. */
  | 'incompatibleDestination'
  /** The caller may not reach the number (a blocked pattern, a CSS without the partition). */
  | 'reorderTone'
  /** The system is at its call limit or a device is temporarily overloaded. */
  | 'networkCongestion'
  | 'resourcesNotAvailable'
  /** An alerting connection of a parallel (multiple-alerting) offer cleared because another device answered. */
  | 'multipleAlerting'
  /** A device went off-hook and dialled (ServiceInitiated, Originated). */
  | 'newCall'
  /** ECMA-269 §12.2: call forward all (immediate) moved the call on. */
  | 'callForwardImmediate'
  /** Call forward busy moved the call on. */
  | 'callForwardBusy'
  /** Call forward no answer moved the call on. */
  | 'callForwardNoAnswer'
  /** The calling device's own network was asked to take the call elsewhere (a SIP 302). */
  | 'redirected'
  /** A transfer joined the transferring device's two calls (ECMA-269 TransferCall). */
  | 'transfer'
  /** A device handed its call on to another number (ECMA-269 SingleStepTransferCall). */
  | 'singleStepTransfer'
  /** A device joined its held and active calls into a conference (ECMA-269 ConferenceCall). */
  | 'conference'
  /**
   * Not an ECMA-269 cause: call forwarding came back to a number it had left (SIP 482). CSTA
   * presents it as `blocked`.
   */
  | 'forwardLoop'
  /** Not an ECMA-269 cause: more call forward hops than allowed (SIP 483). CSTA presents it as `blocked`. */
  | 'tooManyForwards'
  /**
   * Not an ECMA-269 cause: a party that should have been sending media went silent for longer
   * than the media timeout, and its call was cleared. CSTA presents it as `resourcesNotAvailable`.
   */
  | 'mediaTimeout';

/**
 * A device as the core knows it: an addressable party (a phone's line, later a trunk or a CTI
 * route point). `kind` selects the adapter's driver; `reach` is the adapter's own note on how to
 * reach this device (a SIP contact, a socket), never read by the core.
 */
export interface DeviceRef {
  readonly kind: string;
  readonly id: string;
  /** The directory number the device presents (calling number) or was reached on (called number). */
  readonly number: string;
  readonly displayName?: string;
  readonly reach?: unknown;
}

/** A session description passed through the core opaquely (e.g. SDP, RFC 4566). */
export interface MediaDescription {
  readonly contentType: string;
  readonly body: Buffer;
}

export type ConnectionDirection = 'originating' | 'terminating';

/** Why a call was forwarded (RFC 5806 §2 reasons, ECMA-269 forwarding types). */
export type DiversionReason = 'unconditional' | 'busy' | 'noAnswer';

/** One forward a call went through on its way, oldest first in a call's list. */
export interface Diversion {
  /** The number that forwarded the call. */
  readonly from: string;
  /** The number it forwarded the call to, as configured (before any translation). */
  readonly to: string;
  readonly reason: DiversionReason;
}

/** A device's part in a call (ECMA-269 §6.1.3). Drivers receive these; only the core changes them. */
export interface Connection {
  readonly id: string;
  readonly callId: string;
  readonly device: DeviceRef;
  readonly direction: ConnectionDirection;
  readonly state: ConnectionState;
  /** The adapter's own state for this connection (e.g. its SIP dialog). The core never reads it. */
  context: unknown;
}

/** The coarse state of a whole call, for `show calls`. */
export type CallPhase = 'routing' | 'alerting' | 'connected' | 'cleared';

export interface ConnectionView {
  readonly id: string;
  readonly deviceKind: string;
  readonly deviceId: string;
  readonly number: string;
  readonly direction: ConnectionDirection;
  readonly state: ConnectionState;
}

/** A call as `show calls` and the API present it. Times are epoch milliseconds. */
export interface CallView {
  readonly id: string;
  readonly phase: CallPhase;
  readonly calling: string;
  /** The calling device's display name, when it has one. */
  readonly callingName: string | undefined;
  readonly called: string;
  readonly connections: readonly ConnectionView[];
  /** The forwards the call went through, oldest first; empty for a call that was not forwarded. */
  readonly diversions: readonly Diversion[];
  readonly startedAt: number;
  readonly answeredAt: number | null;
}
