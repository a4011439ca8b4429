/**
 * The time source of the core: every timer (no-answer, and later forward-no-answer or park
 * reversion) goes through it, so that tests drive time with a fake clock. The shape is the one
 * `src/sip` uses, declared here because the core imports no protocol module.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;
