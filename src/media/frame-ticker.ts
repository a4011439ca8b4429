/**
 * The 20 ms frame clock that paces generated media (players, tones, DTMF, the mixer, the
 * recorder). One ticker per worker; it runs only while something listens. Each tick is scheduled
 * against the ideal time line so timer lateness does not accumulate into drift.
 */
import type { Clock, TimerHandle } from './clock.js';

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;

export class FrameTicker {
  private readonly listeners = new Set<(now: number) => void>();
  private timer: TimerHandle | null = null;
  private nextAt = 0;
  private firing = false;
  /** Ticks fired since the ticker was made; shared sources derive their position from it. */
  ticks = 0;

  constructor(private readonly clock: Clock) {}

  add(listener: (now: number) => void): void {
    this.listeners.add(listener);
    if (!this.timer && !this.firing) {
      this.nextAt = this.clock.now() + FRAME_MS;
      this.timer = this.clock.setTimeout(() => this.fire(), FRAME_MS);
    }
  }

  delete(listener: (now: number) => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    this.firing = true;
    this.ticks++;
    const now = this.clock.now();
    // After a long stall (a paused debugger, an overloaded machine) start a fresh time line
    // instead of sending a burst of catch-up frames.
    this.nextAt = now - this.nextAt > 5 * FRAME_MS ? now + FRAME_MS : this.nextAt + FRAME_MS;
    try {
      for (const listener of this.listeners) listener(now);
    } finally {
      this.firing = false;
    }
    if (this.listeners.size === 0) return;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, this.nextAt - this.clock.now()));
  }
}
