/**
 * Per-source reception statistics kept by an RTP receiver: extended sequence numbers and loss
 * (RFC 3550 A.1, A.3) and interarrival jitter (A.8), enough to fill an RTCP report block.
 */

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

export interface ReportBlockFigures {
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
}

export class ReceptionStats {
  ssrc = 0;
  received = 0;
  private started = false;
  private baseSequence = 0;
  private maxSequence = 0;
  private cycles = 0;
  private badSequence = SEQ_MOD + 1;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterScaled = 0;
  private lastTransit = 0;

  /**
   * Records one packet. `arrival` is the arrival time in the stream's timestamp units.
   * Returns false for a packet far outside the sequence window (A.1's "bad" sequence).
   */
  update(ssrc: number, sequence: number, timestamp: number, arrival: number): boolean {
    if (!this.started || ssrc !== this.ssrc) {
      this.restart(ssrc, sequence);
      this.lastTransit = (arrival - timestamp) | 0;
      this.received = 1;
      return true;
    }
    const delta = (sequence - this.maxSequence + SEQ_MOD) % SEQ_MOD;
    if (delta < MAX_DROPOUT) {
      if (sequence < this.maxSequence) this.cycles += SEQ_MOD;
      this.maxSequence = sequence;
    } else if (delta <= SEQ_MOD - MAX_MISORDER) {
      // A large jump: accept it only when the next packet confirms the new sequence (A.1).
      if (sequence !== this.badSequence) {
        this.badSequence = (sequence + 1) % SEQ_MOD;
        return false;
      }
      this.restart(ssrc, sequence);
    }
    this.received++;
    // A.8: J += (|D| - J) / 16, kept scaled by 16 to stay in integers.
    const transit = (arrival - timestamp) | 0;
    let difference = (transit - this.lastTransit) | 0;
    this.lastTransit = transit;
    if (difference < 0) difference = -difference;
    this.jitterScaled += difference - ((this.jitterScaled + 8) >> 4);
    return true;
  }

  get active(): boolean {
    return this.started;
  }

  get extendedHighestSequence(): number {
    return this.cycles + this.maxSequence;
  }

  get expected(): number {
    return this.started ? this.extendedHighestSequence - this.baseSequence + 1 : 0;
  }

  get lost(): number {
    return this.expected - this.received;
  }

  get jitter(): number {
    return this.jitterScaled >> 4;
  }

  /** Figures for a report block; advances the interval used for the fraction lost (A.3). */
  takeReportBlock(): ReportBlockFigures {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    // The cumulative count is a signed 24-bit field; duplicates can make it negative.
    const cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, this.lost));
    return {
      fractionLost,
      cumulativeLost,
      extendedHighestSequence: this.extendedHighestSequence >>> 0,
      jitter: this.jitter,
    };
  }

  private restart(ssrc: number, sequence: number): void {
    this.started = true;
    this.ssrc = ssrc;
    this.baseSequence = sequence;
    this.maxSequence = sequence;
    this.cycles = 0;
    this.badSequence = SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.jitterScaled = 0;
  }
}
