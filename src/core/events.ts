/**
 * The core's events are the CSTA call control events of ECMA-269 §17.2, each carrying the call,
 * the connection it is about and the devices involved, so that CTI maps them one to one.
 */
import type { Cause, ConnectionState, DiversionReason } from './model.js';

/** ECMA-269 ConnectionID: a device's connection in one call. */
export interface ConnectionRef {
  readonly callId: string;
  readonly connectionId: string;
  readonly deviceId: string;
  readonly state: ConnectionState;
}

interface EventBase {
  readonly callId: string;
  readonly cause: Cause;
  /** Clock milliseconds (monotonic) when the event happened. */
  readonly at: number;
}

/** §17.2.16: a device is preparing a call (off-hook); its connection is initiated. */
export interface ServiceInitiatedEvent extends EventBase {
  readonly type: 'serviceInitiated';
  readonly initiatedConnection: ConnectionRef;
}

/** §17.2.14: the calling device has dialled; its connection is connected. */
export interface OriginatedEvent extends EventBase {
  readonly type: 'originated';
  readonly originatingConnection: ConnectionRef;
  readonly callingDevice: string;
  /** The number dialled. */
  readonly calledDevice: string;
}

/** §17.2.5: a device is alerting (ringing). */
export interface DeliveredEvent extends EventBase {
  readonly type: 'delivered';
  readonly alertingConnection: ConnectionRef;
  readonly alertingDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
}

/** §17.2.8: a device answered. */
export interface EstablishedEvent extends EventBase {
  readonly type: 'established';
  readonly establishedConnection: ConnectionRef;
  readonly answeringDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
}

/** §17.2.11: a device put its connection on hold. */
export interface HeldEvent extends EventBase {
  readonly type: 'held';
  readonly heldConnection: ConnectionRef;
  readonly holdingDevice: string;
}

/** §17.2.15: a device took its held connection back. */
export interface RetrievedEvent extends EventBase {
  readonly type: 'retrieved';
  readonly retrievedConnection: ConnectionRef;
  readonly retrievingDevice: string;
}

/** §17.2.9: the call could not be completed at a connection (busy, unknown number, no answer). */
export interface FailedEvent extends EventBase {
  readonly type: 'failed';
  readonly failedConnection: ConnectionRef;
  readonly failingDevice: string;
  readonly callingDevice: string;
  readonly calledDevice: string;
}

/** §17.2.4: a device left the call. */
export interface ConnectionClearedEvent extends EventBase {
  readonly type: 'connectionCleared';
  readonly droppedConnection: ConnectionRef;
  readonly releasingDevice: string;
}

/**
 * §17.2.6: the call left a device for another destination (call forward all, busy or no answer;
 * `cause` says which, or `redirected` when the caller's network was sent there).
 */
export interface DivertedEvent extends EventBase {
  readonly type: 'diverted';
  /** The calling device's connection, whose call moves on. */
  readonly connection: ConnectionRef;
  /** The number that forwarded the call. */
  readonly divertingDevice: string;
  readonly newDestination: string;
  readonly reason: DiversionReason;
  readonly callingDevice: string;
}

/**
 * §17.2.19: the transferring device left and its other party is now in `callId` with the
 * transferred-to party (TransferCall, cause `transfer`) or with the number it dialled
 * (SingleStepTransferCall, cause `singleStepTransfer`).
 */
export interface TransferredEvent extends EventBase {
  readonly type: 'transferred';
  /** The call the transferring device held (consultative) or was in (single step). */
  readonly primaryOldCall: string;
  /** The consultation call (consultative only). */
  readonly secondaryOldCall?: string;
  readonly transferringDevice: string;
  /** The party that stays: the transferring device's other party in the primary call. */
  readonly transferredDevice: string;
  /** The consulted device, or the number dialled for a single step transfer. */
  readonly transferredToDevice: string;
  /**
   * ECMA-269 transferredConnections: the connections that moved into `callId` (the transferred
   * party's for a single step transfer, the consulted party's for a transfer).
   */
  readonly transferredConnections: readonly TransferredConnection[];
}

/**
 * §17.2.3: a device joined its held and active calls into a conference (ConferenceCall, cause
 * `conference`). The mixing is a bridge device, so instead of one merged call every party gets
 * its own call with the bridge's number: one event per such call, `callId`, naming the one
 * connection that moved into it. The controller's active connection moves too (its dialog stays,
 * its other party becomes the bridge); its held connection is cleared.
 */
export interface ConferencedEvent extends EventBase {
  readonly type: 'conferenced';
  /** The controller's held call. */
  readonly primaryOldCall: string;
  /** The controller's active call. */
  readonly secondaryOldCall: string;
  readonly conferencingDevice: string;
  /** The device whose connection moved into `callId`: a party of either call, or the controller. */
  readonly addedParty: string;
  /** The number every party now calls: the conference bridge's. */
  readonly conferenceNumber: string;
  /** ECMA-269 conferenceConnections: the connection that moved into `callId` and the call it left. */
  readonly conferenceConnections: readonly TransferredConnection[];
}

/** A connection a transfer or a conference moved into another call; it keeps its identifier. */
export interface TransferredConnection {
  /** The connection in its new call. */
  readonly connection: ConnectionRef;
  /** The call it left. */
  readonly oldCallId: string;
}

/** §17.2.2: the call is over; every connection has gone. */
export interface CallClearedEvent extends EventBase {
  readonly type: 'callCleared';
}

export type CallEvent =
  | ServiceInitiatedEvent
  | OriginatedEvent
  | DeliveredEvent
  | EstablishedEvent
  | HeldEvent
  | RetrievedEvent
  | FailedEvent
  | ConnectionClearedEvent
  | DivertedEvent
  | TransferredEvent
  | ConferencedEvent
  | CallClearedEvent;

export type CallEventListener = (event: CallEvent) => void;

export interface CallEventBus {
  /** Subscribes to every call event; returns the unsubscribe function. */
  on(listener: CallEventListener): () => void;
}
