/**
 * Timers go through a Clock so tests can drive retransmissions with a fake clock. The shape
 * matches the SIP stack's clock, so one clock object serves both; this library declares its own
 * to stay free of other modules.
 */
export interface TftpClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimeout(callback: () => void, ms: number): object;
  clearTimeout(handle: object): void;
}

export const systemClock: TftpClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // A retransmission timer must never keep the process alive on its own.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
