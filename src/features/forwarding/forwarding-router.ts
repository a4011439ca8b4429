/**
 * Call forwarding as a routing policy (CFA, CFB, CFNA; CUCM and CME `call-forward all | busy |
 * noan … timeout`): wraps the dial-plan router so that every route says which forwards led to
 * its devices, answers the core's "this line was busy / did not answer" by the line's forward,
 * tells a forward loop (SIP 482) from too many hops (SIP 483), and rings a line with a no-answer
 * forward for the line's own timeout. Digit analysis stays the dial plan's (`analyseCall`).
 */
import { SIP_LINE } from '../../adapters/sip-line/calls/index.js';
import { SIP_TRUNK } from '../../adapters/sip-trunk/calls/index.js';
import {
  analyseCall,
  type CallAnalysis,
  type CallForward,
  type CallInput,
  MAX_FORWARD_HOPS,
} from '../../admin/dialplan/index.js';
import type { ConfigSnapshot } from '../../admin/index.js';
import {
  type CoreLogger,
  type DeviceRef,
  type Diversion,
  type RouteRequest,
  type RouteResult,
  type Router,
  silentCoreLogger,
} from '../../core/index.js';

export interface ForwardingRouterOptions {
  /** The dial-plan router (`createDialPlanRouter`): it finds the devices. */
  readonly router: Router;
  readonly snapshot: () => ConfigSnapshot;
  readonly logger?: CoreLogger;
}

const NOT_FORWARDED: RouteResult = { ok: false, failure: 'unknown' };
const FORWARD_LOOP: RouteResult = { ok: false, failure: 'forwardLoop' };
const TOO_MANY_FORWARDS: RouteResult = { ok: false, failure: 'tooManyForwards' };

const REASONS: Record<CallForward['reason'], Diversion['reason']> = {
  all: 'unconditional',
  busy: 'busy',
  'no-answer': 'noAnswer',
};

/** Snapshots where some line forwards all its calls: only then is a plain route analysed twice. */
const forwardsAll = new WeakMap<ConfigSnapshot, boolean>();

export function createForwardingRouter(options: ForwardingRouterOptions): Router {
  const { router, snapshot } = options;
  const logger = options.logger ?? silentCoreLogger;

  /** The analysis of the call with its forwards; undefined when the plan cannot analyse it. */
  const analyse = (config: ConfigSnapshot, request: RouteRequest): CallAnalysis | undefined => {
    const analysed = analyseCall(config, callInput(config, request));
    return analysed.ok ? analysed.analysis : undefined;
  };

  /** A forward loop or hop limit ends the call with one log line; other loops are the router's. */
  const loopFailure = (request: RouteRequest, analysis: CallAnalysis): RouteResult | undefined => {
    if (analysis.outcome !== 'loop' || analysis.forwards.length === 0) return undefined;
    const tooMany = analysis.forwards.length >= MAX_FORWARD_HOPS;
    logger.warn(
      { calling: request.calling.number, dialed: request.dialed, reason: analysis.reason },
      tooMany ? 'too many call forward hops' : 'call forward loop',
    );
    return tooMany ? TOO_MANY_FORWARDS : FORWARD_LOOP;
  };

  const plainRoute = (config: ConfigSnapshot, request: RouteRequest): RouteResult => {
    if (!hasForwardAll(config)) return withLineTimeout(config, router.route(request));
    const analysis = analyse(config, request);
    const loop = analysis && loopFailure(request, analysis);
    if (loop) return loop;
    return withLineTimeout(config, withDiversions(router.route(request), analysis?.forwards ?? []));
  };

  /**
   * The line `dialed` reaches was busy or did not answer: its forward is routed as the line
   * itself would call (its phone's calling search space), presenting the original caller's
   * number (`calling-number initiator`, R-TRUNK-14).
   */
  const divertRoute = (
    config: ConfigSnapshot,
    request: RouteRequest,
    divertOn: NonNullable<RouteRequest['divertOn']>,
  ): RouteResult => {
    const analysis = analyse(config, { ...request, divertOn });
    if (analysis === undefined) return NOT_FORWARDED;
    const loop = loopFailure(request, analysis);
    if (loop) return loop;
    const first = analysis.forwards[0];
    if (first === undefined || first.reason === 'all') return NOT_FORWARDED;
    const forwardingPhone = config.lines.get(first.partition)?.get(first.dn)?.appearsOn[0];
    const calling: DeviceRef =
      forwardingPhone === undefined
        ? request.calling
        : {
            kind: SIP_LINE,
            id: forwardingPhone,
            number: request.calling.number,
            ...(request.calling.displayName === undefined
              ? {}
              : { displayName: request.calling.displayName }),
            reach: request.calling.reach,
          };
    const routed = router.route({ calling, dialed: first.to });
    return withLineTimeout(config, withDiversions(routed, analysis.forwards));
  };

  return {
    route(request) {
      const config = snapshot();
      return request.divertOn === undefined
        ? plainRoute(config, request)
        : divertRoute(config, request, request.divertOn);
    },
  };
}

/** The input `analyseCall` needs, as the dial-plan router builds it (the caller's or the trunk's CSS). */
function callInput(config: ConfigSnapshot, request: RouteRequest): CallInput {
  const { calling, dialed, divertOn } = request;
  const forwardOn =
    divertOn === undefined ? {} : ({ forwardOn: divertOn === 'busy' ? 'busy' : 'no-answer' } as const);
  if (calling.kind === SIP_TRUNK)
    return { calling: calling.number, dialed, fromTrunk: calling.id, ...forwardOn };
  const css = calling.kind === SIP_LINE ? config.phones.get(calling.id)?.callingSearchSpace : undefined;
  return { calling: calling.number, dialed, ...(css ? { css } : {}), ...forwardOn };
}

function hasForwardAll(config: ConfigSnapshot): boolean {
  let known = forwardsAll.get(config);
  if (known === undefined) {
    known = false;
    for (const byDn of config.lines.values())
      for (const line of byDn.values()) if (line.forwardAll !== null) known = true;
    forwardsAll.set(config, known);
  }
  return known;
}

function withDiversions(result: RouteResult, forwards: readonly CallForward[]): RouteResult {
  if (!result.ok || forwards.length === 0) return result;
  const diversions = forwards.map(
    (forward): Diversion => ({ from: forward.dn, to: forward.to, reason: REASONS[forward.reason] }),
  );
  return { ...result, diversions };
}

/**
 * A line with call forward no answer rings for its own timeout (`call-forward noan 600 timeout
 * 15`) before the core asks for the forward.
 */
function withLineTimeout(config: ConfigSnapshot, result: RouteResult): RouteResult {
  if (!result.ok || result.noAnswerTimeoutMs !== undefined) return result;
  if (!result.devices.some((device) => device.kind === SIP_LINE)) return result;
  const line = config.linesByDn.get(result.called)?.find((candidate) => candidate.forwardNoAnswer !== null);
  const seconds = line?.noAnswerTimeout;
  if (seconds === null || seconds === undefined || seconds <= 0) return result;
  return { ...result, noAnswerTimeoutMs: seconds * 1000 };
}
