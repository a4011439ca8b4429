/** Public types shared by the controller and the worker threads. Everything here is structured-clone safe. */

/** Payload formats the engine knows by name (RFC 3551 §6, RFC 4733, RFC 7587). */
export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'opus' | 'telephone-event';

/** One negotiated payload type of a leg, as its SDP states it. */
export interface CodecSpec {
  payloadType: number;
  name: CodecName;
  /** RTP clock rate; defaults to 8000 (48000 for Opus). */
  clockRate?: number;
}

export interface RemoteAddress {
  address: string;
  port: number;
  /** Defaults to port + 1 (RFC 3550 §11). */
  rtcpPort?: number;
}

export type RtcpMode = 'generate' | 'relay';

export interface EndpointSettings {
  /**
   * Payload types of the leg, preferred first. The first G.711 entry is what the engine sends
   * when it generates audio (MOH, tones, conference, in-band DTMF).
   */
  codecs?: CodecSpec[];
  /** Where the leg's SDP says to send media; replaced by the real source once latched. */
  remote?: RemoteAddress;
  /**
   * Symmetric RTP (RFC 4961) / latching for phones behind NAT: media is sent back to the source
   * of the first valid packet, and packets from other sources are ignored from then on.
   * Default true.
   */
  latching?: boolean;
  /** No RTP for this long raises a `timeout` event; 0 disables. Defaults to the engine's setting. */
  mediaTimeoutMs?: number;
  /** Run the Goertzel detector on received G.711 audio. Default false. */
  detectInbandDtmf?: boolean;
  /** Relay the peer's RTCP or generate reports of our own. Default 'generate'. */
  rtcp?: RtcpMode;
}

export interface AllocateOptions extends EndpointSettings {
  /** Put the new endpoint on the same worker as this one (both legs of a call). */
  near?: string;
}

/** A media endpoint: the address and ports a leg's SDP must point at. */
export interface Endpoint {
  id: string;
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

export type DtmfMethod = 'rfc4733' | 'inband';

/** `notInService`: the special information tone that precedes an intercept (vacant number) announcement. */
export type CallProgressTone = 'dial' | 'ringback' | 'busy' | 'reorder' | 'notInService';

/** North American (ANSI T1.401) or ITU-T E.180 recommended call-progress tones. */
export type ToneRegion = 'north-america' | 'itu';

export type PlaySource =
  | {
      kind: 'file';
      /**
       * 'g711' (default): a WAV (PCM16, μ-law, A-law) or Sun AU file, converted to the leg's G.711
       * law. 'g729': G.729 frames (WAV or AU with a G.729 format, or a raw `.g729` bitstream)
       * sent as they are to a leg that negotiated G.729.
       */
      encoding?: 'g711' | 'g729';
      path: string;
      /** G.729 packet duration (the leg's a=ptime), whole 10 ms frames; default 20. */
      ptimeMs?: number;
      /** Start over at the end. Default false; MOH classes always loop. */
      loop?: boolean;
      /**
       * MOH class: every endpoint playing the same class hears one shared source at the same
       * position, the way a radio is heard.
       */
      mohClass?: string;
    }
  | { kind: 'tone'; tone: CallProgressTone; region?: ToneRegion };

export interface EndpointStats {
  endpointId: string;
  packetsReceived: number;
  octetsReceived: number;
  packetsSent: number;
  octetsSent: number;
  /** Expected minus received for the current source (RFC 3550 A.3). */
  packetsLost: number;
  /** Interarrival jitter in milliseconds (RFC 3550 A.8). */
  jitterMs: number;
  malformed: number;
  /** Packets from a source other than the latched one. */
  foreignSource: number;
  /** Packets with a payload type the leg did not negotiate or the peer cannot take. */
  unroutable: number;
  rtcpReceived: number;
  socketErrors: number;
}

export type TimeoutCause = 'no-rtp-received' | 'rtp-stopped';

export type MediaEvent =
  | {
      type: 'dtmf';
      endpointId: string;
      digit: DtmfDigit;
      method: DtmfMethod;
      /** 'begin' when the digit starts, 'end' with its duration when it stops. */
      state: 'begin' | 'end';
      durationMs?: number;
    }
  | { type: 'timeout'; endpointId: string; cause: TimeoutCause; silentForMs: number }
  | { type: 'latched'; endpointId: string; kind: 'rtp' | 'rtcp'; address: string; port: number }
  | { type: 'play-ended'; endpointId: string }
  /** Final counters of an endpoint, sent when it is released. */
  | { type: 'stats'; stats: EndpointStats }
  | { type: 'worker-exit'; worker: number; lostEndpoints: string[]; reason: string };

export interface RecordingSummary {
  path: string;
  /** 8 kHz frames written: received audio on the left channel, sent audio on the right. */
  samples: number;
  /** Packets that could not be decoded (not G.711) and were recorded as silence. */
  undecodable: number;
}

export type MediaErrorCode =
  | 'no-such-endpoint'
  | 'no-such-conference'
  | 'ports-exhausted'
  | 'conference-limit'
  | 'codec-unsupported'
  | 'bad-request'
  | 'file-unreadable'
  | 'file-unwritable'
  | 'busy'
  | 'closed'
  | 'internal';

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
