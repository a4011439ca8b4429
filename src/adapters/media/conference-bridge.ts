/**
 * The conference bridge, modelled as CUCM models it: a device of the call core. Every participant
 * has an ordinary two-party call with the bridge; the bridge answers at once with an endpoint of
 * its own on the RTP engine, joined to the room's mixer (CME `max-conferences 12 gain -6`).
 * Everything else is the core's: a party is pulled into a room by a single step transfer to the
 * room's number, the bridge calls out with `makeCall`, and when a participant leaves two others
 * behind, the core's `transfer` joins them into a plain call and the room ends.
 *
 * Rooms are reached by number: the factory number (RFC 4579 §5.1, conference factory URI)
 * creates a room and joins the caller; a room's own number joins it (meet-me).
 */
import type { ConferenceSettings } from '../../admin/index.js';
import type {
  CallCore,
  CallEvent,
  Cause,
  Connection,
  ConnectionView,
  CoreLogger,
  DeviceDriver,
  DeviceRef,
  MediaDescription,
  SessionUpdate,
  SessionUpdateResult,
} from '../../core/index.js';
import { silentCoreLogger } from '../../core/index.js';
import {
  type Endpoint,
  type EndpointSettings,
  type MediaEngine,
  MediaError,
  type MediaEvent,
} from '../../media/index.js';
import { type BridgeSession, readAnswer, readOffer, writeAnswer, writeOffer } from './bridge-session.js';
import { isG711 } from './codecs.js';
import type { EndpointOwner, HandedOverLeg, MediaAnchor } from './media-anchor.js';
import { warningValue } from './negotiation.js';

/** The device kind of the bridge's connections. */
export const CONFERENCE_BRIDGE = 'conference';
/** The Warning text (RFC 3261 §20.43, code 399) of a factory call refused at the room limit. */
const MAX_CONFERENCES_TEXT = 'max-conferences reached';
/** The one bridge device; rooms are told apart by the number a connection was reached on. */
const BRIDGE_ID = 'conference-bridge';
const BRIDGE_NAME = 'Conference';

/** The bridge device's `reach`: what routing needs of the bridge as a caller. */
export interface ConferenceReach {
  readonly callingSearchSpace: string | null;
}

export interface ConferenceBridgeOptions extends ConferenceSettings {
  readonly engine: MediaEngine;
  readonly core: CallCore;
  /**
   * The anchor of the node's calls: a party a transfer brings to a room from an anchored call is
   * handed over with the endpoint it already sends to. Without it such a call cannot join.
   */
  readonly anchor?: MediaAnchor;
  /** Address written in SDP; the endpoints' own when left out. */
  readonly address?: string;
  /** A participant sending no RTP for this long is hung up (the engine's timeout); 0 never. */
  readonly mediaTimeoutMs: number;
  /** Agent named in Warning headers (RFC 3261 §20.43). Default 'strowger'. */
  readonly warnAgent?: string;
  readonly logger?: CoreLogger;
  /** Epoch milliseconds for the views. Default Date.now. */
  readonly wallClock?: () => number;
}

export type ParticipantState = 'joining' | 'joined' | 'held';

export interface ParticipantView {
  readonly connectionId: string;
  readonly callId: string;
  /** The participant's number, or the number the bridge dialled. */
  readonly number: string;
  /** 'in': the participant called the room; 'out': the bridge called the participant. */
  readonly direction: 'in' | 'out';
  readonly state: ParticipantState;
  readonly joinedAt: number;
}

export interface RoomView {
  readonly id: string;
  readonly number: string;
  readonly createdAt: number;
  readonly participants: readonly ParticipantView[];
}

export type BridgeFailureCode =
  /** `maxConferences` rooms are running. */
  | 'conference-limit'
  | 'no-such-room'
  | 'no-such-participant'
  /** No connection by that id, or it is not in a connected two-party call. */
  | 'invalid-connection'
  /** The number could not be called. */
  | 'call-failed'
  | 'failed';

export type BridgeResult<T extends object = object> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly code: BridgeFailureCode; readonly reason: string };

export interface ConferenceBridge {
  /** The core's driver for `CONFERENCE_BRIDGE` devices (registered by `createConferenceBridge`). */
  readonly driver: DeviceDriver;
  /** The bridge device a dialled number reaches: the factory or a running room; undefined otherwise. */
  deviceFor(dialed: string): DeviceRef | undefined;
  rooms(): RoomView[];
  room(id: string): RoomView | undefined;
  /** Opens an empty room; it stays until ended or until its participants have left. */
  createRoom(): Promise<BridgeResult<{ readonly room: RoomView }>>;
  /** The bridge calls `dialed` from the room (the core routes it with no calling search space). */
  dialOut(
    roomId: string,
    dialed: string,
  ): Promise<BridgeResult<{ readonly callId: string; readonly connectionId: string }>>;
  /**
   * Moves the party of `connectionId` from its two-party call into the room: its other party
   * hands it on (ECMA-269 SingleStepTransferCall) to the room's number.
   */
  pull(roomId: string, connectionId: string): BridgeResult<{ readonly callId: string }>;
  /**
   * Ad hoc conference (CUCM's Conference softkey, ECMA-269 ConferenceCall): a device's held call
   * and its active call join a new room. Both other parties and the device's active connection
   * move into calls to the room's number with the endpoints they already send to, so the device
   * keeps its active dialog; its held connection is released.
   */
  adHoc(
    heldConnectionId: string,
    activeConnectionId: string,
  ): Promise<BridgeResult<{ readonly room: RoomView }>>;
  /** Hangs a participant up (by its connection id in the room). */
  drop(roomId: string, connectionId: string): BridgeResult;
  /** Hangs every participant up and frees the room. */
  endRoom(roomId: string): Promise<BridgeResult>;
  readonly counts: { readonly rooms: number; readonly participants: number };
  /** The room and participant an endpoint of the bridge's serves, for the runtime views; null for another's. */
  endpointOwner(endpointId: string): EndpointOwner | null;
  close(): Promise<void>;
}

export function createConferenceBridge(options: ConferenceBridgeOptions): ConferenceBridge {
  const bridge = new Bridge(options);
  options.core.registerDriver(CONFERENCE_BRIDGE, bridge.driver);
  return bridge;
}

interface Participant {
  /** Known once the core has the call (a call the bridge places gets it from `makeCall`). */
  connectionId: string;
  readonly room: Room;
  readonly direction: 'in' | 'out';
  readonly number: string;
  readonly joinedAt: number;
  session: BridgeSession;
  state: ParticipantState;
  /** Set once allocated; a participant gone before that releases it when it arrives. */
  endpoint: Endpoint | undefined;
  /** In the room's mix (not on hold, answered). */
  mixed: boolean;
  gone: boolean;
  /** Why the participant's call ended, once it has. */
  cause: Cause | undefined;
}

interface Room {
  readonly id: string;
  readonly slot: number;
  readonly number: string;
  readonly createdAt: number;
  /** The engine's conference, created with the room. */
  readonly conference: Promise<string>;
  readonly participants: Map<string, Participant>;
  /** Opened by a call to the factory number rather than through the API. */
  readonly byFactory: boolean;
  /** Ending (hung up, or falling back to a plain call): leaves no longer change it. */
  ending: boolean;
}

class Bridge implements ConferenceBridge {
  readonly driver: DeviceDriver;
  private readonly roomsById = new Map<string, Room>();
  private readonly roomsByNumber = new Map<string, Room>();
  private readonly participants = new Map<string, Participant>();
  private readonly byEndpoint = new Map<string, Participant>();
  /** Participants of calls the bridge places, until their call ends. */
  private readonly placed = new WeakSet<Participant>();
  private readonly logger: CoreLogger;
  private readonly agent: string;
  private readonly wallClock: () => number;
  private readonly slotWidth: number;
  private readonly stopEvents: () => void;
  private readonly stopCallEvents: () => void;
  /** Calls a participant's device handed to the factory number, with the room they join. */
  private readonly handedToRoom = new Map<string, Room>();
  private nextRoom = 0;
  private nextSession = Math.floor(Date.now() / 1000);

  constructor(private readonly options: ConferenceBridgeOptions) {
    this.logger = options.logger ?? silentCoreLogger;
    this.agent = options.warnAgent ?? 'strowger';
    this.wallClock = options.wallClock ?? Date.now;
    this.slotWidth = String(options.maxConferences).length;
    this.stopEvents = options.engine.onEvent((event) => this.onEngineEvent(event));
    this.stopCallEvents = options.core.events.on((event) => this.onCallEvent(event));
    this.driver = {
      offer: (connection, _call, offer) => void this.offered(connection, offer),
      progress: () => undefined,
      accept: (connection) => void this.accepted(connection),
      release: (connection, cause) => this.released(connection, cause),
      update: (connection, update) => this.updated(connection, update),
    };
  }

  get counts(): { rooms: number; participants: number } {
    return { rooms: this.roomsById.size, participants: this.participants.size };
  }

  endpointOwner(endpointId: string): EndpointOwner | null {
    const participant = this.byEndpoint.get(endpointId);
    if (participant === undefined) return null;
    // A call the bridge places has no connection until `makeCall` returns.
    const legId = participant.connectionId === '' ? null : participant.connectionId;
    const callId = legId === null ? null : (this.options.core.callOf(legId)?.id ?? null);
    return { kind: 'conference', callId, legId, conferenceId: participant.room.id };
  }

  deviceFor(dialed: string): DeviceRef | undefined {
    if (dialed === this.options.factoryNumber || this.roomsByNumber.has(dialed)) return this.device(dialed);
    return undefined;
  }

  rooms(): RoomView[] {
    return [...this.roomsById.values()].map((room) => this.view(room));
  }

  room(id: string): RoomView | undefined {
    const room = this.roomsById.get(id);
    return room === undefined ? undefined : this.view(room);
  }

  async createRoom(): Promise<BridgeResult<{ room: RoomView }>> {
    const opened = this.openRoom(false);
    if (!opened.ok) return opened;
    try {
      await opened.room.conference;
    } catch (error) {
      return failure(error);
    }
    return { ok: true, room: this.view(opened.room) };
  }

  async dialOut(
    roomId: string,
    dialed: string,
  ): Promise<BridgeResult<{ callId: string; connectionId: string }>> {
    const room = this.roomsById.get(roomId);
    if (room === undefined || room.ending) return noRoom(roomId);
    const participant = this.participant(room, 'out', dialed);
    // The offer names the endpoint's port: the call starts once it is allocated. No RTP is due
    // while the called phone rings: the media timeout starts with the answer.
    const endpoint = await this.allocate(participant, { mediaTimeoutMs: 0 });
    if (endpoint === undefined) return { ok: false, code: 'failed', reason: 'no RTP endpoint for the call' };
    if (room.ending) {
      this.leave(participant);
      return noRoom(roomId);
    }
    const result = this.options.core.makeCall({
      device: this.device(room.number),
      dialed,
      media: writeOffer(participant.session, this.address(endpoint), endpoint.rtpPort),
      context: participant,
    });
    if (!result.ok) {
      this.leave(participant);
      return { ok: false, code: 'call-failed', reason: `calls at their limit (${result.cause})` };
    }
    // A number the core cannot route fails inside makeCall: the release has come already.
    if (participant.gone)
      return {
        ok: false,
        code: 'call-failed',
        reason: `${dialed} could not be called (${participant.cause})`,
      };
    participant.connectionId = result.connection.id;
    this.track(participant);
    return { ok: true, callId: result.callId, connectionId: result.connection.id };
  }

  pull(roomId: string, connectionId: string): BridgeResult<{ callId: string }> {
    const room = this.roomsById.get(roomId);
    if (room === undefined || room.ending) return noRoom(roomId);
    const found = this.partyAndOther(connectionId);
    if (typeof found === 'string') return { ok: false, code: 'invalid-connection', reason: found };
    const { party, other } = found;
    if (party.deviceKind === CONFERENCE_BRIDGE || other.deviceKind === CONFERENCE_BRIDGE)
      return {
        ok: false,
        code: 'invalid-connection',
        reason: `connection ${connectionId} is in a conference`,
      };
    const moved = this.options.core.singleStepTransfer(other.id, room.number);
    if (!moved.ok) return { ok: false, code: 'invalid-connection', reason: moved.error };
    return { ok: true, callId: moved.callId };
  }

  async adHoc(
    heldConnectionId: string,
    activeConnectionId: string,
  ): Promise<BridgeResult<{ room: RoomView }>> {
    const refused = this.notControllerPair(heldConnectionId, activeConnectionId);
    if (refused !== undefined) return { ok: false, code: 'invalid-connection', reason: refused };
    const opened = await this.createRoom();
    if (!opened.ok) return opened;
    const room = this.roomsById.get(opened.room.id);
    if (room === undefined || room.ending) return noRoom(opened.room.id);
    // The calls may have changed while the engine made the room: the core checks them again.
    const joined = this.options.core.conference(heldConnectionId, activeConnectionId, room.number);
    if (joined.ok) return { ok: true, room: this.view(room) };
    await this.end(room, () => undefined);
    return {
      ok: false,
      code: 'invalid-connection',
      reason: `connections ${heldConnectionId} and ${activeConnectionId} not conferenced (${joined.error})`,
    };
  }

  /**
   * Why two connections are not one device's held and active calls, each with another party
   * that is not a conference already; undefined when they are.
   */
  private notControllerPair(heldConnectionId: string, activeConnectionId: string): string | undefined {
    const held = this.partyAndOther(heldConnectionId);
    const active = this.partyAndOther(activeConnectionId);
    if (typeof held === 'string') return held;
    if (typeof active === 'string') return active;
    if (held.call === active.call) return 'the held and the active connection are in the same call';
    if (held.party.deviceId !== active.party.deviceId)
      return 'the held and the active connection are not the same device’s';
    if (held.party.state !== 'held') return `connection ${heldConnectionId} is not held`;
    if (active.party.state !== 'connected') return `connection ${activeConnectionId} is not connected`;
    if (held.other.deviceKind === CONFERENCE_BRIDGE || active.other.deviceKind === CONFERENCE_BRIDGE)
      return 'one of the calls is a conference already';
    return undefined;
  }

  /** A connection of a connected two-party call and its other party, or why it is not one. */
  private partyAndOther(
    connectionId: string,
  ): { call: string; party: ConnectionView; other: ConnectionView } | string {
    const call = this.options.core.callOf(connectionId);
    const party = call?.connections.find((connection) => connection.id === connectionId);
    const other = call?.connections.find(
      (connection) =>
        connection.id !== connectionId && (connection.state === 'connected' || connection.state === 'held'),
    );
    if (call === undefined || party === undefined) return `no connection ${connectionId}`;
    if (other === undefined || call.phase !== 'connected')
      return `connection ${connectionId} is not in a connected two-party call`;
    return { call: call.id, party, other };
  }

  drop(roomId: string, connectionId: string): BridgeResult {
    const participant = this.participants.get(connectionId);
    if (participant === undefined || participant.room.id !== roomId)
      return {
        ok: false,
        code: this.roomsById.has(roomId) ? 'no-such-participant' : 'no-such-room',
        reason: `no participant ${connectionId} in room ${roomId}`,
      };
    this.options.core.clear(connectionId, 'normalClearing');
    return { ok: true };
  }

  async endRoom(roomId: string): Promise<BridgeResult> {
    const room = this.roomsById.get(roomId);
    if (room === undefined || room.ending) return noRoom(roomId);
    await this.end(room, () => {
      for (const id of [...room.participants.keys()]) this.options.core.clear(id, 'normalClearing');
    });
    return { ok: true };
  }

  async close(): Promise<void> {
    this.stopEvents();
    this.stopCallEvents();
    await Promise.all([...this.roomsById.keys()].map((id) => this.endRoom(id)));
  }

  // ---- rooms ----

  private openRoom(
    byFactory: boolean,
  ): { ok: true; room: Room } | { ok: false; code: 'conference-limit'; reason: string } {
    const { maxConferences, gainDb, engine } = this.options;
    const slot = this.freeSlot();
    if (slot === undefined)
      return {
        ok: false,
        code: 'conference-limit',
        reason: `at most ${maxConferences} conferences at once (max-conferences)`,
      };
    this.nextRoom++;
    const conference = engine.createConference({ gainDb }).then((created) => created.id);
    const room: Room = {
      id: String(this.nextRoom),
      slot,
      number: `${this.options.roomPrefix}${String(slot).padStart(this.slotWidth, '0')}`,
      createdAt: this.wallClock(),
      conference,
      participants: new Map(),
      byFactory,
      ending: false,
    };
    this.roomsById.set(room.id, room);
    this.roomsByNumber.set(room.number, room);
    conference.catch((error: unknown) => {
      this.logger.warn({ err: error, room: room.id }, 'conference not created');
      this.forget(room);
    });
    return { ok: true, room };
  }

  private freeSlot(): number | undefined {
    const used = new Set<number>();
    for (const room of this.roomsById.values()) used.add(room.slot);
    for (let slot = 1; slot <= this.options.maxConferences; slot++) if (!used.has(slot)) return slot;
    return undefined;
  }

  /**
   * Ends a room: `hangUp` takes its participants out through the core (their releases then find
   * the room ending), and the engine's conference goes.
   */
  private async end(room: Room, hangUp: () => void): Promise<void> {
    room.ending = true;
    this.forget(room);
    hangUp();
    try {
      await this.options.engine.endConference(await room.conference);
    } catch (error) {
      if (!isGone(error)) this.logger.warn({ err: error, room: room.id }, 'conference not ended cleanly');
    }
  }

  private forget(room: Room): void {
    if (this.roomsById.get(room.id) === room) this.roomsById.delete(room.id);
    if (this.roomsByNumber.get(room.number) === room) this.roomsByNumber.delete(room.number);
  }

  /**
   * A participant left `room`. Two left behind fall back to a plain call between themselves
   * (the core joins the bridge's two connections, as a transfer does); one left alone is hung up,
   * a conference of one being no call; an empty room ends. A call that never joined changes
   * nothing, except that a room the factory opened for it ends with it.
   */
  private settle(room: Room, left: Participant): void {
    if (room.ending) return;
    const rest = [...room.participants.values()];
    if (left.state === 'joining') {
      if (rest.length === 0 && room.byFactory) void this.end(room, () => undefined);
      return;
    }
    const [a, b] = rest;
    if (a === undefined) {
      void this.end(room, () => undefined);
    } else if (b === undefined) {
      if (a.state !== 'joining')
        void this.end(room, () => this.options.core.clear(a.connectionId, 'normalClearing'));
    } else if (rest.length === 2 && a.state !== 'joining' && b.state !== 'joining') {
      void this.end(room, () => this.fallBack(room, a, b));
    }
  }

  /** RFC 3725 §4.2 in spirit: the core re-offers each party's session to the other. */
  private fallBack(room: Room, a: Participant, b: Participant): void {
    const { core } = this.options;
    const joined = core.transfer(a.connectionId, b.connectionId);
    if (joined.ok) return;
    // The core could not join them (one is on its way out): nobody is left in a conference.
    this.logger.warn({ room: room.id, error: joined.error }, 'conference did not fall back to a call');
    core.clear(a.connectionId, 'normalClearing');
    core.clear(b.connectionId, 'normalClearing');
  }

  // ---- the driver ----

  /** A call reached the bridge: the factory opens a room, a room's number joins it. */
  private async offered(connection: Connection, offer: MediaDescription | undefined): Promise<void> {
    const { core } = this.options;
    const room = await this.roomFor(connection);
    if (room === undefined) return;
    const caller = core.callOf(connection.id)?.connections.find((party) => party.direction === 'originating');
    const participant = this.participant(room, 'in', caller?.number ?? '', connection.id);
    // A transfer brought a party of an anchored call here: it comes with the endpoint it sends to.
    const handed = caller && (await this.options.anchor?.handOver(connection.callId, caller.id));
    if (handed) {
      await this.takeIn(participant, connection, handed);
      return;
    }
    // RFC 3261 §13.2.1 lets an INVITE leave the offer to the 2xx; the bridge needs the caller's.
    const terms = offer === undefined ? undefined : readOffer(offer, this.agent);
    if (terms === undefined || !terms.ok) {
      if (terms !== undefined)
        this.logger.warn({ callId: connection.callId, warning: terms.warning }, 'no G.711 offered');
      await Promise.resolve();
      // The core releases the connection: the participant leaves through `released`.
      core.reportFailed(connection.id, 'incompatibleDestination');
      return;
    }
    const endpoint = await this.allocate(participant, terms.terms.settings);
    if (endpoint === undefined) return;
    const answer = writeAnswer(terms.lines, participant.session, this.address(endpoint), endpoint.rtpPort);
    // Not ok when the caller gave up meanwhile: the release has taken the participant out.
    if (!core.reportAnswered(connection.id, answer).ok) return;
    await this.mix(participant, terms.terms.listens);
  }

  /**
   * The room a call to the bridge joins: the factory opens one (RFC 4579 §5.1), a room's number
   * names one. Otherwise the call is refused, after the core's offer has returned.
   */
  private async roomFor(connection: Connection): Promise<Room | undefined> {
    const number = connection.device.number;
    let room = this.handedToRoom.get(connection.callId);
    let cause: Cause = 'destNotObtainable';
    if (room !== undefined) this.handedToRoom.delete(connection.callId);
    else if (number === this.options.factoryNumber) {
      const opened = this.openRoom(true);
      if (opened.ok) room = opened.room;
      else {
        this.logger.warn({ callId: connection.callId, reason: opened.reason }, 'conference refused');
        // Q.850 42, congestion: the caller's SIP leg answers 503 with Retry-After (RFC 3261
        // §21.5.4) and the Warning left with the anchor, which the core's cause cannot carry.
        cause = 'networkCongestion';
        this.options.anchor?.leaveWarning(
          connection.callId,
          warningValue(this.agent, 399, MAX_CONFERENCES_TEXT),
        );
      }
    } else room = this.roomsByNumber.get(number);
    if (room !== undefined && !room.ending) return room;
    await Promise.resolve();
    this.options.core.reportFailed(connection.id, cause);
    return undefined;
  }

  /**
   * A party of an anchored call moved here (a blind transfer to the room's number, RFC 4579
   * §5.5, or the API's pull): the bridge mixes the endpoint the party already sends to, so that
   * nothing is sent to it while its session carries G.711 alone (RFC 3264 §8: an unchanged
   * session needs no new offer; the answer to the core carries no description). A party whose
   * session allows another codec is offered G.711 anew on the same port.
   */
  private async takeIn(
    participant: Participant,
    connection: Connection,
    handed: HandedOverLeg,
  ): Promise<void> {
    participant.session = { sessionId: handed.sessionId, version: handed.version };
    if (!this.own(participant, handed.endpoint)) return;
    if (!this.options.core.reportAnswered(connection.id).ok) return;
    const audio = handed.formats.filter((format) => format.codec !== 'telephone-event');
    if (audio.length > 0 && audio.every((format) => isG711(format.codec))) await this.mix(participant, true);
    else await this.reoffer(participant, connection);
  }

  /** The bridge's own call was answered (`dialOut`). */
  private async accepted(connection: Connection): Promise<void> {
    const participant = this.participants.get(connection.id);
    if (participant !== undefined) await this.reoffer(participant, connection);
  }

  /**
   * Offers the participant G.711 at its endpoint through the call (RFC 3264 §8) and takes the
   * answer. A called party answers the bridge's call as it wrote it, while a SIP leg that anchors
   * media sent it the anchor's endpoint: the new offer is rewritten by the anchor both ways and
   * the two endpoints connected. A party handed over with another codec is told G.711.
   */
  private async reoffer(participant: Participant, connection: Connection): Promise<void> {
    const endpoint = participant.endpoint;
    if (participant.gone || endpoint === undefined) return;
    const offer = writeOffer(participant.session, this.address(endpoint), endpoint.rtpPort);
    const answered = await this.options.core.updateSession(connection.id, { kind: 'offer', media: offer });
    if (participant.gone) return;
    const terms = answered.ok && answered.media !== undefined ? readAnswer(answered.media) : undefined;
    if (terms === undefined) {
      this.logger.warn({ callId: connection.callId }, 'the participant answered without G.711');
      this.options.core.clear(connection.id, 'incompatibleDestination');
      return;
    }
    try {
      await this.options.engine.update(endpoint.id, terms.settings);
    } catch (error) {
      this.failParticipant(participant, error);
      return;
    }
    await this.mix(participant, terms.listens);
  }

  private released(connection: Connection, cause: Cause): void {
    // A call the bridge places may fail inside makeCall, before the participant knows its connection.
    const participant = this.participants.get(connection.id) ?? this.placing(connection);
    if (participant === undefined || participant.gone) return;
    participant.cause = cause;
    this.leave(participant);
    this.settle(participant.room, participant);
  }

  private placing(connection: Connection): Participant | undefined {
    const context = connection.context;
    return context !== null && typeof context === 'object' && this.placed.has(context as Participant)
      ? (context as Participant)
      : undefined;
  }

  /** A participant's re-INVITE (new address, hold, retrieve) is answered here. */
  private async updated(connection: Connection, update: SessionUpdate): Promise<SessionUpdateResult> {
    const participant = this.participants.get(connection.id);
    if (participant?.endpoint === undefined || participant.gone) return { ok: false, failure: 'noPeer' };
    if (update.kind === 'info') return { ok: true };
    const terms = readOffer(update.media, this.agent);
    if (!terms.ok) return { ok: false, failure: 'rejected' };
    const endpoint = participant.endpoint;
    try {
      await this.options.engine.update(endpoint.id, terms.terms.settings);
    } catch (error) {
      this.logger.warn({ err: error, callId: connection.callId }, 'participant not updated');
      return { ok: false, failure: 'rejected' };
    }
    await this.mix(participant, terms.terms.listens);
    const media = writeAnswer(terms.lines, participant.session, this.address(endpoint), endpoint.rtpPort);
    return { ok: true, media };
  }

  // ---- participants ----

  private participant(room: Room, direction: 'in' | 'out', number: string, connectionId = ''): Participant {
    this.nextSession++;
    const participant: Participant = {
      connectionId,
      room,
      direction,
      number,
      joinedAt: this.wallClock(),
      session: { sessionId: this.nextSession, version: 0 },
      state: 'joining',
      endpoint: undefined,
      mixed: false,
      gone: false,
      cause: undefined,
    };
    if (direction === 'out') this.placed.add(participant);
    else this.track(participant);
    return participant;
  }

  private track(participant: Participant): void {
    participant.room.participants.set(participant.connectionId, participant);
    this.participants.set(participant.connectionId, participant);
  }

  private async allocate(
    participant: Participant,
    settings: EndpointSettings,
  ): Promise<Endpoint | undefined> {
    let endpoint: Endpoint;
    try {
      endpoint = await this.options.engine.allocate(settings);
    } catch (error) {
      this.failParticipant(participant, error);
      return undefined;
    }
    return this.own(participant, endpoint) ? endpoint : undefined;
  }

  /** The participant's endpoint from now on; released at once when the participant has gone meanwhile. */
  private own(participant: Participant, endpoint: Endpoint): boolean {
    if (participant.gone) {
      this.options.engine.release(endpoint.id).catch(() => undefined);
      return false;
    }
    participant.endpoint = endpoint;
    this.byEndpoint.set(endpoint.id, participant);
    return true;
  }

  /**
   * Puts the participant in the room's mix, or takes it out while it holds the call. A holding
   * participant may send nothing (RFC 3264 §8.4): its media timeout is off until it retrieves,
   * as the anchor does for the holder of a call.
   */
  private async mix(participant: Participant, listens: boolean): Promise<void> {
    const { engine, mediaTimeoutMs, gainDb } = this.options;
    const endpoint = participant.endpoint;
    const wasMixed = participant.mixed;
    if (endpoint === undefined || participant.gone) return;
    if (participant.state !== 'joining' && wasMixed === listens) return;
    participant.mixed = listens;
    participant.state = listens ? 'joined' : 'held';
    try {
      const conference = await participant.room.conference;
      await engine.update(endpoint.id, { mediaTimeoutMs: listens ? mediaTimeoutMs : 0 });
      if (listens) await engine.join(conference, endpoint.id, { gainDb });
      else if (wasMixed) await engine.leave(conference, endpoint.id);
    } catch (error) {
      this.failParticipant(participant, error);
    }
  }

  /** Takes a participant out of the bridge's books and gives its endpoint back to the engine. */
  private leave(participant: Participant): void {
    participant.gone = true;
    this.placed.delete(participant);
    const { room, connectionId, endpoint } = participant;
    if (room.participants.get(connectionId) === participant) room.participants.delete(connectionId);
    if (this.participants.get(connectionId) === participant) this.participants.delete(connectionId);
    if (endpoint === undefined) return;
    this.byEndpoint.delete(endpoint.id);
    this.options.engine.release(endpoint.id).catch((error: unknown) => {
      if (!isGone(error)) this.logger.warn({ err: error, endpoint: endpoint.id }, 'endpoint not released');
    });
  }

  /** The engine could not serve a participant: its call is cleared (the release takes it out). */
  private failParticipant(participant: Participant, error: unknown): void {
    this.logger.warn({ err: error, room: participant.room.id }, 'conference participant lost its media');
    if (participant.gone) return;
    if (participant.connectionId === '') {
      this.leave(participant);
      return;
    }
    if (participant.state === 'joining' && participant.direction === 'in')
      this.options.core.reportFailed(participant.connectionId, 'resourcesNotAvailable');
    else this.options.core.clear(participant.connectionId, 'resourcesNotAvailable');
  }

  /**
   * RFC 4579 §5.4: a participant's phone hands the party of its other call to the focus (a REFER
   * with Replaces in its dialog with the room, which the SIP legs take as a transfer to the
   * number the phone reached the room on). Reached through the factory number, that party joins
   * the phone's room rather than a new one.
   */
  private onCallEvent(event: CallEvent): void {
    if (event.type === 'callCleared') this.handedToRoom.delete(event.callId);
    if (event.type !== 'transferred' || event.cause !== 'singleStepTransfer') return;
    if (event.transferredToDevice !== this.options.factoryNumber) return;
    const room = this.roomOfDevice(event.transferringDevice);
    if (room !== undefined) this.handedToRoom.set(event.callId, room);
  }

  /** The room a device takes part in (its call with the bridge), if any. */
  private roomOfDevice(deviceId: string): Room | undefined {
    const { core } = this.options;
    for (const participant of this.participants.values()) {
      const parties = core.callOf(participant.connectionId)?.connections;
      if (parties?.some((party) => party.id !== participant.connectionId && party.deviceId === deviceId))
        return participant.room;
    }
    return undefined;
  }

  private onEngineEvent(event: MediaEvent): void {
    // No RTP from a participant for the engine's media timeout: its call is cleared, as an anchored call's.
    if (event.type !== 'timeout') return;
    const participant = this.byEndpoint.get(event.endpointId);
    if (participant === undefined || participant.gone) return;
    this.logger.warn({ room: participant.room.id, cause: event.cause }, 'media timeout: participant dropped');
    this.options.core.clear(participant.connectionId, 'resourcesNotAvailable');
  }

  private device(number: string): DeviceRef {
    const reach: ConferenceReach = { callingSearchSpace: this.options.callingSearchSpace };
    return { kind: CONFERENCE_BRIDGE, id: BRIDGE_ID, number, displayName: BRIDGE_NAME, reach };
  }

  private address(endpoint: Endpoint): string {
    return this.options.address ?? endpoint.address;
  }

  private view(room: Room): RoomView {
    return {
      id: room.id,
      number: room.number,
      createdAt: room.createdAt,
      participants: [...room.participants.values()].map((participant) => ({
        connectionId: participant.connectionId,
        callId: this.options.core.callOf(participant.connectionId)?.id ?? '',
        number: participant.number,
        direction: participant.direction,
        state: participant.state,
        joinedAt: participant.joinedAt,
      })),
    };
  }
}

function noRoom(roomId: string): { ok: false; code: 'no-such-room'; reason: string } {
  return { ok: false, code: 'no-such-room', reason: `no conference room ${roomId}` };
}

function isGone(error: unknown): boolean {
  return (
    error instanceof MediaError && (error.code === 'no-such-conference' || error.code === 'no-such-endpoint')
  );
}

function failure(error: unknown): { ok: false; code: BridgeFailureCode; reason: string } {
  if (error instanceof MediaError && error.code === 'conference-limit')
    return { ok: false, code: 'conference-limit', reason: error.message };
  return { ok: false, code: 'failed', reason: error instanceof Error ? error.message : String(error) };
}
