/**
 * The RTP stream an endpoint sends. Whatever feeds it (the relayed peer, MOH, a tone, the
 * conference mixer, a DTMF generator), the stream keeps the endpoint's own SSRC and continues
 * sequence numbers and timestamps from where the previous source left off, so the far end sees
 * one unbroken stream (RFC 3550 §5.1, §8.2: an RTP translator that changes the SSRC must keep
 * the numbering consistent). Each source numbers its packets in its own space; the stream maps
 * them by two offsets fixed when the source takes over, so reordering and gaps of the source
 * survive the mapping.
 */

export interface MappedFields {
  sequenceNumber: number;
  timestamp: number;
  /** Set on the first packet after a change of source: a timestamp discontinuity (§5.1). */
  marker: boolean;
}

export class OutgoingStream {
  readonly ssrc: number;
  packets = 0;
  octets = 0;
  private source: number | null = null;
  private sequenceOffset = 0;
  private timestampOffset = 0;
  private lastSequence: number;
  private lastTimestamp: number;
  private lastSentAt = Number.NaN;
  private readonly out: MappedFields = { sequenceNumber: 0, timestamp: 0, marker: false };

  constructor(random: () => number = Math.random) {
    // §5.1: initial sequence number and timestamp are random; §8.1: so is the SSRC.
    this.ssrc = Math.floor(random() * 0x100000000) >>> 0;
    this.lastSequence = Math.floor(random() * 0x10000);
    this.lastTimestamp = Math.floor(random() * 0x100000000) >>> 0;
  }

  /**
   * Maps a packet of `source` (any number identifying it; peer SSRCs are 0…2³²−1, generators use
   * negative numbers) to the outgoing numbering. `now` in ms and `clockRate` advance the
   * timestamp across a change of source by the real time that passed, at least one frame of
   * `minimumStep` samples. The returned object is reused by the next call.
   */
  map(
    source: number,
    sequenceNumber: number,
    timestamp: number,
    now: number,
    clockRate: number,
    minimumStep: number,
  ): MappedFields {
    const out = this.out;
    out.marker = false;
    if (source !== this.source) {
      this.source = source;
      const elapsed = Number.isNaN(this.lastSentAt)
        ? 0
        : Math.round(((now - this.lastSentAt) * clockRate) / 1000);
      const nextTimestamp = (this.lastTimestamp + Math.max(minimumStep, elapsed)) >>> 0;
      this.sequenceOffset = (this.lastSequence + 1 - sequenceNumber) & 0xffff;
      this.timestampOffset = (nextTimestamp - timestamp) >>> 0;
      out.marker = true;
    }
    const mappedSequence = (sequenceNumber + this.sequenceOffset) & 0xffff;
    const mappedTimestamp = (timestamp + this.timestampOffset) >>> 0;
    // Only a newer packet moves the high-water marks, so a late one cannot rewind them.
    if (((mappedSequence - this.lastSequence) & 0xffff) < 0x8000) this.lastSequence = mappedSequence;
    if ((mappedTimestamp - this.lastTimestamp) >>> 0 < 0x80000000) this.lastTimestamp = mappedTimestamp;
    this.lastSentAt = now;
    out.sequenceNumber = mappedSequence;
    out.timestamp = mappedTimestamp;
    return out;
  }

  /** Timestamp of the newest packet sent, for RTCP sender reports. */
  get latestTimestamp(): number {
    return this.lastTimestamp;
  }

  get latestSentAt(): number {
    return this.lastSentAt;
  }

  count(octets: number): void {
    this.packets = (this.packets + 1) >>> 0;
    this.octets = (this.octets + octets) >>> 0;
  }
}

/** A generator's own numbering: sequence +1 per packet, timestamp + samples per frame. */
export class GeneratorClock {
  private static nextId = 1;
  /** Negative so it never equals a peer's SSRC. */
  readonly source = -GeneratorClock.nextId++;
  sequenceNumber = 0;
  timestamp = 0;

  advance(samples: number): void {
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
  }
}
