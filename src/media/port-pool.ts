/**
 * RTP/RTCP port pairs from a configured range: RTP on an even port, RTCP on the next odd one
 * (RFC 3550 §11). Released pairs go to the back of the queue so a port is reused as late as
 * possible, which keeps stray packets of an ended call from reaching the next one.
 */
export interface PortPair {
  rtp: number;
  rtcp: number;
}

export class PortPool {
  private readonly free: number[] = [];
  private head = 0;
  private readonly inUse = new Set<number>();
  readonly capacity: number;

  constructor(min: number, max: number) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`bad port range ${min}-${max}`);
    }
    for (let port = min + (min % 2); port + 1 <= max; port += 2) this.free.push(port);
    this.capacity = this.free.length;
  }

  take(): PortPair | null {
    if (this.head >= this.free.length) return null;
    const rtp = this.free[this.head++]!;
    // Compact now and then so the queue does not grow with every take/give cycle.
    if (this.head > 1024 && this.head * 2 > this.free.length) {
      this.free.splice(0, this.head);
      this.head = 0;
    }
    this.inUse.add(rtp);
    return { rtp, rtcp: rtp + 1 };
  }

  give(pair: PortPair): void {
    if (!this.inUse.delete(pair.rtp)) return;
    this.free.push(pair.rtp);
  }

  get available(): number {
    return this.free.length - this.head;
  }

  get used(): number {
    return this.inUse.size;
  }
}
