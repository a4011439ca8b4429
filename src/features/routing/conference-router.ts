/**
 * Conference numbers before the dial plan: the conference factory number and the numbers of the
 * rooms running now reach the conference bridge from any caller, as a CME `conference` DN does.
 * Every other number, and every call forward question, goes to the router underneath.
 */
import type { DeviceRef, Router } from '../../core/index.js';

/** The bridge's side of routing: the bridge device a dialled number reaches, if any. */
export interface ConferenceNumbers {
  deviceFor(dialed: string): DeviceRef | undefined;
}

export function createConferenceRouter(options: {
  readonly router: Router;
  readonly conferences: ConferenceNumbers;
}): Router {
  const { router, conferences } = options;
  return {
    route(request) {
      // A conference neither rings busy nor goes unanswered: it never forwards.
      const device = request.divertOn === undefined ? conferences.deviceFor(request.dialed) : undefined;
      if (device === undefined) return router.route(request);
      return { ok: true, called: request.dialed, devices: [device] };
    },
  };
}
