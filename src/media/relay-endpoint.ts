/**
 * One media endpoint: an RTP socket on an even port and its RTCP socket on the next odd port
 * (RFC 3550 §11). It latches onto the source of the leg's media, counts what arrives, hands valid
 * packets to its outlet (the connected peer or a conference) and sends whatever feeds it on one
 * continuous outgoing stream.
 */
import type { Socket } from 'node:dgram';
import { CodecTable, DEFAULT_CODECS, type ResolvedCodec } from './codec-table.js';
import { DtmfDetector } from './dtmf-detector.js';
import type { DtmfSender } from './dtmf-sender.js';
import { decodeFrame, encodeFrame, type G711Law, transcodeInPlace } from './g711.js';
import { type GeneratorClock, OutgoingStream } from './outgoing-stream.js';
import { ReceptionStats } from './reception-stats.js';
import { buildRtcpReport, readSenderReport, validateRtcp } from './rtcp.js';
import {
  allocateRtp,
  emptyRtpHeader,
  parseRtp,
  RTP_HEADER_LENGTH,
  type RtpHeader,
  writeRtpFields,
} from './rtp-packet.js';
import { TelephoneEventReceiver } from './telephone-event-receiver.js';
import type {
  CodecName,
  EndpointSettings,
  EndpointStats,
  MediaEvent,
  RemoteAddress,
  RtcpMode,
} from './types.js';

/** Longest G.711 payload decoded for detection, mixing or recording: 240 ms. */
export const MAX_DECODED_SAMPLES = 1920;
const RTCP_INTERVAL_MS = 5000;

export interface EndpointContext {
  now(): number;
  emit(event: MediaEvent): void;
  /** Wall-clock milliseconds for RTCP NTP timestamps. */
  wallClockMs(): number;
  cname: string;
  defaultMediaTimeoutMs: number;
}

/** Where the media an endpoint receives goes. */
export interface Outlet {
  /**
   * A valid RTP packet with a negotiated payload type; the buffer may be rewritten in place.
   * `now` is its arrival time on the engine clock, read once per packet.
   */
  deliver(packet: Buffer, header: RtpHeader, codec: ResolvedCodec, from: RelayEndpoint, now: number): void;
  deliverRtcp(packet: Buffer): void;
}

/** Something that feeds the endpoint on the 20 ms frame clock (player, tone, DTMF sender). */
export interface FrameProducer {
  /** Sends this tick's packet through the endpoint; returns false once finished. */
  tick(endpoint: RelayEndpoint): boolean;
  /** Called when the producer is replaced or the endpoint goes away. */
  stop(): void;
}

/** Observes the audio an endpoint receives and sends, decoded (the recorder). */
export interface AudioTap {
  received(samples: Int16Array, length: number): void;
  sent(samples: Int16Array, length: number): void;
  undecodable(): void;
}

interface Latch {
  address: string;
  port: number;
}

/** The codec a relayed codec maps to on this leg, for the last relayed codec and table. */
interface RelayRoute {
  name: CodecName | null;
  transcode: boolean;
  table: CodecTable | null;
  target: ResolvedCodec | undefined;
  /** The law to convert from when the target is the other G.711 law. */
  transcodeFrom: G711Law | null;
}

export class RelayEndpoint {
  readonly stream = new OutgoingStream();
  outlet: Outlet | null = null;
  /** Audio pushed by a conference reaches the leg only when nothing above it is producing. */
  conferenceFeed: GeneratorClock | null = null;
  tap: AudioTap | null = null;
  /** Higher-priority producer (DTMF sender) and lower one (player). */
  dtmfSender: DtmfSender | null = null;
  player: FrameProducer | null = null;
  private readonly telephoneEvents: TelephoneEventReceiver;
  private inbandDetector: DtmfDetector | null = null;

  codecs: CodecTable;
  private latching: boolean;
  private rtcpMode: RtcpMode;
  private mediaTimeoutMs: number;
  private remote: Latch | null = null;
  private remoteRtcp: Latch | null = null;
  private rtpLatched = false;
  private rtpConnection: 'none' | 'connecting' | 'connected' = 'none';
  private resetPendingConnection = false;
  private rtcpLatched = false;
  private readonly header = emptyRtpHeader();
  private readonly route: RelayRoute = {
    name: null,
    transcode: false,
    table: null,
    target: undefined,
    transcodeFrom: null,
  };
  private readonly reception = new ReceptionStats();
  private readonly decoded = new Int16Array(MAX_DECODED_SAMPLES);
  private readonly sentScratch = new Int16Array(MAX_DECODED_SAMPLES);
  private receptionClockRate = 8000;
  private decodedLength = -1;
  private lastRtpAt: number;
  private everReceived = false;
  private timedOut = false;
  private nextReportAt: number;
  private lastSenderReport = 0;
  private lastSenderReportAt = 0;
  private closed = false;
  private readonly counters = {
    packetsReceived: 0,
    octetsReceived: 0,
    malformed: 0,
    foreignSource: 0,
    unroutable: 0,
    rtcpReceived: 0,
    socketErrors: 0,
  };

  constructor(
    readonly id: string,
    private readonly rtpSocket: Socket,
    private readonly rtcpSocket: Socket,
    private readonly context: EndpointContext,
    settings: EndpointSettings,
  ) {
    this.codecs = new CodecTable(settings.codecs ?? DEFAULT_CODECS);
    this.latching = settings.latching ?? true;
    this.rtcpMode = settings.rtcp ?? 'generate';
    this.mediaTimeoutMs = settings.mediaTimeoutMs ?? context.defaultMediaTimeoutMs;
    this.setRemote(settings.remote);
    this.telephoneEvents = new TelephoneEventReceiver((digit, state, durationMs) =>
      context.emit({ type: 'dtmf', endpointId: id, digit, method: 'rfc4733', state, durationMs }),
    );
    this.setInbandDetection(settings.detectInbandDtmf ?? false);
    const now = context.now();
    this.lastRtpAt = now;
    this.nextReportAt = now + RTCP_INTERVAL_MS * (0.5 + Math.random());
    // Send failures (unreachable network, oversize) are counted; media goes on regardless.
    const countError = () => this.counters.socketErrors++;
    rtpSocket.on('error', countError);
    rtcpSocket.on('error', countError);
    rtpSocket.on('message', (packet, source) => this.receiveRtp(packet, source.address, source.port));
    rtcpSocket.on('message', (packet, source) => this.receiveRtcp(packet, source.address, source.port));
  }

  update(settings: EndpointSettings): void {
    if (settings.codecs) this.codecs = new CodecTable(settings.codecs);
    if (settings.latching !== undefined) this.latching = settings.latching;
    if (settings.rtcp) this.rtcpMode = settings.rtcp;
    if (settings.mediaTimeoutMs !== undefined) {
      this.mediaTimeoutMs = settings.mediaTimeoutMs;
      this.timedOut = false;
      this.lastRtpAt = this.context.now();
    }
    if (settings.remote) this.setRemote(settings.remote);
    if (settings.detectInbandDtmf !== undefined) this.setInbandDetection(settings.detectInbandDtmf);
  }

  private setInbandDetection(enabled: boolean): void {
    if (!enabled) {
      this.inbandDetector = null;
    } else if (!this.inbandDetector) {
      this.inbandDetector = new DtmfDetector((digit, state, durationMs) =>
        this.context.emit({ type: 'dtmf', endpointId: this.id, digit, method: 'inband', state, durationMs }),
      );
    }
  }

  /** A new remote from the leg's SDP (re-INVITE, transfer): latching starts over. */
  private setRemote(remote: RemoteAddress | undefined): void {
    if (!remote) return;
    this.remote = { address: remote.address, port: remote.port };
    this.remoteRtcp = { address: remote.address, port: remote.rtcpPort ?? remote.port + 1 };
    this.rtpLatched = false;
    this.rtcpLatched = false;
    this.resetRtpConnection();
  }

  /**
   * Connects the RTP socket to the latched source: the kernel then drops datagrams from anyone
   * else before they cost anything, and sends skip the per-packet address resolution.
   */
  private connectRtp(address: string, port: number): void {
    if (this.rtpConnection !== 'none') return;
    this.rtpConnection = 'connecting';
    this.rtpSocket.connect(port, address, () => {
      if (this.closed) return;
      if (this.resetPendingConnection) {
        this.resetPendingConnection = false;
        this.rtpSocket.disconnect();
        this.rtpConnection = 'none';
        return;
      }
      this.rtpConnection = 'connected';
    });
  }

  private resetRtpConnection(): void {
    if (this.rtpConnection === 'connected') {
      this.rtpSocket.disconnect();
      this.rtpConnection = 'none';
    } else if (this.rtpConnection === 'connecting') {
      this.resetPendingConnection = true;
    }
  }

  // --- receiving ---------------------------------------------------------------------------

  private receiveRtp(packet: Buffer, address: string, port: number): void {
    if (this.closed) return;
    if (!this.acceptsSource(this.rtpLatched, this.remote, address, port)) {
      this.counters.foreignSource++;
      return;
    }
    const header = this.header;
    if (parseRtp(packet, header) !== null) {
      this.counters.malformed++;
      return;
    }
    if (!this.rtpLatched && this.latching) {
      this.rtpLatched = true;
      if (!this.remote || this.remote.address !== address || this.remote.port !== port) {
        this.remote = { address, port };
      }
      this.connectRtp(address, port);
      this.context.emit({ type: 'latched', endpointId: this.id, kind: 'rtp', address, port });
    }
    const now = this.context.now();
    this.counters.packetsReceived++;
    this.counters.octetsReceived += packet.length;
    this.lastRtpAt = now;
    this.everReceived = true;
    this.timedOut = false;
    const codec = this.codecs.forPayloadType(header.payloadType);
    if (!codec) {
      this.counters.unroutable++;
      return;
    }
    this.receptionClockRate = codec.clockRate;
    this.reception.update(
      header.ssrc,
      header.sequenceNumber,
      header.timestamp,
      Math.round((now * codec.clockRate) / 1000),
    );
    this.decodedLength = -1;
    if (codec.name === 'telephone-event') {
      this.telephoneEvents.receive(
        packet,
        header.payloadOffset,
        header.payloadLength,
        header.timestamp,
        codec.clockRate,
        now,
      );
    } else if (this.tap || this.inbandDetector) {
      const length = this.decodePayload(packet, header, codec);
      if (length < 0) this.tap?.undecodable();
      else {
        this.tap?.received(this.decoded, length);
        this.inbandDetector?.process(this.decoded, length);
      }
    }
    this.outlet?.deliver(packet, header, codec, this, now);
  }

  /**
   * Decodes the G.711 payload of the packet being received into a scratch buffer, once per
   * packet; returns the sample count or -1 when the payload is not G.711. The samples stay valid
   * until the next packet arrives.
   */
  decodePayload(packet: Uint8Array, header: RtpHeader, codec: ResolvedCodec): number {
    if (this.decodedLength >= 0) return this.decodedLength;
    if (!codec.law) return -1;
    const length = Math.min(header.payloadLength, MAX_DECODED_SAMPLES);
    decodeFrame(codec.law, packet, header.payloadOffset, length, this.decoded);
    this.decodedLength = length;
    return length;
  }

  get decodedSamples(): Int16Array {
    return this.decoded;
  }

  private receiveRtcp(packet: Buffer, address: string, port: number): void {
    if (this.closed) return;
    if (!this.acceptsSource(this.rtcpLatched, this.remoteRtcp, address, port)) {
      this.counters.foreignSource++;
      return;
    }
    if (validateRtcp(packet) !== null) {
      this.counters.malformed++;
      return;
    }
    if (!this.rtcpLatched && this.latching) {
      this.rtcpLatched = true;
      this.remoteRtcp = { address, port };
      this.context.emit({ type: 'latched', endpointId: this.id, kind: 'rtcp', address, port });
    }
    this.counters.rtcpReceived++;
    const report = readSenderReport(packet);
    if (report) {
      this.lastSenderReport = report.ntpMiddle;
      this.lastSenderReportAt = this.context.now();
    }
    if (this.rtcpMode === 'relay') this.outlet?.deliverRtcp(packet);
  }

  /**
   * Before latching anything goes (the SDP address of a phone behind NAT is not where its media
   * comes from). After latching only the latched source is heard; without latching only the
   * configured remote, when there is one.
   */
  private acceptsSource(latched: boolean, expected: Latch | null, address: string, port: number): boolean {
    if (latched || (!this.latching && expected)) {
      return expected !== null && expected.address === address && expected.port === port;
    }
    return true;
  }

  // --- sending -----------------------------------------------------------------------------

  /** True when a producer or conference owns the outgoing stream, so relayed media must wait. */
  private get relaySuppressed(): boolean {
    return this.dtmfSender !== null || this.player !== null || this.conferenceFeed !== null;
  }

  /**
   * Sends a packet relayed from a peer (buffer owned by the caller, rewritten in place): maps the
   * payload type by codec name, converts μ-law ⇄ A-law when allowed and needed, and rewrites the
   * header onto this endpoint's stream. `now` is the packet's arrival time on the engine clock.
   */
  relay(packet: Buffer, header: RtpHeader, codecName: CodecName, transcode: boolean, now: number): void {
    if (this.closed || this.relaySuppressed) return;
    const route = this.route;
    if (codecName !== route.name || transcode !== route.transcode || this.codecs !== route.table) {
      this.resolveRoute(codecName, transcode);
    }
    const target = route.target;
    if (!target) {
      this.counters.unroutable++;
      return;
    }
    if (route.transcodeFrom) {
      transcodeInPlace(route.transcodeFrom, target.law!, packet, header.payloadOffset, header.payloadLength);
    }
    const mapped = this.stream.map(
      header.ssrc,
      header.sequenceNumber,
      header.timestamp,
      now,
      target.clockRate,
      target.clockRate / 50,
    );
    writeRtpFields(
      packet,
      header.marker || mapped.marker,
      target.payloadType,
      mapped.sequenceNumber,
      mapped.timestamp,
      this.stream.ssrc,
    );
    this.transmit(packet, header.payloadOffset, header.payloadLength, target.law);
  }

  /**
   * Where a relayed codec goes on this leg: the same codec by name, else with transcoding allowed
   * the other G.711 law. Kept for the last codec seen, so a steady stream looks nothing up.
   */
  private resolveRoute(codecName: CodecName, transcode: boolean): void {
    const route = this.route;
    route.name = codecName;
    route.transcode = transcode;
    route.table = this.codecs;
    route.target = this.codecs.forName(codecName);
    route.transcodeFrom = null;
    if (!route.target && transcode && (codecName === 'PCMU' || codecName === 'PCMA')) {
      route.target = this.codecs.forName(codecName === 'PCMU' ? 'PCMA' : 'PCMU');
      if (route.target) route.transcodeFrom = codecName === 'PCMU' ? 'ulaw' : 'alaw';
    }
  }

  /**
   * Sends a generated frame: `packet` has room for the 12-byte header, the payload is already in
   * place after it. `generator` numbers the frames of its source.
   */
  sendGenerated(
    packet: Buffer,
    generator: GeneratorClock,
    payloadType: number,
    marker: boolean,
    law: G711Law | null,
  ): void {
    if (this.closed) return;
    const clockRate = 8000;
    const mapped = this.stream.map(
      generator.source,
      generator.sequenceNumber,
      generator.timestamp,
      this.context.now(),
      clockRate,
      clockRate / 50,
    );
    writeRtpFields(
      packet,
      marker || mapped.marker,
      payloadType,
      mapped.sequenceNumber,
      mapped.timestamp,
      this.stream.ssrc,
    );
    this.transmit(packet, RTP_HEADER_LENGTH, packet.length - RTP_HEADER_LENGTH, law);
  }

  /** Sends a frame of the conference mix, unless a player or DTMF sender has the stream. */
  sendConferenceAudio(samples: Int16Array): void {
    const feed = this.conferenceFeed;
    const codec = this.codecs.g711;
    if (!feed || !codec?.law || this.dtmfSender || this.player || this.closed) return;
    const packet = allocateRtp(samples.length);
    encodeFrame(codec.law, samples, packet, RTP_HEADER_LENGTH);
    this.sendGenerated(packet, feed, codec.payloadType, false, codec.law);
    feed.advance(samples.length);
  }

  private transmit(packet: Buffer, payloadOffset: number, payloadLength: number, law: G711Law | null): void {
    const remote = this.remote;
    if (!remote) return;
    this.stream.count(packet.length);
    if (this.tap) {
      if (law) {
        const length = Math.min(payloadLength, MAX_DECODED_SAMPLES);
        decodeFrame(law, packet, payloadOffset, length, this.sentScratch);
        this.tap.sent(this.sentScratch, length);
      }
    }
    if (this.rtpConnection === 'connected') this.rtpSocket.send(packet);
    else this.rtpSocket.send(packet, remote.port, remote.address);
  }

  sendRtcp(packet: Buffer): void {
    if (this.closed || !this.remoteRtcp) return;
    this.rtcpSocket.send(packet, this.remoteRtcp.port, this.remoteRtcp.address);
  }

  // --- housekeeping ------------------------------------------------------------------------

  /** Media timeout and RTCP reports; called by the core a few times a second. */
  housekeep(now: number): void {
    if (this.closed) return;
    this.telephoneEvents.expire(now);
    const silentFor = now - this.lastRtpAt;
    if (this.mediaTimeoutMs > 0 && !this.timedOut && silentFor >= this.mediaTimeoutMs) {
      this.timedOut = true;
      this.context.emit({
        type: 'timeout',
        endpointId: this.id,
        cause: this.everReceived ? 'rtp-stopped' : 'no-rtp-received',
        silentForMs: Math.round(silentFor),
      });
    }
    if (now >= this.nextReportAt) {
      // RFC 3550 §6.2: a 5 s minimum interval, randomised over [0.5, 1.5] times it (§6.3.1).
      this.nextReportAt = now + RTCP_INTERVAL_MS * (0.5 + Math.random());
      if (this.rtcpMode === 'generate') this.sendReport(now);
    }
  }

  private sendReport(now: number): void {
    const sending = this.stream.packets > 0 && now - this.stream.latestSentAt < 2 * RTCP_INTERVAL_MS;
    if (!sending && !this.reception.active) return;
    const figures = this.reception.active ? this.reception.takeReportBlock() : null;
    const report = buildRtcpReport({
      ssrc: this.stream.ssrc,
      cname: this.context.cname,
      sender: sending
        ? {
            wallClockMs: this.context.wallClockMs(),
            rtpTimestamp: this.stream.latestTimestamp,
            packetCount: this.stream.packets,
            octetCount: this.stream.octets,
          }
        : undefined,
      block: figures
        ? {
            ssrc: this.reception.ssrc,
            ...figures,
            lastSenderReport: this.lastSenderReport,
            delaySinceLastSenderReport: this.lastSenderReport
              ? Math.floor(((now - this.lastSenderReportAt) * 65536) / 1000) >>> 0
              : 0,
          }
        : undefined,
    });
    this.sendRtcp(report);
  }

  stats(): EndpointStats {
    return {
      endpointId: this.id,
      ...this.counters,
      packetsSent: this.stream.packets,
      octetsSent: this.stream.octets,
      packetsLost: Math.max(0, this.reception.lost),
      jitterMs: (this.reception.jitter * 1000) / this.receptionClockRate,
    };
  }

  /** Stops producers and closes both sockets; the promise settles once the ports are free again. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.dtmfSender?.stop();
    this.player?.stop();
    this.dtmfSender = null;
    this.player = null;
    this.outlet = null;
    const closeSocket = (socket: Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));
    return Promise.all([closeSocket(this.rtpSocket), closeSocket(this.rtcpSocket)]).then(() => undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
