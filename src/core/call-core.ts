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
  MediaDescription,
} from './model.js';
import type { RouteFailure, Router } from './router.js';

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
  | 'notSupported';

export type OperationResult = { readonly ok: true } | { readonly ok: false; readonly error: OperationError };

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
  readonly activeCalls: number;
}

const DEFAULT_NO_ANSWER_TIMEOUT_MS = 180_000;
const DEFAULT_MAX_CALLS = 20_000;
const DEFAULT_MAX_PARALLEL_ALERTING = 16;
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
};

class CallConnection implements Connection {
  state: ConnectionState;
  context: unknown;
  /** Gone from the call (its state is then null); an offered connection is null but not yet gone. */
  removed = false;

  constructor(
    readonly id: string,
    readonly call: Call,
    readonly device: DeviceRef,
    readonly direction: ConnectionDirection,
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
    this.nextCall++;
    const call = new Call(
      String(this.nextCall),
      request.dialed,
      request.device.number,
      request.device.displayName,
      this.wallClock(),
      request.media,
    );
    this.active.set(call.id, call);
    const originating = this.addConnection(call, request.device, 'originating', 'initiated', request.context);
    this.emitConnection('serviceInitiated', originating, 'newCall');
    // ECMA-269 §17.2.14: with the number dialled, the calling connection is connected.
    originating.state = 'connected';
    this.emitConnection('originated', originating, 'newCall');

    const routed = this.route(request.device, request.dialed);
    if (!routed.ok) {
      this.failCall(call, ROUTE_FAILURE_CAUSE[routed.failure]);
      return { ok: true, callId: call.id, connection: originating };
    }
    call.called = routed.called;
    const devices = routed.devices.slice(0, this.maxParallelAlerting);
    const timeout = routed.noAnswerTimeoutMs ?? this.noAnswerTimeoutMs;
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
    if (call.phase !== 'cleared' && !call.pendingTerminating()) this.failCall(call, this.failureCause(call));
    return { ok: true, callId: call.id, connection: originating };
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
      return await driver.update(peer, update);
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

  // ---- internals ----

  private route(device: DeviceRef, dialed: string) {
    if (dialed.length === 0 || dialed.length > MAX_DIALED_LENGTH)
      return { ok: false, failure: 'unknown' } as const;
    try {
      return this.router.route({ calling: device, dialed });
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
    if (!call.pendingTerminating()) this.failCall(call, this.failureCause(call));
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
    this.failCall(call, 'callNotAnswered');
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

  private emitConnection(
    type: Exclude<CallEvent['type'], 'callCleared'>,
    connection: CallConnection,
    cause: Cause,
  ): void {
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

function connectionEvent(
  type: Exclude<CallEvent['type'], 'callCleared'>,
  connection: CallConnection,
  cause: Cause,
  at: number,
): CallEvent {
  const call = connection.call;
  const ref: ConnectionRef = {
    callId: call.id,
    connectionId: connection.id,
    deviceId: connection.device.id,
    state: connection.state,
  };
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
