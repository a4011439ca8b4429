/**
 * Anchors a B2BUA call's media in the RTP engine. Each leg of a call gets an endpoint (the second
 * one on the first one's worker); every SDP that crosses the B2BUA is rewritten to point at the
 * endpoint facing its receiver, with the formats that receiver's policy allows. Once an answer
 * arrives the two endpoints are connected, transcoding μ-law ⇄ A-law when the legs chose
 * different laws. The anchor also terminates DTMF between legs that relay it differently, plays
 * music on hold, and reports media timeouts. Operations on one call run one after another.
 */
import type { CoreLogger, MediaDescription } from '../../core/index.js';
import {
  type CallProgressTone,
  type Endpoint,
  type EndpointSettings,
  type MediaEngine,
  MediaError,
  type MediaEvent,
  type PlaySource,
  type TimeoutCause,
  type ToneRegion,
} from '../../media/index.js';
import {
  ALL_AUDIO_CODECS,
  type AudioCodec,
  codecSpecs,
  isG711,
  otherLaw,
  type PayloadFormat,
} from './codecs.js';
import {
  type DtmfMessage,
  type InfoFormat,
  infoMessage,
  NOTIFY_MAX_DURATION_MS,
  readInfo,
  readNotify,
  type SignalledDigit,
} from './dtmf-bodies.js';
import { dtmfAction, NotifySequence } from './dtmf-interworking.js';
import { audioLine, type DtmfRelay, negotiateLine, type WarningCode, warningValue } from './negotiation.js';
import {
  type Direction,
  HOLD_ADDRESS,
  type LineToWrite,
  type MediaLine,
  readSession,
  writeSession,
} from './session-description.js';

export interface LegPolicy {
  /** Name of the leg's codec preference list in the anchor's `codecs` (its device pool or trunk). */
  codecs: string;
  dtmfRelay: DtmfRelay;
  /** Body of the INFOs sent to a 'sip-info' leg. Default 'dtmf-relay'. */
  dtmfInfoFormat?: InfoFormat;
  /**
   * The duration of the key-down NOTIFYs sent to a 'sip-notify' leg: the max-duration its far
   * end and we agreed on in Call-Info (Cisco `notify telephone-event`). Default 2000 ms.
   */
  notifyMaxDurationMs?: number;
  /**
   * The tones the anchor plays to the leg (ringback, failure tones): its device pool's region
   * (CUCM's network locale). The anchor's `toneRegion` when undefined.
   */
  toneRegion?: ToneRegion;
}

/** The policies of the two legs an offer crosses. */
export interface OfferPolicy {
  offerer: LegPolicy;
  answerer: LegPolicy;
}

export interface MediaTimeout {
  callId: string;
  legId: string;
  cause: TimeoutCause;
  silentForMs: number;
}

export interface MediaAnchorOptions {
  engine: MediaEngine;
  /** Address written in SDP; the engine's endpoint address when left out. */
  address?: string;
  /** Codec preference lists by device pool or trunk name; a name not listed allows every codec. */
  codecs: Readonly<Record<string, readonly AudioCodec[]>>;
  /** No RTP for this long from a leg that should be sending raises a media timeout; 0 disables. */
  mediaTimeoutMs: number;
  /** MOH files (WAV or AU, G.711-quality) by MOH class; `default` serves unknown classes. */
  musicOnHold?: Readonly<Record<string, string>>;
  /**
   * G.729 MOH files (WAV or AU with a G.729 format, or a raw `.g729` bitstream) by MOH class;
   * `default` serves unknown classes. A held leg whose codec is G.729 hears them as they are.
   */
  musicOnHoldG729?: Readonly<Record<string, string>>;
  /**
   * The tones the anchor generates (ringback, failure tones) for a leg whose policy names no
   * region: North American (default) or ITU-T.
   */
  toneRegion?: ToneRegion;
  /** μ-law ⇄ A-law transcoding between legs. Default true. */
  transcode?: boolean;
  /** Agent named in Warning headers (RFC 3261 §20.43). Default 'strowger'. */
  warnAgent?: string;
  logger?: CoreLogger;
  /** A DTMF request to send on a leg that relays digits in signalling. */
  onDtmfSignal?: (callId: string, legId: string, message: DtmfMessage) => void;
  onMediaTimeout?: (timeout: MediaTimeout) => void;
}

export type AnchorResult =
  | { ok: true; media: MediaDescription }
  | {
      ok: false;
      /** The SIP status the leg should answer with: 488 for media it cannot take, 500/503 otherwise. */
      status: 488 | 500 | 503;
      reason: string;
      /** Warning header value for a 488 (RFC 3261 §20.43). */
      warning?: string;
    };

export type Outcome = { ok: true } | { ok: false; reason: string };
/** `joined` false: the legs cannot take each other's media as negotiated and need a new offer. */
export type JoinOutcome = { ok: true; joined: boolean } | { ok: false; reason: string };
/** An endpoint the anchor gave away, with what the party was last told of it. */
export interface HandedOverLeg {
  readonly endpoint: Endpoint;
  /** The formats of the last description the leg sent or was sent, preferred first. */
  readonly formats: readonly PayloadFormat[];
  /** Our side of the party's session (RFC 3264 §8): a new owner goes on with its id and version. */
  readonly sessionId: number;
  readonly version: number;
}

/** What a caller whose call failed hears: a generated tone, or an announcement file (WAV or AU). */
export type Announcement = { kind: 'tone'; tone: CallProgressTone } | { kind: 'file'; path: string };

export type AnnounceOutcome =
  | {
      ok: true;
      /** The answer to the caller's offer: our endpoint, one G.711 law, sendonly. */
      media: MediaDescription;
      /** Settles when an announcement file has played to its end (a tone plays until released). */
      ended: Promise<void>;
    }
  | { ok: false; reason: string };

export type HoldOutcome = { ok: true; moh: boolean; reason?: string } | { ok: false; reason: string };
/** `tone` false: the party hears no tone, for `reason` (no G.711 codec, its call was answered). */
export type RingbackOutcome = { ok: true; tone: boolean; reason?: string } | { ok: false; reason: string };

/**
 * `call`: a leg of an anchored call; `legId` (the core's connection id) is null for the endpoint
 * of an offer no leg has answered yet. `announcement`: a failed caller's tone or announcement,
 * which belongs to no call any more. `conference`: a participant's endpoint in a room's mix (the
 * conference bridge's); `legId` is the bridge's connection in the participant's call, null with
 * `callId` while the bridge's own call out has no connection yet.
 */
export interface EndpointOwner {
  readonly kind: 'call' | 'announcement' | 'conference';
  readonly callId: string | null;
  readonly legId: string | null;
  /** The room of a `conference` endpoint; null for the others. */
  readonly conferenceId: string | null;
}

export interface MediaAnchor {
  /** Rewrites an offer from `legId` for the other leg of the call. */
  anchorOffer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: OfferPolicy,
  ): Promise<AnchorResult>;
  /** Rewrites the answer from `legId` for the offering leg and connects the two legs' media. */
  anchorAnswer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: LegPolicy,
  ): Promise<AnchorResult>;
  /** `legId` puts the other leg on hold: the other leg hears MOH, `legId`'s endpoint goes silent. */
  hold(callId: string, legId: string, mohClass?: string): Promise<HoldOutcome>;
  retrieve(callId: string, legId: string): Promise<Outcome>;
  /**
   * Plays the ringback tone to `legId` while its offer waits for the other party's answer (the
   * target of a blind transfer rings). The first answer stops it, early or final (RFC 3960 §3:
   * early media wins over local ringback); its stream runs on into the relayed media.
   */
  ringback(callId: string, legId: string): Promise<RingbackOutcome>;
  /**
   * Answers the offer of a caller whose call failed before it was answered with early media of
   * ours (RFC 3960 §3) and plays it `announcement` (G.711 only), under `key` until `release(key)`.
   */
  announce(
    key: string,
    offer: MediaDescription,
    policy: LegPolicy,
    announcement: Announcement,
  ): Promise<AnnounceOutcome>;
  /** A DTMF INFO or NOTIFY received on `legId`, produced again on the other leg. */
  receiveDtmf(
    callId: string,
    legId: string,
    request: { method: string; contentType: string; body: Buffer; event?: string },
  ): Promise<Outcome>;
  /**
   * The NOTIFY max-duration a leg's far end agreed to once its call was anchored (a carrier's
   * Call-Info read after the offer): the leg's later key-down NOTIFYs carry it.
   */
  setNotifyMaxDuration(callId: string, legId: string, maxDurationMs: number): Promise<Outcome>;
  /**
   * Moves a leg's endpoint from one call to another (a transfer): it keeps its port and its
   * outgoing stream (RFC 3550 §5.1, §8.2: SSRC, sequence numbers and timestamps run on), leaves
   * its old call's relay and any music on hold, and waits in `toCallId` for an offer or `join`.
   */
  moveLeg(legId: string, fromCallId: string, toCallId: string): Promise<Outcome>;
  /** Returns one leg's ports to the engine while its call goes on (a transferring party left). */
  releaseLeg(callId: string, legId: string): Promise<void>;
  /**
   * Connects the two legs a transfer brought together when each can take what the other sends
   * as negotiated: the same codec, or the other G.711 law through the transcoder.
   */
  join(callId: string): Promise<JoinOutcome>;
  /** Returns the call's ports to the engine. */
  release(callId: string): Promise<void>;
  /** The endpoint of a leg, for the recording service. */
  endpointOf(callId: string, legId: string): string | null;
  /** Who an endpoint serves, for the runtime views; null for one the anchor does not hold. */
  endpointOwner(endpointId: string): EndpointOwner | null;
  /**
   * Gives a leg's endpoint to a new owner (the conference bridge takes in a party a transfer
   * brought to it): the anchor forgets the leg without releasing its ports, and the owner
   * releases them. The endpoint keeps its port, codecs, remote and stream, relays nothing and
   * plays nothing. Runs after the call's earlier operations (the move that brought the leg);
   * null when the call has no such anchored leg.
   */
  handOver(callId: string, legId: string): Promise<HandedOverLeg | null>;
  /**
   * Leaves the Warning (RFC 3261 §20.43) the SIP caller of `callId` is refused with: the anchor's
   * own for a 488, or a media service's (the conference bridge's at max-conferences).
   */
  leaveWarning(callId: string, warning: string): void;
  /** The Warning left for `callId`, once; forgotten when the call is released. */
  takeWarning(callId: string): string | undefined;
  /** Called with every leg whose endpoint the anchor releases. */
  onLegReleased(listener: (callId: string, legId: string, endpointId: string) => void): () => void;
  /** Anchored calls right now. */
  readonly calls: number;
  close(): void;
}

interface LegState {
  /** Null for the endpoint of an offer until a leg answers it. */
  id: string | null;
  policy: LegPolicy;
  endpoint: Endpoint;
  /** The formats in the last SDP this leg sent or was sent, preferred first. */
  formats: PayloadFormat[];
  /** Whether the leg said it sends media (sendrecv or sendonly). */
  sends: boolean;
  /**
   * A transfer took the leg, or the party holding it, away while it was held: the recvonly
   * answered here for it was ours, not the party's (which kept sending), so its media timeout
   * comes back once it is joined to a talking party.
   */
  heldUntilTransfer: boolean;
  /** The engine plays the ringback tone to the leg. */
  ringback: boolean;
  /** The packet duration the leg asked for (a=ptime, RFC 4566 §6), for the media the engine makes. */
  ptime?: number;
  /** RFC 3264 §8: our side of this leg's session: one id, a version per new description. */
  sessionId: number;
  version: number;
}

interface PendingOffer {
  from: LegState;
  to: LegState;
  lines: MediaLine[];
  line: number;
  offered: PayloadFormat[];
}

interface CallState {
  id: string;
  legs: LegState[];
  offer: PendingOffer | null;
  /** The leg that holds the other, while it does. */
  holder: LegState | null;
  /** Set for the state `announce` keeps under its key: no call of the core's. */
  announcement?: true;
}

export function createMediaAnchor(options: MediaAnchorOptions): MediaAnchor {
  return new Anchor(options);
}

/** Warnings kept for callers still to be refused; more calls than this failing at once lose theirs. */
const MAX_WARNINGS = 1024;

/** Shortest and longest digit the anchor produces from a signalled or detected one. */
const SHORTEST_DIGIT_MS = 40;
const LONGEST_DIGIT_MS = 5000;

class Anchor implements MediaAnchor {
  private readonly engine: MediaEngine;
  private readonly callStates = new Map<string, CallState>();
  private readonly byEndpoint = new Map<string, { call: CallState; leg: LegState }>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** The NOTIFY state of each `sip-notify` leg, gone with the leg. */
  private readonly notifySequences = new WeakMap<LegState, NotifySequence>();
  /** Warnings left for callers still to be refused, oldest first. */
  private readonly warnings = new Map<string, string>();
  private readonly releaseListeners = new Set<(callId: string, legId: string, endpointId: string) => void>();
  /** Announcements playing, by endpoint: settled at the file's end or the endpoint's release. */
  private readonly announcementEnds = new Map<string, () => void>();
  private readonly stopEvents: () => void;
  private readonly agent: string;
  private nextSessionId = Math.floor(Date.now() / 1000);

  constructor(private readonly options: MediaAnchorOptions) {
    this.engine = options.engine;
    this.agent = options.warnAgent ?? 'strowger';
    this.stopEvents = this.engine.onEvent((event) => this.onEngineEvent(event));
  }

  get calls(): number {
    return this.callStates.size;
  }

  // --- offer / answer ----------------------------------------------------------------------

  anchorOffer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: OfferPolicy,
  ): Promise<AnchorResult> {
    return this.serial(callId, () => this.offer(callId, legId, sdp, policy));
  }

  private async offer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: OfferPolicy,
  ): Promise<AnchorResult> {
    const facts = readSession(sdp);
    if (!facts) return this.refuse(399, 'Malformed session description');
    const index = audioLine(facts.lines);
    if (index < 0) return this.refuse(304, 'Media type not available: no RTP/AVP audio stream');
    const line = facts.lines[index]!;
    const existing = this.callStates.get(callId);
    const from = existing?.legs.find((leg) => leg.id === legId);
    if (existing && !from && existing.legs.length === 2)
      return { ok: false, status: 500, reason: `call ${callId} already has two legs` };
    // What the offering leg may use: its own formats, filtered and ordered by its policy.
    const accepted = negotiateLine(line, index, this.negotiationPolicy(policy.offerer, false), this.agent);
    if (!accepted.ok)
      return { ok: false, status: 488, reason: 'no acceptable codec', warning: accepted.warning };
    const offered = accepted.formats.filter((format) =>
      line.formats.some((mine) => mine.payloadType === format.payloadType),
    );
    // What the other leg may be offered, through the transcoder if need be.
    const toward = negotiateLine(
      { ...line, formats: offered },
      index,
      this.negotiationPolicy(policy.answerer, this.options.transcode !== false),
      this.agent,
    );
    if (!toward.ok) return { ok: false, status: 488, reason: 'no common codec', warning: toward.warning };

    const call: CallState = existing ?? { id: callId, legs: [], offer: null, holder: null };
    const allocated: Endpoint[] = [];
    try {
      // An offer from the leg an earlier offer went to, before it answered (RFC 3261 §13.2.1 offers in a 2xx).
      const waiting = existing?.offer?.to;
      const pending = !from && waiting?.id === null ? waiting : undefined;
      let offerer: LegState;
      if (pending) {
        pending.id = legId;
        pending.policy = policy.offerer;
        await this.engine.update(pending.endpoint.id, this.legSettings(policy.offerer, offered, line, 0));
        offerer = pending;
      } else if (from) {
        from.policy = policy.offerer;
        await this.engine.update(from.endpoint.id, { codecs: codecSpecs(offered), ...this.remoteOf(line) });
        offerer = from;
      } else {
        const endpoint = await this.engine.allocate(this.legSettings(policy.offerer, offered, line, 0));
        allocated.push(endpoint);
        offerer = this.newLeg(legId, policy.offerer, endpoint);
      }
      let answerer =
        existing?.legs.find((leg) => leg !== offerer) ?? (waiting !== offerer ? waiting : undefined);
      if (!answerer) {
        const endpoint = await this.engine.allocate({
          ...this.legSettings(policy.answerer, toward.formats, null, 0),
          near: offerer.endpoint.id,
        });
        allocated.push(endpoint);
        answerer = this.newLeg(null, policy.answerer, endpoint);
      }
      offerer.formats = offered;
      offerer.sends = sending(line.direction);
      offerer.heldUntilTransfer = false;
      offerer.ptime = line.ptime;
      if (!existing) this.callStates.set(callId, call);
      if (!call.legs.includes(offerer)) call.legs.push(offerer);
      for (const leg of [offerer, answerer]) this.byEndpoint.set(leg.endpoint.id, { call, leg });
      call.offer = { from: offerer, to: answerer, lines: facts.lines, line: index, offered: toward.formats };
      return {
        ok: true,
        media: this.describe(answerer, facts.lines, index, toward.formats, line, line.direction),
      };
    } catch (error) {
      for (const endpoint of allocated) await this.releaseEndpoint(endpoint.id);
      return this.failure(error);
    }
  }

  anchorAnswer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: LegPolicy,
  ): Promise<AnchorResult> {
    return this.serial(callId, () => this.answer(callId, legId, sdp, policy));
  }

  private async answer(
    callId: string,
    legId: string,
    sdp: MediaDescription,
    policy: LegPolicy,
  ): Promise<AnchorResult> {
    const call = this.callStates.get(callId);
    const offer = call?.offer;
    if (!call || !offer)
      return { ok: false, status: 500, reason: `no offer of call ${callId} awaits an answer` };
    if (offer.to.id !== null && offer.to.id !== legId)
      return { ok: false, status: 500, reason: `leg ${legId} was not offered this session` };
    const facts = readSession(sdp);
    const line = facts?.lines[offer.line];
    if (!facts || facts.lines.length !== offer.lines.length || !line)
      return this.refuse(399, 'Malformed session description: the answer does not match the offer');
    if (line.port === 0) return this.refuse(304, 'Media type not available: the audio stream was declined');
    const to = offer.to;
    // RFC 3264 §6.1: the answer lists formats of the offer; the answerer's payload types stand.
    const answered = line.formats.filter(
      (format) =>
        format.codec !== null &&
        offer.offered.some((mine) => mine.codec === format.codec) &&
        (format.codec !== 'telephone-event' || policy.dtmfRelay === 'rtp-nte'),
    );
    const back = answerFor(offer.from.formats, answered, offer.from.policy.dtmfRelay === 'rtp-nte');
    if (!answered.some((format) => format.codec !== 'telephone-event') || back.length === 0)
      return this.refuse(305, 'Incompatible media format: the answer chose no offered codec');
    try {
      to.id = legId;
      to.policy = policy;
      to.formats = answered;
      to.sends = sending(line.direction);
      to.heldUntilTransfer = false;
      to.ptime = line.ptime;
      offer.from.formats = back;
      if (!call.legs.includes(to)) call.legs.push(to);
      call.offer = null;
      // The party's stream goes on from the tone to the answerer's media (RFC 3550 §5.1).
      await this.silence(offer.from);
      await this.engine.update(to.endpoint.id, {
        codecs: codecSpecs(answered),
        detectInbandDtmf: policy.dtmfRelay === 'inband',
        mediaTimeoutMs: this.timeoutFor(call, to),
        ...this.remoteOf(line),
      });
      await this.engine.update(offer.from.endpoint.id, {
        codecs: codecSpecs(back),
        mediaTimeoutMs: this.timeoutFor(call, offer.from),
      });
      await this.relayIfFree(call);
      const direction = line.direction;
      const offererLine = offer.lines[offer.line]!;
      return {
        ok: true,
        media: this.describe(offer.from, offer.lines, offer.line, back, offererLine, direction, line.ptime),
      };
    } catch (error) {
      return this.failure(error);
    }
  }

  /** The SDP a leg is sent: the anchored m-line at its endpoint, every other m-line declined. */
  private describe(
    leg: LegState,
    lines: readonly MediaLine[],
    index: number,
    formats: readonly PayloadFormat[],
    model: MediaLine,
    direction: Direction,
    ptime = model.ptime,
  ): MediaDescription {
    leg.version++;
    const written: LineToWrite[] = lines.map((line, i) =>
      i === index
        ? {
            type: 'audio',
            port: leg.endpoint.rtpPort,
            protocol: 'RTP/AVP',
            formats,
            direction,
            ...(ptime !== undefined ? { ptime } : {}),
            ...(model.rtcp ? { rtcpPort: leg.endpoint.rtcpPort } : {}),
          }
        : {
            type: line.type,
            port: 0,
            protocol: line.protocol,
            formats: [],
            formatList: line.formatList,
            direction: line.direction,
          },
    );
    const body = writeSession({
      sessionId: leg.sessionId,
      version: leg.version,
      address: this.options.address ?? leg.endpoint.address,
      lines: written,
    });
    return { contentType: 'application/sdp', body };
  }

  // --- hold ----------------------------------------------------------------------------------

  hold(callId: string, legId: string, mohClass = 'default'): Promise<HoldOutcome> {
    return this.serial(callId, async (): Promise<HoldOutcome> => {
      const found = this.legs(callId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      const { call, leg: holder, other: held } = found;
      if (!held) return { ok: false, reason: `call ${callId} has no other leg to hold` };
      try {
        call.holder = holder;
        held.ringback = false; // music on hold takes the player's place
        await this.engine.disconnect(holder.endpoint.id);
        await this.engine.update(holder.endpoint.id, { mediaTimeoutMs: 0 });
        const source = this.musicFor(held, mohClass);
        if (typeof source === 'string') return { ok: true, moh: false, reason: source };
        await this.engine.play(held.endpoint.id, source);
        return { ok: true, moh: true };
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  /**
   * The MOH a held leg hears, or why it hears none. G.711 unless the leg's codec is G.729 and a
   * G.729 source is configured: CUCM plays MOH in the held leg's codec from one source per codec,
   * and Strowger does not transcode G.729 (G.729 also carries music poorly, so G.711 wins when
   * the leg prefers it).
   */
  private musicFor(held: LegState, mohClass: string): PlaySource | string {
    const ofClass = (files: Readonly<Record<string, string>> | undefined) =>
      files?.[mohClass] ?? files?.default;
    const g711 = ofClass(this.options.musicOnHold);
    const g729 = ofClass(this.options.musicOnHoldG729);
    const audio = held.formats.filter((format) => format.codec !== 'telephone-event');
    const hasG711 = audio.some((format) => isG711(format.codec));
    const hasG729 = audio.some((format) => format.codec === 'G729');
    if (g729 && hasG729 && (audio[0]?.codec === 'G729' || !hasG711 || !g711))
      return { kind: 'file', encoding: 'g729', path: g729, mohClass, ptimeMs: held.ptime };
    if (!g711 && !g729) return 'no MOH file is configured';
    if (g711 && hasG711) return { kind: 'file', path: g711, mohClass };
    return g711 ? 'the held leg has no G.711 codec for MOH' : 'the held leg has no G.729 codec for MOH';
  }

  retrieve(callId: string, legId: string): Promise<Outcome> {
    return this.serial(callId, async (): Promise<Outcome> => {
      const found = this.legs(callId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      const { call, leg, other } = found;
      if (call.holder !== leg) return { ok: false, reason: `leg ${legId} does not hold call ${callId}` };
      try {
        call.holder = null;
        if (other) await this.engine.stopPlay(other.endpoint.id);
        await this.engine.update(leg.endpoint.id, { mediaTimeoutMs: this.timeoutFor(call, leg) });
        await this.relayIfFree(call);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  // --- ringback ------------------------------------------------------------------------------

  ringback(callId: string, legId: string): Promise<RingbackOutcome> {
    return this.serial(callId, async (): Promise<RingbackOutcome> => {
      const found = this.legs(callId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      const { call, leg } = found;
      // Once answered (an early answer included) the party hears the other side instead.
      if (call.offer?.from !== leg || found.other || call.holder)
        return { ok: true, tone: false, reason: 'the call is answered' };
      // Tones are made in G.711; G.729 is never encoded here (see musicFor).
      if (!leg.formats.some((format) => isG711(format.codec)))
        return { ok: true, tone: false, reason: 'the party has no G.711 codec for a tone' };
      if (leg.ringback) return { ok: true, tone: true };
      try {
        await this.engine.play(leg.endpoint.id, this.tone('ringback', leg.policy));
        leg.ringback = true;
        return { ok: true, tone: true };
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  /** Stops the ringback tone a leg hears, if it does. */
  private async silence(leg: LegState): Promise<void> {
    if (!leg.ringback) return;
    leg.ringback = false;
    await this.engine.stopPlay(leg.endpoint.id);
  }

  // --- announcements ------------------------------------------------------------------------

  announce(
    key: string,
    offer: MediaDescription,
    policy: LegPolicy,
    announcement: Announcement,
  ): Promise<AnnounceOutcome> {
    return this.serial(key, async (): Promise<AnnounceOutcome> => {
      if (this.callStates.has(key)) return { ok: false, reason: `${key} is anchored already` };
      const facts = readSession(offer);
      const index = facts ? audioLine(facts.lines) : -1;
      const line = facts?.lines[index];
      if (!facts || !line) return { ok: false, reason: 'the offer has no audio stream' };
      const accepted = negotiateLine(line, index, this.negotiationPolicy(policy, false), this.agent);
      // Tones and announcements are made in G.711 (G.729 is never encoded here, see musicFor).
      const law = accepted.ok ? accepted.formats.find((format) => isG711(format.codec)) : undefined;
      if (!law) return { ok: false, reason: 'the caller has no G.711 codec for a tone' };
      let endpoint: Endpoint | undefined;
      try {
        endpoint = await this.engine.allocate(this.legSettings(policy, [law], line, 0));
        const leg = this.newLeg(null, policy, endpoint);
        leg.formats = [law];
        const call: CallState = { id: key, legs: [leg], offer: null, holder: null, announcement: true };
        this.callStates.set(key, call);
        this.byEndpoint.set(endpoint.id, { call, leg });
        const id = endpoint.id;
        const ended = new Promise<void>((resolve) => this.announcementEnds.set(id, resolve));
        await this.engine.play(
          id,
          announcement.kind === 'tone'
            ? this.tone(announcement.tone, policy)
            : { kind: 'file', path: announcement.path },
        );
        // RFC 3264 §6.1: we only send; the caller's media is neither needed nor relayed.
        return { ok: true, media: this.describe(leg, facts.lines, index, [law], line, 'sendonly'), ended };
      } catch (error) {
        if (endpoint) {
          this.callStates.delete(key);
          this.endAnnouncement(endpoint.id);
          await this.releaseEndpoint(endpoint.id);
        }
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  private endAnnouncement(endpointId: string): void {
    this.announcementEnds.get(endpointId)?.();
    this.announcementEnds.delete(endpointId);
  }

  /** A tone in the region of the leg it plays to, read once when it starts, never per packet. */
  private tone(tone: CallProgressTone, policy: LegPolicy): PlaySource {
    return { kind: 'tone', tone, region: policy.toneRegion ?? this.options.toneRegion ?? 'north-america' };
  }

  // --- transfers -------------------------------------------------------------------------------

  moveLeg(legId: string, fromCallId: string, toCallId: string): Promise<Outcome> {
    return this.serialOver([fromCallId, toCallId], async (): Promise<Outcome> => {
      const found = this.legs(fromCallId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${fromCallId}` };
      const to = this.callStates.get(toCallId) ?? { id: toCallId, legs: [], offer: null, holder: null };
      if (to.legs.length >= 2 || to.offer)
        return { ok: false, reason: `call ${toCallId} has no room for another leg` };
      const { leg } = found;
      const hearsMusic = await this.detach(found.call, leg);
      leg.heldUntilTransfer = hearsMusic;
      to.legs.push(leg);
      this.callStates.set(toCallId, to);
      this.byEndpoint.set(leg.endpoint.id, { call: to, leg });
      try {
        await this.quieten(leg, hearsMusic);
        await this.engine.update(leg.endpoint.id, { mediaTimeoutMs: this.timeoutFor(to, leg) });
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  handOver(callId: string, legId: string): Promise<HandedOverLeg | null> {
    return this.serial(callId, async (): Promise<HandedOverLeg | null> => {
      const found = this.legs(callId, legId);
      if (!found) return null;
      const { leg } = found;
      const hearsMusic = await this.detach(found.call, leg);
      this.byEndpoint.delete(leg.endpoint.id);
      try {
        await this.quieten(leg, hearsMusic);
      } catch (error) {
        this.options.logger?.warn({ err: error, callId, legId }, 'handed-over endpoint not quietened');
      }
      const { endpoint, formats, sessionId, version } = leg;
      return { endpoint, formats, sessionId, version };
    });
  }

  /**
   * Takes a leg out of its call: the leg's hold ends with it, an offer it took part in is
   * dropped, an empty call is forgotten. True when the leg was hearing music on hold.
   */
  private async detach(call: CallState, leg: LegState): Promise<boolean> {
    const hearsMusic = call.holder !== null && call.holder !== leg;
    call.legs.splice(call.legs.indexOf(leg), 1);
    if (call.holder === leg) call.holder = null;
    await this.dropOffer(call, leg);
    if (call.legs.length === 0) this.callStates.delete(call.id);
    return hearsMusic;
  }

  /** A leg leaving its call relays nothing more and hears no more music on hold or ringback. */
  private async quieten(leg: LegState, hearsMusic: boolean): Promise<void> {
    await this.engine.disconnect(leg.endpoint.id);
    if (hearsMusic) await this.engine.stopPlay(leg.endpoint.id);
    await this.silence(leg);
  }

  releaseLeg(callId: string, legId: string): Promise<void> {
    return this.serial(callId, async () => {
      const found = this.legs(callId, legId);
      if (!found) return;
      const { call, leg, other } = found;
      call.legs.splice(call.legs.indexOf(leg), 1);
      await this.dropOffer(call, leg);
      if (call.holder === leg) {
        call.holder = null;
        // The held party no longer hears music on hold from a party that has gone.
        if (other) {
          other.heldUntilTransfer = true;
          await this.engine.stopPlay(other.endpoint.id).catch(() => undefined);
        }
      }
      await this.releaseEndpoint(leg.endpoint.id);
      this.notifyReleased(callId, legId, leg.endpoint.id);
    });
  }

  join(callId: string): Promise<JoinOutcome> {
    return this.serial(callId, async (): Promise<JoinOutcome> => {
      const call = this.callStates.get(callId);
      const [a, b] = call?.legs ?? [];
      if (!call || !a?.id || !b?.id) return { ok: false, reason: `call ${callId} has not two anchored legs` };
      const transcode = this.options.transcode !== false;
      if (!carries(a.formats, b.formats, transcode) || !carries(b.formats, a.formats, transcode))
        return { ok: true, joined: false };
      try {
        await this.relayIfFree(call);
        // Connected to a talking party again: a leg held until the transfer sends as before.
        for (const leg of [a, b]) {
          if (!leg.heldUntilTransfer) continue;
          leg.heldUntilTransfer = false;
          leg.sends = true;
          await this.engine.update(leg.endpoint.id, { mediaTimeoutMs: this.timeoutFor(call, leg) });
        }
        return { ok: true, joined: true };
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
    });
  }

  /** Forgets an offer in progress that `leg` takes part in, releasing the endpoint it had reserved. */
  private async dropOffer(call: CallState, leg: LegState): Promise<void> {
    const offer = call.offer;
    if (!offer || (offer.from !== leg && offer.to !== leg)) return;
    call.offer = null;
    const reserved = offer.to;
    if (reserved !== leg && !call.legs.includes(reserved)) await this.releaseEndpoint(reserved.endpoint.id);
  }

  // --- DTMF ------------------------------------------------------------------------------------

  receiveDtmf(
    callId: string,
    legId: string,
    request: { method: string; contentType: string; body: Buffer; event?: string },
  ): Promise<Outcome> {
    return this.serial(callId, async (): Promise<Outcome> => {
      const found = this.legs(callId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      const method = request.method.toUpperCase();
      const digit =
        method === 'INFO'
          ? readInfo(request.contentType, request.body)
          : method === 'NOTIFY'
            ? readNotify(request.event, request.contentType, request.body)
            : null;
      if (!digit) return { ok: false, reason: 'not a DTMF body' };
      if (!found.other) return { ok: false, reason: `call ${callId} has no other leg` };
      const relay = method === 'INFO' ? 'sip-info' : 'sip-notify';
      const action = dtmfAction(relay, found.other.policy.dtmfRelay);
      // A NOTIFY for a key going down carries the longest duration, not the real one: only
      // another NOTIFY leg takes it as it is; everything else waits for the key-up.
      if (!digit.end && action !== 'sip-notify') return { ok: true };
      await this.produce(found.call, found.other, action, digit);
      return { ok: true };
    });
  }

  setNotifyMaxDuration(callId: string, legId: string, maxDurationMs: number): Promise<Outcome> {
    return this.serial(callId, async (): Promise<Outcome> => {
      const found = this.legs(callId, legId);
      if (!found) return { ok: false, reason: `no anchored leg ${legId} in call ${callId}` };
      found.leg.policy = { ...found.leg.policy, notifyMaxDurationMs: maxDurationMs };
      return { ok: true };
    });
  }

  private onEngineEvent(event: MediaEvent): void {
    if (event.type === 'play-ended') {
      this.endAnnouncement(event.endpointId);
      return;
    }
    if (event.type === 'timeout') {
      const owner = this.byEndpoint.get(event.endpointId);
      if (!owner?.leg.id) return;
      this.options.onMediaTimeout?.({
        callId: owner.call.id,
        legId: owner.leg.id,
        cause: event.cause,
        silentForMs: event.silentForMs,
      });
      return;
    }
    if (event.type !== 'dtmf') return;
    const owner = this.byEndpoint.get(event.endpointId);
    if (!owner) return;
    const { call, leg } = owner;
    const expected = event.method === 'rfc4733' ? 'rtp-nte' : 'inband';
    if (leg.policy.dtmfRelay !== expected || call.holder) return;
    const other = call.legs.find((candidate) => candidate !== leg);
    if (!other?.id) return;
    const action = dtmfAction(expected, other.policy.dtmfRelay);
    // NOTIFY announces the key as it goes down; everything else needs the real duration.
    if (event.state === 'begin' && action !== 'sip-notify') return;
    const digit: SignalledDigit = {
      digit: event.digit,
      durationMs: event.durationMs ?? NOTIFY_MAX_DURATION_MS,
      end: event.state === 'end',
    };
    void this.serial(call.id, () => this.produce(call, other, action, digit));
  }

  /** Produces a digit on `leg` in the leg's own way. */
  private async produce(
    call: CallState,
    leg: LegState,
    action: ReturnType<typeof dtmfAction>,
    digit: SignalledDigit,
  ): Promise<void> {
    if (!leg.id || !this.callStates.has(call.id)) return;
    const duration = Math.min(LONGEST_DIGIT_MS, Math.max(SHORTEST_DIGIT_MS, digit.durationMs));
    try {
      if (action === 'sip-info') {
        this.options.onDtmfSignal?.(
          call.id,
          leg.id,
          infoMessage(digit.digit, duration, leg.policy.dtmfInfoFormat),
        );
      } else if (action === 'sip-notify') {
        const maxDurationMs = leg.policy.notifyMaxDurationMs ?? NOTIFY_MAX_DURATION_MS;
        let sequence = this.notifySequences.get(leg);
        if (sequence?.maxDurationMs !== maxDurationMs) {
          sequence = new NotifySequence(maxDurationMs);
          this.notifySequences.set(leg, sequence);
        }
        for (const message of sequence.next(digit.digit, digit.end, duration))
          this.options.onDtmfSignal?.(call.id, leg.id, message);
      } else if (action === 'rtp-nte' || action === 'inband') {
        await this.engine.sendDtmf(
          leg.endpoint.id,
          digit.digit,
          duration,
          action === 'rtp-nte' ? 'rfc4733' : 'inband',
        );
      }
    } catch (error) {
      this.options.logger?.warn({ err: error, callId: call.id, legId: leg.id }, 'DTMF could not be produced');
    }
  }

  // --- services and release --------------------------------------------------------------------

  endpointOf(callId: string, legId: string): string | null {
    return this.legs(callId, legId)?.leg.endpoint.id ?? null;
  }

  endpointOwner(endpointId: string): EndpointOwner | null {
    const owner = this.byEndpoint.get(endpointId);
    if (!owner) return null;
    return owner.call.announcement
      ? { kind: 'announcement', callId: null, legId: null, conferenceId: null }
      : { kind: 'call', callId: owner.call.id, legId: owner.leg.id, conferenceId: null };
  }

  onLegReleased(listener: (callId: string, legId: string, endpointId: string) => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  leaveWarning(callId: string, warning: string): void {
    if (this.warnings.size >= MAX_WARNINGS && !this.warnings.has(callId)) {
      const oldest = this.warnings.keys().next();
      if (!oldest.done) this.warnings.delete(oldest.value);
    }
    this.warnings.set(callId, warning);
  }

  takeWarning(callId: string): string | undefined {
    const warning = this.warnings.get(callId);
    this.warnings.delete(callId);
    return warning;
  }

  release(callId: string): Promise<void> {
    this.warnings.delete(callId);
    return this.serial(callId, async () => {
      const call = this.callStates.get(callId);
      if (!call) return;
      this.callStates.delete(callId);
      const legs = new Set(call.legs);
      if (call.offer) legs.add(call.offer.to);
      for (const leg of legs) {
        await this.releaseEndpoint(leg.endpoint.id);
        if (leg.id) this.notifyReleased(callId, leg.id, leg.endpoint.id);
      }
    });
  }

  close(): void {
    this.stopEvents();
  }

  private notifyReleased(callId: string, legId: string, endpointId: string): void {
    for (const listener of this.releaseListeners) {
      try {
        listener(callId, legId, endpointId);
      } catch (error) {
        this.options.logger?.error({ err: error, callId }, 'leg release listener failed');
      }
    }
  }

  private async releaseEndpoint(endpointId: string): Promise<void> {
    this.byEndpoint.delete(endpointId);
    this.endAnnouncement(endpointId);
    try {
      await this.engine.release(endpointId);
    } catch (error) {
      // Already gone with its worker: nothing is left to free.
      if (!(error instanceof MediaError && error.code === 'no-such-endpoint'))
        this.options.logger?.warn({ err: error, endpointId }, 'media endpoint release failed');
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** Connects the call's two endpoints unless one is held or not answered yet. */
  private async relayIfFree(call: CallState): Promise<void> {
    const [a, b] = call.legs;
    if (!a || !b || call.holder || call.offer) return;
    await this.engine.connect(a.endpoint.id, b.endpoint.id, { transcode: this.options.transcode !== false });
  }

  private legs(
    callId: string,
    legId: string,
  ): { call: CallState; leg: LegState; other: LegState | null } | null {
    const call = this.callStates.get(callId);
    const leg = call?.legs.find((candidate) => candidate.id === legId);
    if (!call || !leg) return null;
    return { call, leg, other: call.legs.find((candidate) => candidate !== leg && candidate.id) ?? null };
  }

  private newLeg(id: string | null, policy: LegPolicy, endpoint: Endpoint): LegState {
    return {
      id,
      policy,
      endpoint,
      formats: [],
      sends: true,
      heldUntilTransfer: false,
      ringback: false,
      sessionId: this.nextSessionId++,
      version: 0,
    };
  }

  private negotiationPolicy(policy: LegPolicy, transcode: boolean) {
    return {
      codecs: this.options.codecs[policy.codecs] ?? ALL_AUDIO_CODECS,
      dtmfRelay: policy.dtmfRelay,
      transcode,
    };
  }

  private legSettings(
    policy: LegPolicy,
    formats: readonly PayloadFormat[],
    line: MediaLine | null,
    mediaTimeoutMs: number,
  ): EndpointSettings {
    return {
      codecs: codecSpecs(formats),
      detectInbandDtmf: policy.dtmfRelay === 'inband',
      mediaTimeoutMs,
      ...(line ? this.remoteOf(line) : {}),
    };
  }

  /** Where a leg receives media; nothing for the RFC 2543 hold address or a missing c=. */
  private remoteOf(line: MediaLine): Pick<EndpointSettings, 'remote'> {
    if (!line.address || line.address === HOLD_ADDRESS) return {};
    return {
      remote: { address: line.address, port: line.port, ...(line.rtcp ? { rtcpPort: line.rtcp.port } : {}) },
    };
  }

  /** Media timeouts apply to a leg that said it sends, is not holding the call, and is answered. */
  private timeoutFor(call: CallState, leg: LegState): number {
    return leg.sends && call.holder !== leg ? this.options.mediaTimeoutMs : 0;
  }

  private refuse(code: WarningCode, text: string): AnchorResult {
    return { ok: false, status: 488, reason: text, warning: warningValue(this.agent, code, text) };
  }

  private failure(error: unknown): AnchorResult {
    const exhausted = error instanceof MediaError && error.code === 'ports-exhausted';
    this.options.logger?.warn({ err: error }, 'media anchoring failed');
    return { ok: false, status: exhausted ? 503 : 500, reason: describeError(error) };
  }

  /** Runs `task` after the call's earlier operations; never rejects for them. */
  private serial<T>(callId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(callId) ?? Promise.resolve();
    const run = previous.then(task, task);
    this.enqueue(
      callId,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Runs `task` after the earlier operations of every call named, which wait for it in turn. */
  private serialOver<T>(callIds: readonly string[], task: () => Promise<T>): Promise<T> {
    const previous = Promise.all(callIds.map((callId) => this.queues.get(callId)));
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    for (const callId of callIds) this.enqueue(callId, tail);
    return run;
  }

  private enqueue(callId: string, tail: Promise<unknown>): void {
    this.queues.set(callId, tail);
    void tail.then(() => {
      if (this.queues.get(callId) === tail) this.queues.delete(callId);
    });
  }
}

/**
 * The offerer's formats that carry what the answerer chose, in the answerer's order: the same
 * codec when the offerer has it, else the other G.711 law (transcoded).
 */
function answerFor(
  offererFormats: readonly PayloadFormat[],
  answered: readonly PayloadFormat[],
  withEvents: boolean,
): PayloadFormat[] {
  const chosen: PayloadFormat[] = [];
  for (const format of answered) {
    if (format.codec === 'telephone-event' || format.codec === null) continue;
    const same = offererFormats.find((mine) => mine.codec === format.codec);
    const codec = format.codec;
    const law = isG711(codec) ? offererFormats.find((mine) => mine.codec === otherLaw(codec)) : undefined;
    const pick = same ?? law;
    if (pick && !chosen.includes(pick)) chosen.push(pick);
  }
  if (chosen.length === 0) return chosen;
  const event = withEvents ? offererFormats.find((mine) => mine.codec === 'telephone-event') : undefined;
  if (event) chosen.push(event);
  return chosen;
}

/**
 * Whether an endpoint with `to`'s formats can relay all a leg with `from`'s may send: each audio
 * codec as it is, or the other G.711 law through the transcoder.
 */
function carries(from: readonly PayloadFormat[], to: readonly PayloadFormat[], transcode: boolean): boolean {
  return from.every(
    ({ codec }) =>
      codec === null ||
      codec === 'telephone-event' ||
      to.some((mine) => mine.codec === codec) ||
      (transcode && isG711(codec) && to.some((mine) => mine.codec === otherLaw(codec))),
  );
}

function sending(direction: Direction): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
