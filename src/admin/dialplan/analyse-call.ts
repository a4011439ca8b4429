/**
 * Digit analysis of one call against a configuration, as `strowger dna` and the management API
 * show it: the caller's calling search space is found from its line's phone (or the trunk the
 * call arrives on), call forward all — and busy / no answer when asked — is followed from line
 * to line, and a number that exists only outside the caller's CSS is told apart from one that
 * exists nowhere. Pure and synchronous; never throws.
 */
import type {
  AnalysisOutcome,
  AnalysisResult,
  Destination,
  MatchedRoute,
  TranslationStep,
} from '../../dialplan/index.js';
import {
  type ConfigSnapshot,
  type Configuration,
  type LineSnapshot,
  snapshotOfConfiguration,
} from '../config/index.js';
import { type CompiledSnapshotPlan, compiledPlanOf } from './compiled-plan.js';
import { EVERY_PARTITION, lineKey } from './plan-config.js';

/** CUCM's default "Forward Maximum Hop Count". */
export const MAX_FORWARD_HOPS = 12;

export interface CallInput {
  /** The calling number: a line's DN, or any number when the call arrives on a trunk. */
  readonly calling: string;
  readonly dialed: string;
  /** The call arrives on this trunk: its inbound dial-peer and calling search space apply. */
  readonly fromTrunk?: string;
  /** Analyse with this calling search space instead of the caller's. */
  readonly css?: string;
  /** The number a forwarded call was last redirected from. */
  readonly redirecting?: string;
  /** Assume the line reached first is busy or does not answer, so its CFB or CFNA applies. */
  readonly forwardOn?: 'busy' | 'no-answer';
}

export type CallDestination =
  | { readonly kind: 'line'; readonly dn: string; readonly partition: string }
  | { readonly kind: 'trunk'; readonly name: string }
  | { readonly kind: 'pilot'; readonly name: string }
  /** A dial-peer's session target; `pilot` names the voicemail or auto attendant it reaches. */
  | { readonly kind: 'address'; readonly target: string; readonly pilot?: string };

export interface CallTranslation extends TranslationStep {
  /** 0 for the call as dialled, n for the n-th forwarded leg. */
  readonly leg: number;
}

export interface CallForward {
  /** The forwarding line. */
  readonly dn: string;
  readonly partition: string;
  readonly reason: 'all' | 'busy' | 'no-answer';
  readonly to: string;
}

export interface CallAnalysis {
  readonly version: string | number;
  readonly outcome: AnalysisOutcome;
  readonly called: string;
  readonly calling: string;
  readonly redirecting?: string;
  /** Inbound dial-peer of a trunk call (0 is IOS's default peer). */
  readonly inboundDialPeer?: number;
  /** The calling search space of the last leg; null: the <None> partition only. */
  readonly css: string | null;
  /** The pattern, DN or dial-peer that decided the call. */
  readonly route: MatchedRoute | null;
  readonly destination: CallDestination | null;
  /** Every rewrite, in order, across legs. */
  readonly translations: readonly CallTranslation[];
  readonly forwards: readonly CallForward[];
  /** Why the call was not routed. */
  readonly reason?: string;
  /** Set when the number is unreachable from this CSS but matches this outside it. */
  readonly outsideCss?: MatchedRoute;
}

export type CallAnalysisResult =
  | { readonly ok: true; readonly analysis: CallAnalysis }
  | { readonly ok: false; readonly errors: readonly string[] };

const fileSnapshots = new WeakMap<Configuration, ConfigSnapshot>();

/** Analyses a call against a snapshot or a validated file's configuration. */
export function analyseCall(source: ConfigSnapshot | Configuration, input: CallInput): CallAnalysisResult {
  const snapshot = isSnapshot(source) ? source : snapshotOf(source);
  const compiled = compiledPlanOf(snapshot);
  if (!compiled.ok) {
    return {
      ok: false,
      errors: compiled.errors.map((e) =>
        e.position === undefined
          ? `${e.path}: ${e.message}`
          : `${e.path}: ${e.message} (at character ${e.position + 1})`,
      ),
    };
  }
  if (
    typeof input !== 'object' ||
    input === null ||
    typeof input.dialed !== 'string' ||
    typeof input.calling !== 'string'
  )
    return { ok: false, errors: ['a call needs a calling and a dialled number'] };
  const css = callingSearchSpaceOf(snapshot, compiled.value, input);
  if (!css.ok) return css;
  return { ok: true, analysis: new CallWalk(snapshot, compiled.value, input).run(css.value) };
}

function isSnapshot(source: ConfigSnapshot | Configuration): source is ConfigSnapshot {
  return (source as ConfigSnapshot).linesByDn instanceof Map;
}

function snapshotOf(configuration: Configuration): ConfigSnapshot {
  let snapshot = fileSnapshots.get(configuration);
  if (snapshot === undefined) {
    snapshot = snapshotOfConfiguration(configuration);
    fileSnapshots.set(configuration, snapshot);
  }
  return snapshot;
}

type CssResult = { ok: true; value: string | null } | { ok: false; errors: string[] };

function callingSearchSpaceOf(
  snapshot: ConfigSnapshot,
  compiled: CompiledSnapshotPlan,
  input: CallInput,
): CssResult {
  if (input.css !== undefined) {
    return snapshot.callingSearchSpaces.has(input.css)
      ? { ok: true, value: input.css }
      : { ok: false, errors: [`calling search space ${input.css} is not defined`] };
  }
  if (input.fromTrunk !== undefined) {
    const trunk = snapshot.trunks.get(input.fromTrunk);
    return trunk
      ? { ok: true, value: trunk.callingSearchSpace }
      : { ok: false, errors: [`trunk ${input.fromTrunk} is not defined`] };
  }
  const line = lineOfNumber(snapshot, compiled, input.calling);
  if (line === undefined) {
    return {
      ok: false,
      errors: [
        `${input.calling} is not a line: name the trunk the call arrives on or a calling search space`,
      ],
    };
  }
  return { ok: true, value: cssOfLine(snapshot, line) };
}

/** The line a number belongs to, by DN or secondary number; the first partition's when several. */
function lineOfNumber(
  snapshot: ConfigSnapshot,
  compiled: CompiledSnapshotPlan,
  number: string,
): LineSnapshot | undefined {
  const byDn = snapshot.linesByDn.get(number)?.[0];
  if (byDn) return byDn;
  for (const line of compiled.lines.values()) if (line.secondaryNumber === number) return line;
  return undefined;
}

/** A line calls with the calling search space of the first phone showing it that has one. */
function cssOfLine(snapshot: ConfigSnapshot, line: LineSnapshot): string | null {
  for (const name of line.appearsOn) {
    const css = snapshot.phones.get(name)?.callingSearchSpace;
    if (css) return css;
  }
  return null;
}

/** One call followed through its legs. */
class CallWalk {
  private readonly translations: CallTranslation[] = [];
  private readonly forwards: CallForward[] = [];
  private readonly visited = new Set<string>();
  /** Chosen on the first leg: forwarded legs start inside the system. */
  private inboundDialPeer: number | undefined;

  constructor(
    private readonly snapshot: ConfigSnapshot,
    private readonly compiled: CompiledSnapshotPlan,
    private readonly input: CallInput,
  ) {}

  run(initialCss: string | null): CallAnalysis {
    let css = initialCss;
    let result = this.analyse(
      {
        dialed: this.input.dialed,
        calling: this.input.calling,
        redirecting: this.input.redirecting,
        fromTrunk: this.input.fromTrunk !== undefined,
      },
      css,
    );
    this.inboundDialPeer = result.inboundDialPeer;
    for (let leg = 1; ; leg++) {
      const line = this.lineReached(result);
      if (line === undefined) return this.finish(result, css);
      if (this.visited.has(lineKey(line))) {
        const chain = [...this.forwards.map((f) => f.dn), line.dn].join(' → ');
        return this.finish(result, css, 'loop', `call forward loop: ${chain}`);
      }
      this.visited.add(lineKey(line));
      const forward = this.forwardOf(line, leg === 1);
      if (forward === undefined) return this.finish(result, css);
      if (leg > MAX_FORWARD_HOPS)
        return this.finish(result, css, 'loop', `more than ${MAX_FORWARD_HOPS} call forward hops`);
      this.forwards.push(forward);
      css = cssOfLine(this.snapshot, line) ?? css;
      result = this.analyse({ dialed: forward.to, calling: result.calling, redirecting: line.dn }, css, leg);
    }
  }

  private analyse(
    call: { dialed: string; calling: string; redirecting?: string; fromTrunk?: boolean },
    css: string | null,
    leg = 0,
  ): AnalysisResult {
    const input = {
      dialed: call.dialed,
      calling: call.calling,
      ...(call.redirecting === undefined ? {} : { redirecting: call.redirecting }),
      ...(call.fromTrunk ? { fromTrunk: true } : {}),
      ...(css === null ? {} : { css }),
    };
    const result = this.compiled.plan.analyse(input);
    for (const step of result.translations) this.translations.push({ ...step, leg });
    if (result.outcome !== 'unreachable' || result.route !== null) return result;
    // the number may exist in a partition the caller cannot reach
    const everywhere = this.compiled.plan.analyse({ ...input, css: EVERY_PARTITION });
    if (everywhere.route === null) return result;
    return {
      ...result,
      reason: `unreachable from this CSS (${css ?? 'none'}): ${describeRoute(everywhere.route)} is outside it`,
      outsideCss: everywhere.route,
    } as AnalysisResult & { outsideCss: MatchedRoute };
  }

  private lineReached(result: AnalysisResult): LineSnapshot | undefined {
    if (result.outcome !== 'routed' || result.destination?.kind !== 'line') return undefined;
    return this.compiled.lines.get(result.destination.line);
  }

  private forwardOf(line: LineSnapshot, firstLine: boolean): CallForward | undefined {
    const forward = (reason: CallForward['reason'], to: string | null): CallForward | undefined =>
      to === null ? undefined : { dn: line.dn, partition: line.partition, reason, to };
    const all = forward('all', line.forwardAll);
    if (all || !firstLine) return all;
    if (this.input.forwardOn === 'busy') return forward('busy', line.forwardBusy);
    if (this.input.forwardOn === 'no-answer') return forward('no-answer', line.forwardNoAnswer);
    return undefined;
  }

  private finish(
    result: AnalysisResult & { outsideCss?: MatchedRoute },
    css: string | null,
    outcome: AnalysisOutcome = result.outcome,
    reason: string | undefined = result.reason,
  ): CallAnalysis {
    const looped = outcome === 'loop' && result.outcome !== 'loop';
    return {
      version: result.version,
      outcome,
      called: result.called,
      calling: result.calling,
      ...(result.redirecting === undefined ? {} : { redirecting: result.redirecting }),
      ...(this.inboundDialPeer === undefined ? {} : { inboundDialPeer: this.inboundDialPeer }),
      css,
      route: result.route,
      destination: looped ? null : this.destinationOf(result),
      translations: this.translations,
      forwards: this.forwards,
      ...(reason === undefined ? {} : { reason }),
      ...(result.outsideCss === undefined ? {} : { outsideCss: result.outsideCss }),
    };
  }

  /** The pilot whose number is `called` at the host of `target`, as dial-peers 10 and 11 reach CUE. */
  private pilotAt(target: string, called: string): string | undefined {
    for (const pilot of this.snapshot.pilots.values()) {
      if (pilot.number === called && hostOf(pilot.destination) === hostOf(target)) return pilot.name;
    }
    return undefined;
  }

  private destinationOf(result: AnalysisResult): CallDestination | null {
    const destination: Destination | null = result.destination;
    if (destination === null) return null;
    switch (destination.kind) {
      case 'line': {
        const line = this.compiled.lines.get(destination.line);
        return line ? { kind: 'line', dn: line.dn, partition: line.partition } : null;
      }
      case 'trunk': {
        // a dial-peer's `sip-server` is the trunk it is on
        const route = result.route;
        const trunk = route?.kind === 'dial-peer' ? this.compiled.peerTrunks.get(route.tag) : undefined;
        return { kind: 'trunk', name: trunk ?? destination.name };
      }
      case 'pilot':
        return { kind: 'pilot', name: destination.name };
      case 'address': {
        const pilot = this.pilotAt(destination.target, result.called);
        return pilot === undefined
          ? { kind: 'address', target: destination.target }
          : { kind: 'address', target: destination.target, pilot };
      }
    }
  }
}

/** The host of `ipv4:192.0.2.5[:port]`, `dns:name`, `sip:600@192.0.2.5;transport=tcp`. */
function hostOf(target: string): string {
  const afterScheme = target.replace(/^(?:ipv4|ipv6|dns|sips?):/, '');
  return afterScheme
    .replace(/^[^@]*@/, '')
    .replace(/[;?>].*$/, '')
    .replace(/:\d+$/, '');
}

/** `dial-peer 3 (9[2-9]..[2-9]......)`, `route pattern 9.! in pstn`, `DN 201 in internal`. */
export function describeRoute(route: MatchedRoute): string {
  const where = (partition: string | null) => (partition === null ? '' : ` in ${partition}`);
  switch (route.kind) {
    case 'dial-peer':
      return `dial-peer ${route.tag} (${route.pattern})`;
    case 'directory-number':
      return `DN ${route.pattern}${where(route.partition)}`;
    case 'route-pattern':
      return `route pattern ${route.pattern}${where(route.partition)}`;
    case 'translation-pattern':
      return `translation pattern ${route.pattern}${where(route.partition)}`;
  }
}
