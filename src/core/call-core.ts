/**
 * The call core: calls, their connections and the CSTA events of ECMA-269, driven by adapters'
 * reports (a device rang, answered, hung up) and by call control operations. Adapters reach
 * their devices through the drivers they register per device kind.
 */
import { buildCallRecord, type CallRecord } from './call-record.js';
import type { Clock, TimerHandle } from './clock.js';
import type { DeviceDriver, SessionUpdate, SessionUpdateResult } from './driver.js';
import type { CallEvent, CallEventBus, CallEventListener, ConnectionRef } from './events.js';
import { type CoreLogger, silentCoreLogger } from './logger.js';
import type {
  CallPhase,
  CallView,
  Cause,
  Connection,
  ConnectionDirection,
  ConnectionState,
  DeviceRef,
  Diversion,
  MediaDescription,
} from './model.js';
import type { RouteFailure, RouteRequest, RouteResult, Router } from './router.js';

export interface CallCoreOptions {
  readonly clock: Clock;
  readonly router: Router;
  readonly logger?: CoreLogger;
  /** Wall time in epoch milliseconds for call records and views. Default Date.now. */
  readonly wallClock?: () => number;
  /**
   * How long a call may alert before it fails with callNotAnswered. Cisco CME lets a phone ring
   * until the caller gives up; the default here is 180 s, a SIP proxy's Timer C (RFC 3261
   * §16.6 step 11), so that a forgotten offer cannot hold resources for ever. A route may set
   * its own (a line's no-answer timeout).
   */
  readonly noAnswerTimeoutMs?: number;
  /** Calls in progress at once; more are refused with networkCongestion. Default 20,000. */
  readonly maxCalls?: number;
  /** Devices alerted in parallel for one call; a route naming more is cut. Default 16. */
  readonly maxParallelAlerting?: number;
  /** Forwards one call may go through, across busy and no-answer hops. Default 12 (CUCM's Forward Maximum Hop Count). */
  readonly maxDiversions?: number;
  /** Receives the record of every call when it ends. */
  readonly onCallRecord?: (record: CallRecord) => void;
}

export interface MakeCallRequest {
  /** The calling device. */
  readonly device: DeviceRef;
  readonly dialed: string;
  /** The calling device's session offer, relayed to the devices alerted. */
  readonly media?: MediaDescription;
  /** The adapter's own state for the calling connection, set before any driver call. */
  readonly context?: unknown;
}

export type OperationError =
  /** No connection (any more) by that identifier. */
  | 'invalidConnectionId'
  /** The connection is not in a state that allows the operation. */
  | 'invalidConnectionState'
  /** The device's driver cannot do it. */
  | 'notSupported'
  /** The number to call cannot be routed (ECMA-269 invalidCalledDevice). */
  | 'invalidCalledDevice';

export type OperationResult = { readonly ok: true } | { readonly ok: false; readonly error: OperationError };

/** A single step transfer's new call: the transferred party calling the number dialled. */
export type SingleStepTransferResult =
  | { readonly ok: true; readonly callId: string }
  | { readonly ok: false; readonly error: OperationError };

/**
 * A conference's new calls to the bridge number, each led by the party that moved into it: the
 * held call's other party, the active call's other party, the controller.
 */
export type ConferenceResult =
  | {
      readonly ok: true;
      readonly callIds: { readonly held: string; readonly active: string; readonly controller: string };
    }
  | { readonly ok: false; readonly error: OperationError };

export type MakeCallResult =
  /** The call exists; it may already have failed (the driver was told through `release`). */
  | { readonly ok: true; readonly callId: string; readonly connection: Connection }
  | { readonly ok: false; readonly cause: 'networkCongestion' };

export interface CallCore {
  readonly events: CallEventBus;
  /** The driver the core uses for every device of `kind`. */
  registerDriver(kind: string, driver: DeviceDriver): void;

  // Call control operations.
  /** A device originates a call to a dialled number; the core routes it and alerts the destination. */
  makeCall(request: MakeCallRequest): MakeCallResult;
  /** Asks an alerting device to answer (ECMA-269 AnswerCall); needs a driver that can. */
  answer(connectionId: string): OperationResult;
  /** Releases a device from its call (ECMA-269 ClearConnection); the driver is told. */
  clear(connectionId: string, cause?: Cause): OperationResult;
  /** The device holds its connection (ECMA-269 HoldCall as reported by the device). */
  hold(connectionId: string): OperationResult;
  retrieve(connectionId: string): OperationResult;
  /** Relays a session update from one party of an established call to the other. */
  updateSession(connectionId: string, update: SessionUpdate): Promise<SessionUpdateResult>;
  /**
   * ECMA-269 SingleStepTransferCall: the device of `connectionId` leaves its connected call and
   * its other party calls `dialed` in a new call, routed with the transferring device's
   * calling search space and the transferred party's number.
   */
  singleStepTransfer(connectionId: string, dialed: string): SingleStepTransferResult;
  /**
   * ECMA-269 TransferCall: a device with a held call (`heldConnectionId`) and a connected
   * consultation call (`activeConnectionId`) leaves both; the consulted party joins the held
   * call's other party, and their sessions are renegotiated with each other.
   */
  transfer(heldConnectionId: string, activeConnectionId: string): OperationResult;
  /**
   * ECMA-269 ConferenceCall for a conference bridge reached at `dialed`: a device with a held
   * call (`heldConnectionId`) and a connected one (`activeConnectionId`) joins both. Each other
   * party, and the device's active connection itself, moves into its own new call to `dialed`
   * (with its identifier and the adapter's context, so no dialog changes); the held connection
   * is cleared. Nothing changes when a call to `dialed` cannot be routed.
   */
  conference(heldConnectionId: string, activeConnectionId: string, dialed: string): ConferenceResult;

  // Reports from the adapters about their devices.
  /** The terminating device is alerting; `media` is its early session description, if any. */
  reportAlerting(connectionId: string, media?: MediaDescription): void;
  /**
   * The terminating device answered. Not ok when the call cannot take it any more (another
   * device answered first, or the call has ended): the adapter then hangs that device up.
   */
  reportAnswered(connectionId: string, media?: MediaDescription): OperationResult;
  /** The terminating device refused or could not be reached (busy, unreachable, declined). */
  reportFailed(connectionId: string, cause: Cause): void;
  /** The device left the call on its own (hang-up, abandon). The driver is not told. */
  reportCleared(connectionId: string, cause: Cause): void;

  // Views.
  calls(): CallView[];
  call(callId: string): CallView | undefined;
  /** The call a live connection is in. */
  callOf(connectionId: string): CallView | undefined;
  readonly activeCalls: number;
}

const DEFAULT_NO_ANSWER_TIMEOUT_MS = 180_000;
const DEFAULT_MAX_CALLS = 20_000;
const DEFAULT_MAX_PARALLEL_ALERTING = 16;
const DEFAULT_MAX_DIVERSIONS = 12;
/** E.164 allows 15 digits; dial strings with prefixes and feature codes stay well below this. */
const MAX_DIALED_LENGTH = 64;

/**
 * When every alerted device failed, the caller learns the most telling cause: a busy device
 * says more than one that was unreachable (the same preference as RFC 3261 §16.7 step 6).
 */
const FAILURE_PREFERENCE: readonly Cause[] = [
  'busy',
  'incompatibleDestination',
  'callNotAnswered',
  'reorderTone',
  'destOutOfOrder',
  'resourcesNotAvailable',
  'networkCongestion',
  'destNotObtainable',
];

const ROUTE_FAILURE_CAUSE: Record<RouteFailure, Cause> = {
  unknown: 'destNotObtainable',
  notRegistered: 'destOutOfOrder',
  blocked: 'reorderTone',
  forwardLoop: 'forwardLoop',
  tooManyForwards: 'tooManyForwards',
};

/** What a failure of the devices alerted asks of call forwarding, if anything. */
const DIVERT_ON: Partial<Record<Cause, NonNullable<RouteRequest['divertOn']>>> = {
  busy: 'busy',
  callNotAnswered: 'noAnswer',
};

const DIVERSION_CAUSE: Record<Diversion['reason'], Cause> = {
  unconditional: 'callForwardImmediate',
  busy: 'callForwardBusy',
  noAnswer: 'callForwardNoAnswer',
};

type RouteOk = Extract<RouteResult, { ok: true }>;

const NO_DIVERSIONS: readonly Diversion[] = Object.freeze([]);

type ConnectionEventType = Exclude<
  CallEvent['type'],
  'callCleared' | 'diverted' | 'transferred' | 'conferenced'
>;

class CallConnection implements Connection {
  state: ConnectionState;
  context: unknown;
  /** Gone from the call (its state is then null); an offered connection is null but not yet gone. */
  removed = false;
  /** The device's latest session description, offered to a new party after a transfer. */
  media: MediaDescription | undefined;

  constructor(
    readonly id: string,
    /** A transfer moves a connection, with its identifier, into another call. */
    public call: Call,
    readonly device: DeviceRef,
    public direction: ConnectionDirection,
    state: ConnectionState,
    context: unknown,
  ) {
    this.state = state;
    this.context = context;
  }

  get callId(): string {
    return this.call.id;
  }

  /** Still taking part: offered, alerting, connected or held. */
  get live(): boolean {
    return !this.removed && this.state !== 'failed';
  }
}

class Call {
  phase: CallPhase = 'routing';
  called: string;
  readonly connections: CallConnection[] = [];
  answeredAt: number | null = null;
  noAnswerTimer: TimerHandle | undefined;
  /** Causes of the terminating connections that failed, for the caller's cause. */
  readonly failures: Cause[] = [];
  readonly diversions: Diversion[] = [];
  private nextConnection = 0;

  constructor(
    readonly id: string,
    readonly dialed: string,
    readonly calling: string,
    readonly callingName: string | undefined,
    readonly startedAt: number,
    readonly media: MediaDescription | undefined,
  ) {
    this.called = dialed;
  }

  get originating(): CallConnection {
    // The originating connection is created with the call and never removed from the list.
    return this.connections[0] as CallConnection;
  }

  newConnectionId(): string {
    this.nextConnection++;
    return `${this.id}.${this.nextConnection}`;
  }

  /** Terminating connections still waiting for an answer. */
  pendingTerminating(): boolean {
    for (const connection of this.connections)
      if (connection.direction === 'terminating' && connection.live) return true;
    return false;
  }

  view(): CallView {
    return {
      id: this.id,
      phase: this.phase,
      calling: this.calling,
      callingName: this.callingName,
      called: this.called,
      connections: this.connections
        .filter((connection) => !connection.removed)
        .map((connection) => ({
          id: connection.id,
          deviceKind: connection.device.kind,
          deviceId: connection.device.id,
          number: connection.device.number,
          direction: connection.direction,
          state: connection.state,
        })),
      diversions: this.diversions.length === 0 ? NO_DIVERSIONS : [...this.diversions],
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
    };
  }
}

export function createCallCore(options: CallCoreOptions): CallCore {
  return new Core(options);
}

class Core implements CallCore {
  readonly events: CallEventBus;
  private readonly listeners = new Set<CallEventListener>();
  private readonly drivers = new Map<string, DeviceDriver>();
  private readonly active = new Map<string, Call>();
  private readonly connections = new Map<string, CallConnection>();
  private readonly clock: Clock;
  private readonly router: Router;
  private readonly logger: CoreLogger;
  private readonly wallClock: () => number;
  private readonly noAnswerTimeoutMs: number;
  private readonly maxCalls: number;
  private readonly maxParallelAlerting: number;
  private readonly maxDiversions: number;
  private readonly onCallRecord: ((record: CallRecord) => void) | undefined;
  private nextCall = 0;

  constructor(options: CallCoreOptions) {
    this.clock = options.clock;
    this.router = options.router;
    this.logger = options.logger ?? silentCoreLogger;
    this.wallClock = options.wallClock ?? Date.now;
    this.noAnswerTimeoutMs = options.noAnswerTimeoutMs ?? DEFAULT_NO_ANSWER_TIMEOUT_MS;
    this.maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
    this.maxParallelAlerting = options.maxParallelAlerting ?? DEFAULT_MAX_PARALLEL_ALERTING;
    this.maxDiversions = options.maxDiversions ?? DEFAULT_MAX_DIVERSIONS;
    this.onCallRecord = options.onCallRecord;
    this.events = {
      on: (listener) => {
        this.listeners.add(listener);
        return () => {
          this.listeners.delete(listener);
        };
      },
    };
  }

  get activeCalls(): number {
    return this.active.size;
  }

  registerDriver(kind: string, driver: DeviceDriver): void {
    if (this.drivers.has(kind)) throw new Error(`a driver for ${kind} devices is already registered`);
    this.drivers.set(kind, driver);
  }

  // ---- operations ----

  makeCall(request: MakeCallRequest): MakeCallResult {
    if (this.active.size >= this.maxCalls) return { ok: false, cause: 'networkCongestion' };
    const call = this.newCall(request.dialed, request.device, request.media);
    const originating = this.addConnection(call, request.device, 'originating', 'initiated', request.context);
    originating.media = request.media;
    this.emitConnection('serviceInitiated', originating, 'newCall');
    // ECMA-269 §17.2.14: with the number dialled, the calling connection is connected.
    originating.state = 'connected';
    this.emitConnection('originated', originating, 'newCall');
    this.routeCall(call, request.device, request.dialed);
    return { ok: true, callId: call.id, connection: originating };
  }

  private newCall(dialed: string, calling: DeviceRef, media: MediaDescription | undefined): Call {
    this.nextCall++;
    const call = new Call(
      String(this.nextCall),
      dialed,
      calling.number,
      calling.displayName,
      this.wallClock(),
      media,
    );
    this.active.set(call.id, call);
    return call;
  }

  private routeCall(call: Call, routingDevice: DeviceRef, dialed: string): void {
    const routed = this.route(routingDevice, dialed);
    if (routed.ok) this.place(call, routed);
    else this.failCall(call, ROUTE_FAILURE_CAUSE[routed.failure]);
  }

  /** Offers the call to the routed devices, after the forwards that led there. */
  private place(call: Call, routed: RouteOk): void {
    if (
      routed.diversions !== undefined &&
      routed.diversions.length > 0 &&
      !this.divert(call, routed.diversions)
    )
      return;
    call.called = routed.called;
    const devices = routed.devices.slice(0, this.maxParallelAlerting);
    const timeout = routed.noAnswerTimeoutMs ?? this.noAnswerTimeoutMs;
    this.stopNoAnswerTimer(call);
    call.noAnswerTimer = this.clock.setTimeout(() => this.noAnswer(call), timeout);
    const view = call.view();
    for (const device of devices) {
      const driver = this.drivers.get(device.kind);
      if (!driver) {
        this.logger.error({ kind: device.kind, device: device.id }, 'no driver for the routed device');
        call.failures.push('resourcesNotAvailable');
        continue;
      }
      const connection = this.addConnection(call, device, 'terminating', 'null', undefined);
      this.callDriver(connection, 'offer', () => driver.offer(connection, view, call.media));
      if (call.phase === 'cleared') break;
    }
    if (call.phase !== 'cleared' && !call.pendingTerminating())
      this.failOrForward(call, this.failureCause(call));
  }

  /**
   * Records the forwards a route followed and tells the calling device's network, which may take
   * the call on itself (a 302). False when the call ended here: a loop, too many hops, redirected.
   */
  private divert(call: Call, diversions: readonly Diversion[]): boolean {
    for (const diversion of diversions) {
      // A forward back to a number the call already left (or from it again) would ring for ever.
      if (
        call.diversions.some((earlier) => earlier.from === diversion.from || earlier.from === diversion.to)
      ) {
        this.logger.warn({ callId: call.id, from: diversion.from, to: diversion.to }, 'call forward loop');
        this.failCall(call, 'forwardLoop');
        return false;
      }
      if (call.diversions.length >= this.maxDiversions) {
        this.logger.warn({ callId: call.id, hops: call.diversions.length }, 'too many call forward hops');
        this.failCall(call, 'tooManyForwards');
        return false;
      }
      call.diversions.push(diversion);
      if (this.listeners.size > 0) this.emit(divertedEvent(call, diversion, this.clock.now()));
    }
    const originating = call.originating;
    const driver = this.drivers.get(originating.device.kind);
    const target = call.diversions.at(-1)?.to;
    if (driver?.redirect === undefined || target === undefined || !originating.live) return true;
    const redirect = driver.redirect.bind(driver);
    let redirected = false;
    this.callDriver(originating, 'redirect', () => {
      redirected = redirect(originating, call.view(), target);
    });
    if (!redirected) return true;
    this.stopNoAnswerTimer(call);
    this.drop(originating, 'redirected');
    this.endCall(call, 'redirected');
    return false;
  }

  /** Every device alerted failed: call forward busy / no answer when the line has one, else the call fails. */
  private failOrForward(call: Call, cause: Cause): void {
    const divertOn = DIVERT_ON[cause];
    if (divertOn !== undefined && call.originating.live) {
      const routed = this.route(call.originating.device, call.called, divertOn);
      if (routed.ok && routed.diversions !== undefined && routed.diversions.length > 0) {
        call.failures.length = 0;
        this.place(call, routed);
        return;
      }
      if (!routed.ok && (routed.failure === 'forwardLoop' || routed.failure === 'tooManyForwards')) {
        this.failCall(call, ROUTE_FAILURE_CAUSE[routed.failure]);
        return;
      }
    }
    this.failCall(call, cause);
  }

  answer(connectionId: string): OperationResult {
    const connection = this.connections.get(connectionId);
    if (!connection) return { ok: false, error: 'invalidConnectionId' };
    if (connection.state !== 'alerting') return { ok: false, error: 'invalidConnectionState' };
    const driver = this.drivers.get(connection.device.kind);
    if (!driver?.answer) return { ok: false, error: 'notSupported' };
    const answer = driver.answer.bind(driver);
    this.callDriver(connection, 'answer', () => answer(connection));
    return { ok: true };
  }

  clear(connectionId: string, cause: Cause = 'normalClearing'): OperationResult {
    const connection = this.connections.get(connectionId);
    if (!connection) return { ok: false, error: 'invalidConnectionId' };
    this.release(connection, cause);
    this.settle(connection.call, connection, cause);
    return { ok: true };
  }

  hold(connectionId: string): OperationResult {
    const connection = this.connections.get(connectionId);
    if (!connection) return { ok: false, error: 'invalidConnectionId' };
    if (connection.state !== 'connected' || connection.call.phase !== 'connected')
      return { ok: false, error: 'invalidConnectionState' };
    connection.state = 'held';
    this.emitConnection('held', connection, 'normal');
    return { ok: true };
  }

  retrieve(connectionId: string): OperationResult {
    const connection = this.connections.get(connectionId);
    if (!connection) return { ok: false, error: 'invalidConnectionId' };
    if (connection.state !== 'held') return { ok: false, error: 'invalidConnectionState' };
    connection.state = 'connected';
    this.emitConnection('retrieved', connection, 'normal');
    return { ok: true };
  }

  async updateSession(connectionId: string, update: SessionUpdate): Promise<SessionUpdateResult> {
    const connection = this.connections.get(connectionId);
    if (connection?.call.phase !== 'connected') return { ok: false, failure: 'noPeer' };
    const peer = connection.call.connections.find(
      (other) => other !== connection && (other.state === 'connected' || other.state === 'held'),
    );
    const driver = peer && this.drivers.get(peer.device.kind);
    if (!peer || !driver) return { ok: false, failure: 'noPeer' };
    try {
      const result = await driver.update(peer, update);
      if (result.ok && update.kind === 'offer') {
        connection.media = update.media;
        if (result.media) peer.media = result.media;
      }
      return result;
    } catch (error) {
      this.logger.error({ err: error, callId: peer.callId, device: peer.device.id }, 'session update failed');
      return { ok: false, failure: 'rejected' };
    }
  }

  // ---- reports ----

  reportAlerting(connectionId: string, media?: MediaDescription): void {
    const connection = this.connections.get(connectionId);
    if (connection?.direction !== 'terminating') return;
    const call = connection.call;
    if (media) connection.media = media;
    if (connection.state === 'null') {
      connection.state = 'alerting';
      if (call.phase === 'routing') call.phase = 'alerting';
      this.emitConnection(
        'delivered',
        connection,
        call.connections.length > 2 ? 'multipleAlerting' : 'newCall',
      );
    } else if (connection.state !== 'alerting' || media === undefined) {
      // A repeated ring with nothing new says nothing to the caller.
      return;
    }
    this.tellOriginating(call, 'progress', (driver, originating) => driver.progress(originating, media));
  }

  reportAnswered(connectionId: string, media?: MediaDescription): OperationResult {
    const connection = this.connections.get(connectionId);
    if (connection?.direction !== 'terminating') return { ok: false, error: 'invalidConnectionId' };
    const call = connection.call;
    if (call.phase === 'connected' || !connection.live || connection.state === 'connected')
      return { ok: false, error: 'invalidConnectionState' };
    connection.state = 'connected';
    if (media) connection.media = media;
    call.phase = 'connected';
    call.answeredAt = this.wallClock();
    this.stopNoAnswerTimer(call);
    this.emitConnection('established', connection, 'normal');
    // First answer wins: every other device offered the call stops alerting (RFC 3261 §16.7 step 10 for SIP).
    for (const other of call.connections) {
      if (other !== connection && other.direction === 'terminating' && other.live)
        this.release(other, 'multipleAlerting');
    }
    this.tellOriginating(call, 'accept', (driver, originating) => driver.accept(originating, media));
    return { ok: true };
  }

  reportFailed(connectionId: string, cause: Cause): void {
    const connection = this.connections.get(connectionId);
    if (!connection?.live) return;
    const call = connection.call;
    if (connection.direction === 'originating' || call.phase === 'connected') {
      // A device that fails once the call is up has simply left it.
      this.reportCleared(connectionId, cause);
      return;
    }
    connection.state = 'failed';
    this.emitConnection('failed', connection, cause);
    call.failures.push(cause);
    this.drop(connection, cause);
    this.settle(call, connection, cause);
  }

  reportCleared(connectionId: string, cause: Cause): void {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    this.drop(connection, cause);
    if (connection.direction === 'terminating' && connection.call.phase !== 'connected')
      connection.call.failures.push(cause);
    this.settle(connection.call, connection, cause);
  }

  // ---- views ----

  calls(): CallView[] {
    return [...this.active.values()].map((call) => call.view());
  }

  call(callId: string): CallView | undefined {
    return this.active.get(callId)?.view();
  }

  callOf(connectionId: string): CallView | undefined {
    return this.connections.get(connectionId)?.call.view();
  }

  // ---- transfers ----

  singleStepTransfer(connectionId: string, dialed: string): SingleStepTransferResult {
    const transferring = this.connections.get(connectionId);
    if (!transferring) return { ok: false, error: 'invalidConnectionId' };
    const old = transferring.call;
    const transferred = otherParty(transferring);
    if (transferred === undefined || typeof dialed !== 'string')
      return { ok: false, error: 'invalidConnectionState' };
    const call = this.newCall(dialed, transferred.device, transferred.media);
    this.move(transferred, call, 'originating');
    if (this.listeners.size > 0)
      this.emit({
        type: 'transferred',
        callId: call.id,
        cause: 'singleStepTransfer',
        at: this.clock.now(),
        primaryOldCall: old.id,
        transferringDevice: transferring.device.id,
        transferredDevice: transferred.device.id,
        transferredToDevice: dialed,
        transferredConnections: [{ connection: connectionRef(transferred), oldCallId: old.id }],
      });
    this.release(transferring, 'singleStepTransfer');
    this.endCall(old, 'singleStepTransfer');
    // CUCM routes a transfer with the transferring phone's calling search space; the number
    // presented stays the transferred party's (`calling-number initiator`, R-TRUNK-14).
    this.routeCall(call, { ...transferring.device, number: transferred.device.number }, dialed);
    return { ok: true, callId: call.id };
  }

  transfer(heldConnectionId: string, activeConnectionId: string): OperationResult {
    const held = this.connections.get(heldConnectionId);
    const active = this.connections.get(activeConnectionId);
    if (!held || !active) return { ok: false, error: 'invalidConnectionId' };
    if (held.call === active.call || held.device.id !== active.device.id)
      return { ok: false, error: 'invalidConnectionState' };
    const transferred = otherParty(held);
    const consulted = otherParty(active);
    if (transferred === undefined || consulted === undefined)
      return { ok: false, error: 'invalidConnectionState' };
    const primary = held.call;
    const secondary = active.call;
    this.move(consulted, primary, consulted.direction);
    if (this.listeners.size > 0)
      this.emit({
        type: 'transferred',
        callId: primary.id,
        cause: 'transfer',
        at: this.clock.now(),
        primaryOldCall: primary.id,
        secondaryOldCall: secondary.id,
        transferringDevice: held.device.id,
        transferredDevice: transferred.device.id,
        transferredToDevice: consulted.device.id,
        transferredConnections: [{ connection: connectionRef(consulted), oldCallId: secondary.id }],
      });
    this.release(held, 'transfer');
    this.release(active, 'transfer');
    this.endCall(secondary, 'transfer');
    void this.reconnect(transferred, consulted);
    return { ok: true };
  }

  conference(heldConnectionId: string, activeConnectionId: string, dialed: string): ConferenceResult {
    const held = this.connections.get(heldConnectionId);
    const active = this.connections.get(activeConnectionId);
    if (!held || !active) return { ok: false, error: 'invalidConnectionId' };
    if (
      held.call === active.call ||
      held.device.id !== active.device.id ||
      held.state !== 'held' ||
      active.state !== 'connected'
    )
      return { ok: false, error: 'invalidConnectionState' };
    const heldParty = otherParty(held);
    const activeParty = otherParty(active);
    if (heldParty === undefined || activeParty === undefined)
      return { ok: false, error: 'invalidConnectionState' };
    if (typeof dialed !== 'string') return { ok: false, error: 'invalidCalledDevice' };
    // Every party's call is routed before anything moves: a number that cannot be reached leaves
    // both calls as they were rather than hanging the parties up. As for a transfer, the
    // controller's calling search space routes them and each party presents its own number.
    const moves: { party: CallConnection; routed: RouteOk }[] = [];
    for (const party of [heldParty, activeParty, active]) {
      const routed = this.route({ ...held.device, number: party.device.number }, dialed);
      if (!routed.ok) return { ok: false, error: 'invalidCalledDevice' };
      moves.push({ party, routed });
    }
    const primary = held.call;
    const secondary = active.call;
    const calls = moves.map(({ party }) => {
      const oldCallId = party.callId;
      const call = this.newCall(dialed, party.device, party.media);
      this.move(party, call, 'originating');
      if (this.listeners.size > 0)
        this.emit({
          type: 'conferenced',
          callId: call.id,
          cause: 'conference',
          at: this.clock.now(),
          primaryOldCall: primary.id,
          secondaryOldCall: secondary.id,
          conferencingDevice: held.device.id,
          addedParty: party.device.id,
          conferenceNumber: dialed,
          conferenceConnections: [{ connection: connectionRef(party), oldCallId }],
        });
      return call;
    });
    this.release(held, 'conference');
    this.endCall(primary, 'conference');
    this.endCall(secondary, 'conference');
    const [fromHeld, fromActive, fromController] = calls as [Call, Call, Call];
    for (const [index, { routed }] of moves.entries()) this.place(calls[index] as Call, routed);
    return { ok: true, callIds: { held: fromHeld.id, active: fromActive.id, controller: fromController.id } };
  }

  /** Moves a connection, with its identifier and the adapter's context, into another call. */
  private move(connection: CallConnection, to: Call, direction: ConnectionDirection): void {
    const from = connection.call.connections;
    from.splice(from.indexOf(connection), 1);
    connection.call = to;
    connection.direction = direction;
    if (direction === 'originating') to.connections.unshift(connection);
    else to.connections.push(connection);
  }

  /**
   * Two parties that each negotiated their session with the transferring device now talk to
   * each other: the consulted party gets the transferred party's session as a new offer, and
   * the transferred party gets the consulted party's answer as its own new offer (RFC 3725 §4.2
   * in spirit, when descriptions pass end to end). A driver that anchors the media joins the
   * two there and answers without a description: nothing more is sent.
   */
  private async reconnect(transferred: CallConnection, consulted: CallConnection): Promise<void> {
    const offer = transferred.media;
    if (offer === undefined) return;
    const answered = await this.updateDevice(consulted, offer);
    if (!answered?.ok || answered.media === undefined) return;
    consulted.media = answered.media;
    const reoffered = await this.updateDevice(transferred, answered.media);
    if (reoffered?.ok && reoffered.media) transferred.media = reoffered.media;
  }

  private async updateDevice(
    connection: CallConnection,
    media: MediaDescription,
  ): Promise<SessionUpdateResult | undefined> {
    const driver = this.drivers.get(connection.device.kind);
    if (!driver || !connection.live) return undefined;
    try {
      const result = await driver.update(connection, { kind: 'offer', media, transfer: true });
      if (!result.ok)
        this.logger.warn(
          { callId: connection.callId, device: connection.device.id, failure: result.failure },
          'session not renegotiated after a transfer',
        );
      return result;
    } catch (error) {
      this.logger.error(
        { err: error, callId: connection.callId, device: connection.device.id },
        'session update failed',
      );
      return undefined;
    }
  }

  // ---- internals ----

  private route(device: DeviceRef, dialed: string, divertOn?: RouteRequest['divertOn']): RouteResult {
    if (dialed.length === 0 || dialed.length > MAX_DIALED_LENGTH)
      return { ok: false, failure: 'unknown' } as const;
    try {
      return this.router.route(
        divertOn === undefined ? { calling: device, dialed } : { calling: device, dialed, divertOn },
      );
    } catch (error) {
      this.logger.error({ err: error, dialed }, 'router failed');
      return { ok: false, failure: 'unknown' } as const;
    }
  }

  private addConnection(
    call: Call,
    device: DeviceRef,
    direction: ConnectionDirection,
    state: ConnectionState,
    context: unknown,
  ): CallConnection {
    const connection = new CallConnection(call.newConnectionId(), call, device, direction, state, context);
    call.connections.push(connection);
    this.connections.set(connection.id, connection);
    return connection;
  }

  /** Decides what a connection leaving means for the rest of its call. */
  private settle(call: Call, gone: CallConnection, cause: Cause): void {
    if (call.phase === 'cleared') return;
    if (call.phase === 'connected') {
      // A two-party call ends when one party leaves (conferences are for a later feature).
      let remaining = 0;
      for (const connection of call.connections) if (connection.live) remaining++;
      if (remaining >= 2) return;
      for (const connection of call.connections) if (connection.live) this.release(connection, cause);
      this.endCall(call, cause);
      return;
    }
    if (gone.direction === 'originating') {
      // The caller gave up before anyone answered.
      for (const connection of call.connections)
        if (connection.live) this.release(connection, 'callCancelled');
      this.endCall(call, 'callCancelled');
      return;
    }
    if (!call.pendingTerminating()) this.failOrForward(call, this.failureCause(call));
  }

  /** The call cannot be completed: ECMA-269 Failed at the calling device, which is then released. */
  private failCall(call: Call, cause: Cause): void {
    this.stopNoAnswerTimer(call);
    const originating = call.originating;
    if (originating.live) {
      originating.state = 'failed';
      this.emitConnection('failed', originating, cause);
      this.release(originating, cause);
    }
    this.endCall(call, cause);
  }

  private failureCause(call: Call): Cause {
    let best: Cause = 'destOutOfOrder';
    let bestRank = FAILURE_PREFERENCE.length;
    for (const cause of call.failures) {
      const rank = FAILURE_PREFERENCE.indexOf(cause);
      if (rank >= 0 && rank < bestRank) {
        best = cause;
        bestRank = rank;
      }
    }
    return best;
  }

  private noAnswer(call: Call): void {
    call.noAnswerTimer = undefined;
    if (call.phase === 'connected' || call.phase === 'cleared') return;
    for (const connection of call.connections) {
      if (connection.direction === 'terminating' && connection.live)
        this.release(connection, 'callNotAnswered');
    }
    this.failOrForward(call, 'callNotAnswered');
  }

  private stopNoAnswerTimer(call: Call): void {
    if (call.noAnswerTimer === undefined) return;
    this.clock.clearTimeout(call.noAnswerTimer);
    call.noAnswerTimer = undefined;
  }

  /** Removes a connection and tells its driver. */
  private release(connection: CallConnection, cause: Cause): void {
    if (connection.removed) return;
    this.drop(connection, cause);
    const driver = this.drivers.get(connection.device.kind);
    if (driver) this.callDriver(connection, 'release', () => driver.release(connection, cause));
  }

  /** Removes a connection without telling its driver (it told us). */
  private drop(connection: CallConnection, cause: Cause): void {
    if (connection.removed) return;
    connection.removed = true;
    connection.state = 'null';
    this.connections.delete(connection.id);
    this.emitConnection('connectionCleared', connection, cause);
  }

  private endCall(call: Call, cause: Cause): void {
    if (call.phase === 'cleared') return;
    this.stopNoAnswerTimer(call);
    for (const connection of call.connections) {
      connection.removed = true;
      connection.state = 'null';
      this.connections.delete(connection.id);
    }
    call.phase = 'cleared';
    this.active.delete(call.id);
    if (this.listeners.size > 0)
      this.emit({ type: 'callCleared', callId: call.id, cause, at: this.clock.now() });
    if (this.onCallRecord) this.writeRecord(call, cause, this.onCallRecord);
  }

  private writeRecord(call: Call, cause: Cause, onCallRecord: (record: CallRecord) => void): void {
    const record = buildCallRecord({
      callId: call.id,
      calling: call.calling,
      called: call.called,
      originalCalled: call.called === call.dialed ? null : call.dialed,
      setupAt: new Date(call.startedAt),
      answerAt: call.answeredAt === null ? null : new Date(call.answeredAt),
      endAt: new Date(this.wallClock()),
      cause,
    });
    try {
      onCallRecord(record);
    } catch (error) {
      this.logger.error({ err: error, callId: call.id }, 'call record consumer failed');
    }
  }

  private tellOriginating(
    call: Call,
    what: string,
    tell: (driver: DeviceDriver, originating: CallConnection) => void,
  ): void {
    const originating = call.originating;
    if (!originating.live) return;
    const driver = this.drivers.get(originating.device.kind);
    if (driver) this.callDriver(originating, what, () => tell(driver, originating));
  }

  /** A driver that throws has a bug; the call goes on without that request. */
  private callDriver(connection: CallConnection, what: string, request: () => void): void {
    try {
      request();
    } catch (error) {
      this.logger.error(
        { err: error, callId: connection.callId, device: connection.device.id, request: what },
        'device driver failed',
      );
    }
  }

  private emitConnection(type: ConnectionEventType, connection: CallConnection, cause: Cause): void {
    if (this.listeners.size > 0) this.emit(connectionEvent(type, connection, cause, this.clock.now()));
  }

  private emit(event: CallEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event: event.type }, 'call event listener failed');
      }
    }
  }
}

/** The other party of a connected two-party call, for a transfer. */
function otherParty(connection: CallConnection): CallConnection | undefined {
  if (connection.call.phase !== 'connected') return undefined;
  if (connection.state !== 'connected' && connection.state !== 'held') return undefined;
  return connection.call.connections.find(
    (other) => other !== connection && other.live && (other.state === 'connected' || other.state === 'held'),
  );
}

function divertedEvent(call: Call, diversion: Diversion, at: number): CallEvent {
  const originating = call.originating;
  return {
    type: 'diverted',
    callId: call.id,
    cause: DIVERSION_CAUSE[diversion.reason],
    at,
    connection: connectionRef(originating),
    divertingDevice: diversion.from,
    newDestination: diversion.to,
    reason: diversion.reason,
    callingDevice: originating.device.id,
  };
}

function connectionRef(connection: CallConnection): ConnectionRef {
  return {
    callId: connection.callId,
    connectionId: connection.id,
    deviceId: connection.device.id,
    state: connection.state,
  };
}

function connectionEvent(
  type: ConnectionEventType,
  connection: CallConnection,
  cause: Cause,
  at: number,
): CallEvent {
  const call = connection.call;
  const ref = connectionRef(connection);
  const base = { callId: call.id, cause, at };
  const device = connection.device.id;
  const parties = { callingDevice: call.originating.device.id, calledDevice: call.called };
  switch (type) {
    case 'serviceInitiated':
      return { type, ...base, initiatedConnection: ref };
    case 'originated':
      return { type, ...base, originatingConnection: ref, callingDevice: device, calledDevice: call.dialed };
    case 'delivered':
      return { type, ...base, alertingConnection: ref, alertingDevice: device, ...parties };
    case 'established':
      return { type, ...base, establishedConnection: ref, answeringDevice: device, ...parties };
    case 'held':
      return { type, ...base, heldConnection: ref, holdingDevice: device };
    case 'retrieved':
      return { type, ...base, retrievedConnection: ref, retrievingDevice: device };
    case 'failed':
      return { type, ...base, failedConnection: ref, failingDevice: device, ...parties };
    case 'connectionCleared':
      return { type, ...base, droppedConnection: ref, releasingDevice: device };
  }
}
