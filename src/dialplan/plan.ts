/**
 * The compiled, immutable dial plan and its digit analysis. One analysis walks: inbound dial-peer
 * selection and its incoming translation profile (trunk calls only), then closest-match lookup of
 * the called number among the CUCM patterns the CSS reaches and the outbound dial-peers,
 * following translation patterns (each a new hop, at most MAX_HOPS) until a DN, a route pattern or
 * a dial-peer decides the call.
 */
import { isDialable } from './alphabet.js';
import type { CompiledPeer, CompiledPlanData, CompiledProfile, CucmEntry } from './compile.js';
import { applyTransform } from './party-transform.js';
import type { MatchPosition } from './pattern-index.js';
import {
  applyRuleSet,
  type CompiledRuleSet,
  MAX_TRANSLATED_LENGTH,
  newRuleOutput,
  RULES_REJECTED,
  RULES_TRANSLATED,
  type RuleTestResult,
  testRuleSet,
} from './translation-rule.js';
import type {
  AnalysisInput,
  AnalysisOutcome,
  AnalysisResult,
  Destination,
  MatchedRoute,
  NumberField,
  TranslationStep,
} from './types.js';

/** Translation-pattern hops before analysis gives up with outcome 'loop'. */
export const MAX_HOPS = 16;

const NO_TRANSLATIONS: readonly TranslationStep[] = Object.freeze([]);

export type ProfileField = 'called' | 'calling' | 'redirect-target' | 'redirect-called';

/** Mutable state of one analysis; lives for one `analyse` call. */
class Trace {
  called: string;
  calling: string;
  redirecting: string | undefined;
  hop = 0;
  steps: TranslationStep[] | null = null;
  inboundDialPeer: number | undefined = undefined;
  route: MatchedRoute | null = null;

  constructor(called: string, calling: string, redirecting: string | undefined) {
    this.called = called;
    this.calling = calling;
    this.redirecting = redirecting;
  }

  set(field: NumberField, after: string, rule: string): void {
    const before =
      field === 'called' ? this.called : field === 'calling' ? this.calling : (this.redirecting ?? '');
    if (field === 'called') this.called = after;
    else if (field === 'calling') this.calling = after;
    else this.redirecting = after;
    this.steps ??= [];
    this.steps.push({ step: this.hop, field, before, after, rule });
  }
}

export class DialPlan {
  readonly version: string | number;
  readonly #data: CompiledPlanData;
  readonly #cucmPosition: MatchPosition = { dotPosition: -1, weight: 0, openEnded: 0 };
  readonly #peerPosition: MatchPosition = { dotPosition: -1, weight: 0, openEnded: 0 };
  readonly #ruleOutput = newRuleOutput();

  constructor(data: CompiledPlanData) {
    this.version = data.version;
    this.#data = data;
    Object.freeze(this);
  }

  /** Digit analysis of one call. Never throws: malformed input gives outcome 'unreachable'. */
  analyse(input: AnalysisInput): AnalysisResult {
    if (typeof input !== 'object' || input === null || typeof input.dialed !== 'string') {
      return this.#result(new Trace('', '', undefined), 'unreachable', null, 'no dialled number');
    }
    const calling = typeof input.calling === 'string' ? input.calling : '';
    const redirecting = typeof input.redirecting === 'string' ? input.redirecting : undefined;
    const trace = new Trace(input.dialed, calling, redirecting);
    if (
      input.dialed.length > MAX_TRANSLATED_LENGTH ||
      calling.length > MAX_TRANSLATED_LENGTH ||
      (redirecting?.length ?? 0) > MAX_TRANSLATED_LENGTH
    ) {
      return this.#result(trace, 'unreachable', null, 'number too long');
    }
    let ranks = this.#data.noCssRanks;
    if (input.css !== undefined) {
      const css = typeof input.css === 'string' ? this.#data.cssByName.get(input.css) : undefined;
      if (css === undefined) return this.#result(trace, 'unreachable', null, 'unknown calling search space');
      ranks = this.#data.cssRanks[css]!;
    }

    if (input.fromTrunk === true || input.incomingDialPeer !== undefined) {
      let peer: CompiledPeer | null;
      if (input.incomingDialPeer !== undefined) {
        peer = this.#data.peersByTag.get(input.incomingDialPeer) ?? null;
        if (peer === null) return this.#result(trace, 'unreachable', null, 'unknown inbound dial-peer');
      } else {
        peer = this.#selectInbound(trace.called, trace.calling);
      }
      trace.inboundDialPeer = peer?.tag ?? 0; // IOS dial-peer 0 when nothing matches (Cisco 14074)
      if (peer?.incoming && !this.#translate(trace, peer, 'incoming', peer.incoming)) {
        return this.#result(trace, 'blocked', null, `${peer.label} incoming translation rejects the call`);
      }
    }

    for (; trace.hop <= MAX_HOPS; trace.hop++) {
      if (!isDialable(trace.called)) return this.#result(trace, 'unreachable', null, 'not a dialable number');
      const data = this.#data;
      const entryIndex = data.cucm.lookup(trace.called, ranks, this.#cucmPosition);
      const targetIndex = data.outbound.lookup(trace.called, null, this.#peerPosition);
      if (entryIndex < 0 && targetIndex < 0)
        return this.#result(trace, 'unreachable', null, 'no pattern matches');
      // an equally close DN or pattern wins over a dial-peer
      if (entryIndex >= 0 && (targetIndex < 0 || !closer(this.#peerPosition, this.#cucmPosition))) {
        const entry = data.cucmEntries[entryIndex]!;
        trace.route = entry.route;
        if (entry.blocked !== null) return this.#result(trace, 'blocked', null, entry.blocked);
        this.#transform(trace, entry);
        if (entry.kind !== 'translation-pattern') return this.#result(trace, 'routed', entry.destination);
        if (entry.css >= 0) ranks = data.cssRanks[entry.css]!;
        continue;
      }
      const target = data.outboundTargets[targetIndex]!;
      return this.#routeToPeer(trace, target.peer, target.strip);
    }
    return this.#result(trace, 'loop', null, `more than ${MAX_HOPS} translation hops`);
  }

  /**
   * Applies one field of a translation profile, like a `translate redirect-target` rewrite of a
   * 302 Contact (R-TRUNK-10). An unknown profile or an unset field leaves the number unmatched.
   */
  translate(profileName: string, field: ProfileField, number: string): RuleTestResult {
    const profile = typeof profileName === 'string' ? this.#data.profiles.get(profileName) : undefined;
    const set = profile === undefined ? null : ruleSetFor(profile, field);
    if (set === null || typeof number !== 'string') return { outcome: 'unmatched', number: String(number) };
    return testRuleSet(set, { number });
  }

  /** Cisco 211306 Table 1, the parts that apply to a number: `incoming called-number` on the
   * DNIS, then `answer-address` on the ANI, then `destination-pattern` on the ANI. */
  #selectInbound(called: string, calling: string): CompiledPeer | null {
    const data = this.#data;
    const position = this.#peerPosition;
    if (isDialable(called)) {
      const index = data.inboundCalled.lookup(called, null, position);
      if (index >= 0) return data.peers[index]!;
    }
    if (calling !== '' && isDialable(calling)) {
      const index = data.inboundAnswer.lookup(calling, null, position);
      if (index >= 0) return data.peers[index]!;
      const target = data.outbound.lookup(calling, null, position);
      if (target >= 0) return data.outboundTargets[target]!.peer;
    }
    return null;
  }

  #routeToPeer(trace: Trace, peer: CompiledPeer, strip: number): AnalysisResult {
    trace.route = peer.route;
    if (peer.destination === null)
      return this.#result(trace, 'unreachable', null, `${peer.label} has no session target`);
    const profile = peer.outgoing;
    if (profile !== null && !this.#translate(trace, peer, 'outgoing', profile)) {
      return this.#result(trace, 'blocked', null, `${peer.label} outgoing translation rejects the call`);
    }
    if (peer.kind === 'pots') {
      // POTS digit manipulation (Cisco 211306): explicitly matched leading digits are stripped
      // unless `no digit-strip`, `forward-digits` (the right-most N of the dialled digits) or an
      // outgoing translation of the called number takes over; `prefix` goes in front last
      if (peer.digitStrip && strip > 0 && peer.forwardDigits === null && profile?.called == null) {
        trace.set('called', trace.called.slice(strip), `${peer.label} digit-strip`);
      }
      if (peer.forwardDigits !== null && peer.forwardDigits < trace.called.length) {
        trace.set(
          'called',
          trace.called.slice(trace.called.length - peer.forwardDigits),
          `${peer.label} forward-digits`,
        );
      }
      if (peer.prefix !== '') trace.set('called', peer.prefix + trace.called, `${peer.label} prefix`);
    }
    return this.#result(trace, 'routed', peer.destination);
  }

  /** Runs a profile's called, calling and redirect-called rule sets; false when one rejects. */
  #translate(
    trace: Trace,
    peer: CompiledPeer,
    direction: 'incoming' | 'outgoing',
    profile: CompiledProfile,
  ): boolean {
    return (
      this.#translateField(trace, peer, direction, profile, 'called', profile.called) &&
      this.#translateField(trace, peer, direction, profile, 'calling', profile.calling) &&
      (trace.redirecting === undefined ||
        this.#translateField(trace, peer, direction, profile, 'redirecting', profile.redirectCalled))
    );
  }

  #translateField(
    trace: Trace,
    peer: CompiledPeer,
    direction: 'incoming' | 'outgoing',
    profile: CompiledProfile,
    field: NumberField,
    set: CompiledRuleSet | null,
  ): boolean {
    if (set === null) return true;
    const value =
      field === 'called' ? trace.called : field === 'calling' ? trace.calling : (trace.redirecting ?? '');
    const out = this.#ruleOutput;
    const status = applyRuleSet(set, value, undefined, undefined, out);
    if (status === RULES_REJECTED) return false;
    if (status === RULES_TRANSLATED) {
      trace.set(field, out.number, `${peer.label} ${direction} ${profile.name}: ${out.rule!.label}`);
    }
    return true;
  }

  #transform(trace: Trace, entry: CucmEntry): void {
    if (entry.called !== null) {
      trace.set(
        'called',
        applyTransform(entry.called, trace.called, this.#cucmPosition.dotPosition),
        entry.label,
      );
    }
    if (entry.calling !== null)
      trace.set('calling', applyTransform(entry.calling, trace.calling, -1), entry.label);
  }

  #result(
    trace: Trace,
    outcome: AnalysisOutcome,
    destination: Destination | null,
    reason?: string,
  ): AnalysisResult {
    // every field always present (undefined drops out of JSON): one object shape for all results
    return {
      version: this.version,
      outcome,
      called: trace.called,
      calling: trace.calling,
      redirecting: trace.redirecting,
      inboundDialPeer: trace.inboundDialPeer,
      route: trace.route,
      destination,
      translations: trace.steps ?? NO_TRANSLATIONS,
      reason,
    };
  }
}

function closer(a: MatchPosition, b: MatchPosition): boolean {
  return a.weight < b.weight || (a.weight === b.weight && a.openEnded < b.openEnded);
}

function ruleSetFor(profile: CompiledProfile, field: ProfileField): CompiledRuleSet | null {
  switch (field) {
    case 'called':
      return profile.called;
    case 'calling':
      return profile.calling;
    case 'redirect-target':
      return profile.redirectTarget;
    case 'redirect-called':
      return profile.redirectCalled;
    default:
      return null;
  }
}
