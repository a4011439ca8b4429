/**
 * The routing port: the core asks where a dialled number goes; the server answers from the
 * configuration (partitions, calling search spaces, the dial plan) and from where devices are
 * registered. The core only needs the outcome.
 */
import type { DeviceRef, Diversion } from './model.js';

export interface RouteRequest {
  readonly calling: DeviceRef;
  readonly dialed: string;
  /**
   * The line `dialed` reaches was busy or did not answer: route the call on by that line's call
   * forward busy / no answer. A router without forwarding answers as for an unknown number.
   */
  readonly divertOn?: 'busy' | 'noAnswer';
}

/** Why a number could not be routed; each maps to one CSTA cause. */
export type RouteFailure =
  /** No line or pattern matches the number in the caller's calling search space. */
  | 'unknown'
  /** The number is a line, but none of its devices is reachable right now. */
  | 'notRegistered'
  /** A pattern blocks the number for this caller. */
  | 'blocked'
  /** Call forwarding came back to a number it had left. */
  | 'forwardLoop'
  /** More call forward hops than allowed. */
  | 'tooManyForwards';

export type RouteResult =
  | {
      readonly ok: true;
      /** The called number after any translation. */
      readonly called: string;
      /** Alerted in parallel; the first to answer gets the call. */
      readonly devices: readonly DeviceRef[];
      /** Overrides the core's no-answer timeout for this destination (e.g. a line's setting). */
      readonly noAnswerTimeoutMs?: number;
      /** The forwards followed to reach the devices, oldest first (call forward all, busy, no answer). */
      readonly diversions?: readonly Diversion[];
    }
  | { readonly ok: false; readonly failure: RouteFailure };

export interface Router {
  /** Must not throw; an unexpected failure is the router's to log and answer as a failure. */
  route(request: RouteRequest): RouteResult;
}
