import type { ConfigSnapshot } from '../admin/index.js';
import type { DeviceEvidence, DeviceStatus } from '../features/device-status/index.js';

/**
 * What the API reads from the running node. The server connects these to the registrar, the call
 * core and the SIP stack; the API depends on nothing more than these shapes.
 */

export interface EndpointView {
  /** `UDP`, `TCP`, `TLS`, `WS`, `WSS`. */
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
}

/** One registration binding (RFC 3261 §10), as `show registrations` presents it. */
export interface RegistrationView {
  readonly aor: string;
  readonly dn: string;
  readonly partition: string;
  readonly phone: string;
  readonly contact: string;
  /** Where the REGISTER came from. */
  readonly source: EndpointView;
  /** Seconds until the binding expires. */
  readonly expiresIn: number;
  readonly userAgent: string | null;
  /** `+sip.instance` (RFC 5626 §4.1). */
  readonly instanceId: string | null;
}

/** A device's part in a call, in the CSTA connection states (ECMA-269 §6.1.2). */
export interface ConnectionView {
  readonly id: string;
  readonly deviceKind: string;
  readonly deviceId: string;
  readonly number: string;
  readonly direction: 'originating' | 'terminating';
  readonly state: 'null' | 'initiated' | 'alerting' | 'connected' | 'held' | 'queued' | 'failed';
}

/** A call in progress. Times are epoch milliseconds. */
export interface CallView {
  readonly id: string;
  readonly phase: 'routing' | 'alerting' | 'connected' | 'cleared';
  readonly calling: string;
  readonly called: string;
  readonly connections: readonly ConnectionView[];
  /** Forwards the call went through, oldest first. */
  readonly diversions?: readonly { readonly from: string; readonly to: string; readonly reason: string }[];
  readonly startedAt: number;
  readonly answeredAt: number | null;
}

/** A SIP trunk to a carrier: service state and the registration of its numbers. */
export interface TrunkView {
  readonly name: string;
  readonly state: 'in-service' | 'out-of-service';
  readonly target: EndpointView | undefined;
  readonly targets: readonly EndpointView[];
  readonly consecutiveFailures: number;
  readonly lastOptions:
    | {
        readonly target: EndpointView;
        readonly status: number;
        readonly reason: string;
        readonly rttMs: number;
        readonly secondsAgo: number;
      }
    | undefined;
  readonly numbers: readonly {
    readonly number: string;
    readonly register: boolean;
    readonly state: string;
    readonly status: number | undefined;
    readonly reason: string | undefined;
    readonly expiresIn: number | undefined;
    readonly retryIn: number | undefined;
    readonly registrar: string | undefined;
  }[];
}

export interface RuntimeViews {
  registrations(): readonly RegistrationView[];
  trunks(): readonly TrunkView[];
  /** The configuration the node runs on, for digit analysis (`strowger dna` on the running node). */
  snapshot(): ConfigSnapshot;
  calls(): readonly CallView[];
  /** The configuration version the node runs on (its snapshot's). */
  configVersion(): number;
  /** Every signalling listener (SIP, later SCCP and CTI). */
  listeners(): readonly EndpointView[];
  /** Real-time device status; without it `/phones/status` and `/phones/{name}/diagnosis` are not offered. */
  readonly devices?: DeviceViews;
}

/** The device status tracker (src/features/device-status) as the API reads it. */
export interface DeviceViews {
  list(): readonly DeviceStatus[];
  /** Undefined for a device neither configured nor seen. */
  evidence(name: string): DeviceEvidence | undefined;
}

/** Something that happened in the core (call events, registrations), sent to clients as JSON. */
export interface ServerEvent {
  readonly type: string;
}

export interface EventSource {
  /** Subscribes to every event; returns the unsubscribe function. */
  on(listener: (event: ServerEvent) => void): () => void;
}

/** One SIP message as it crossed the wire (IOS `debug ccsip message`). */
export interface TraceEntry {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly direction: 'in' | 'out';
  readonly remote: EndpointView;
  readonly text: string;
}

export interface TraceSource {
  /** Delivers messages to or from `device` (every message when absent); returns the unsubscribe function. */
  subscribe(filter: { device?: string }, listener: (entry: TraceEntry) => void): () => void;
}

export interface SipMessageCount {
  readonly direction: 'in' | 'out';
  readonly method: string;
  readonly count: number;
}

export interface SipResponseCount extends SipMessageCount {
  readonly status: number;
}

/** Cumulative counts since the node started. */
export interface SipMessageStats {
  readonly requests: readonly SipMessageCount[];
  /** `method` is the method of the request the response answers (its CSeq method). */
  readonly responses: readonly SipResponseCount[];
}

/** Transactions alive right now (RFC 3261 §17), by kind. */
export interface TransactionStats {
  readonly inviteClient: number;
  readonly nonInviteClient: number;
  readonly inviteServer: number;
  readonly nonInviteServer: number;
}

/** One RTP endpoint's counters since it was allocated, as the engine keeps them. */
export interface MediaEndpointFigures {
  readonly endpointId: string;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** Expected minus received for the current source (RFC 3550 A.3); negative with duplicates. */
  readonly packetsLost: number;
  /** Interarrival jitter in milliseconds (RFC 3550 A.8). */
  readonly jitterMs: number;
  readonly malformed: number;
  /** Packets from a source other than the latched one. */
  readonly foreignSource: number;
  /** Packets with a payload type the leg did not negotiate or its peer cannot take. */
  readonly unroutable: number;
}

/** The RTP engine's state at one instant. */
export interface MediaFigures {
  readonly workers: number;
  /**
   * Per worker, the share of time its event loop was busy since the engine was last asked (by
   * `/media` or a scrape of `/metrics`); null for an engine on the main thread or a worker gone.
   */
  readonly workerUtilization: readonly (number | null)[];
  readonly ports: { readonly capacity: number; readonly used: number; readonly available: number };
  readonly conferences: number;
  readonly endpoints: readonly MediaEndpointFigures[];
}

/** Who an endpoint serves: `legId` is the core connection id of a call's leg. */
export interface MediaEndpointOwner {
  readonly kind: 'call' | 'announcement' | 'conference';
  readonly callId: string | null;
  readonly legId: string | null;
  /** The conference room of a `conference` endpoint; null for the others. */
  readonly conferenceId: string | null;
}

/** The RTP engine and the media anchor (src/media, src/adapters/media) as the API reads them. */
export interface MediaSource {
  stats(): Promise<MediaFigures>;
  /** Null for an endpoint no call, announcement or conference holds. */
  ownerOf(endpointId: string): MediaEndpointOwner | null;
}

/** Read at every scrape of `/metrics`. */
export interface MetricsSources {
  sipStats(): SipMessageStats;
  transactionStats(): TransactionStats;
  registrationCount(): number;
  activeCalls(): number;
  /** Calls ended since the node started, by end cause (ECMA-269 §12.2 cause names). */
  callsByCause(): Readonly<Record<string, number>>;
  /** Conference rooms running and their participants; absent without a conference bridge. */
  conferences?(): { readonly rooms: number; readonly participants: number };
  /** Recordings in progress; absent when media is not anchored. */
  recordings?(): number;
  /** The RTP engine's state, read once per scrape; absent when media is not anchored. */
  media?(): Promise<MediaFigures>;
}

/** A participant of a conference room: its call with the bridge. Times are epoch milliseconds. */
export interface ConferenceParticipantView {
  /** The bridge's connection in the participant's call. */
  readonly connectionId: string;
  readonly callId: string;
  readonly number: string;
  /** 'in': the participant called the room; 'out': the bridge called the participant. */
  readonly direction: 'in' | 'out';
  readonly state: 'joining' | 'joined' | 'held';
  readonly joinedAt: number;
}

export interface ConferenceRoomView {
  readonly id: string;
  /** Dialling it joins the room (meet-me). */
  readonly number: string;
  readonly createdAt: number;
  readonly participants: readonly ConferenceParticipantView[];
}

export type ConferenceOutcome<T extends object = object> =
  | ({ readonly ok: true } & T)
  | {
      readonly ok: false;
      readonly code:
        | 'conference-limit'
        | 'no-such-room'
        | 'no-such-participant'
        | 'invalid-connection'
        | 'call-failed'
        | 'failed';
      readonly reason: string;
    };

/** The conference bridge (src/adapters/media) as the API drives it. */
export interface ConferenceControl {
  rooms(): readonly ConferenceRoomView[];
  room(id: string): ConferenceRoomView | undefined;
  createRoom(): Promise<ConferenceOutcome<{ readonly room: ConferenceRoomView }>>;
  dialOut(
    roomId: string,
    dialed: string,
  ): Promise<ConferenceOutcome<{ readonly callId: string; readonly connectionId: string }>>;
  pull(roomId: string, connectionId: string): ConferenceOutcome<{ readonly callId: string }>;
  /** Opens a room with a device's held and active calls' parties and the device itself (ad hoc). */
  adHoc(
    heldConnectionId: string,
    activeConnectionId: string,
  ): Promise<ConferenceOutcome<{ readonly room: ConferenceRoomView }>>;
  drop(roomId: string, connectionId: string): ConferenceOutcome;
  endRoom(roomId: string): Promise<ConferenceOutcome>;
  readonly counts: { readonly rooms: number; readonly participants: number };
}

/** A recording in progress. Times are epoch milliseconds. */
export interface RecordingView {
  readonly id: string;
  readonly connectionId: string;
  /** The call the recorded leg is in now (a transfer may have moved it). */
  readonly callId: string;
  /** File name in the recordings folder, for `/recordings/files/{name}` once it has ended. */
  readonly file: string;
  readonly startedAt: number;
}

export interface RecordingFileView {
  readonly name: string;
  readonly size: number;
  /** From the WAV header; null when it is not a PCM WAV header. */
  readonly durationSeconds: number | null;
  readonly modifiedAt: number;
}

/** The recording service (src/adapters/media) as the API drives it. */
export interface RecordingControl {
  record(connectionId: string): Promise<
    | { readonly ok: true; readonly recording: RecordingView }
    | {
        readonly ok: false;
        readonly code: 'no-such-connection' | 'not-anchored' | 'already-recording' | 'failed';
        readonly reason: string;
      }
  >;
  finish(id: string): Promise<
    | {
        readonly ok: true;
        readonly recording: RecordingView & {
          readonly endedAt: number;
          readonly seconds: number;
          readonly bytes: number;
        };
      }
    | { readonly ok: false; readonly code: 'no-such-recording' | 'failed'; readonly reason: string }
  >;
  active(): Promise<readonly (RecordingView & { readonly seconds: number; readonly bytes: number })[]>;
  files(): Promise<{ readonly files: readonly RecordingFileView[]; readonly truncated: boolean }>;
  openFile(
    name: string,
  ): Promise<
    | { readonly ok: true; readonly size: number; readonly stream: NodeJS.ReadableStream }
    | { readonly ok: false; readonly code: 'no-such-file' | 'recording' }
  >;
  /** Recordings in progress. */
  readonly count: number;
}
