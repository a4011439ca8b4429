/**
 * The dial plan's public contract: the plain configuration it compiles from and the analysis
 * result it returns. Everything here is data (JSON-safe), so `strowger dna` can print a result as is.
 */

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** A configuration problem. `path` names the element (`routePatterns[3].pattern`); `position` is
 * the 0-based character offset inside that string when the problem is a syntax error. */
export interface DialPlanError {
  path: string;
  message: string;
  position?: number;
}

/** A syntax error inside one pattern or rule, before it is attached to a configuration path. */
export interface SyntaxProblem {
  message: string;
  position: number;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/** CUCM called/calling party transformation. Applied in CUCM's order: discard, mask, prefix. */
export interface PartyTransform {
  /** `predot`: drop the digits matched before the pattern's `.` (called party only). */
  discard?: 'predot';
  /** Right-aligned mask: a digit replaces, `X` keeps the dialled digit (e.g. `5123781XXX`). */
  mask?: string;
  prefix?: string;
}

export interface DirectoryNumberConfig {
  /** The DN, an exact number (no wildcards). */
  number: string;
  partition?: string;
  /** The line this DN rings; defaults to the number. */
  line?: string;
}

export type RouteTarget =
  | { kind: 'trunk'; name: string }
  | { kind: 'pilot'; name: string }
  | { kind: 'blocked'; reason?: string };

export interface RoutePatternConfig {
  /** Cisco wildcard pattern: digits, `*`, `#`, `+`, `X`, `!`, `[1-5]`, `[^0]`, one `.`. */
  pattern: string;
  partition?: string;
  target: RouteTarget;
  called?: PartyTransform;
  calling?: PartyTransform;
}

export interface TranslationPatternConfig {
  pattern: string;
  partition?: string;
  /** CSS the translated number is analysed with; the caller's CSS when absent. */
  css?: string;
  blocked?: boolean;
  called?: PartyTransform;
  calling?: PartyTransform;
}

export interface CallingSearchSpaceConfig {
  name: string;
  /** Searched in this order: on an equally close match the earlier partition wins. */
  partitions: string[];
}

/** Match/replace pair for a rule's `type` or `plan` condition, e.g. `type national unknown`. */
export interface NumberAttributeRewrite {
  match: string;
  replace: string;
}

/** One `rule <precedence> /match/ /replace/` or `rule <precedence> reject /match/` line. */
export interface TranslationRuleConfig {
  precedence: number;
  /** The IOS regular expression between the slashes. */
  match: string;
  /** The replacement between the slashes; ignored for reject rules. */
  replace?: string;
  reject?: boolean;
  type?: NumberAttributeRewrite;
  plan?: NumberAttributeRewrite;
}

/** `voice translation-rule <id>`: at most 15 rules, the first match (by precedence) applies. */
export interface TranslationRuleSetConfig {
  id: number;
  rules: TranslationRuleConfig[];
}

/** `voice translation-profile <name>`: rule-set ids per number. */
export interface TranslationProfileConfig {
  name: string;
  called?: number;
  calling?: number;
  redirectTarget?: number;
  redirectCalled?: number;
}

export interface DialPeerConfig {
  tag: number;
  kind: 'voip' | 'pots';
  description?: string;
  destinationPattern?: string;
  incomingCalledNumber?: string;
  answerAddress?: string;
  /** 0-10, lower is tried first among equally close matches (IOS default 0). */
  preference?: number;
  /** `ipv4:a.b.c.d[:port]`, `ipv6:[…]`, `dns:name[:port]`, `sip-server`, … kept as data. */
  sessionTarget?: string;
  /** POTS voice port, e.g. `0/2/0:15`. */
  port?: string;
  translationProfileIncoming?: string;
  translationProfileOutgoing?: string;
  /** POTS only: `no digit-strip` sets this false (IOS default true). */
  digitStrip?: boolean;
  /** POTS only: forward only the right-most N digits. */
  forwardDigits?: number;
  /** POTS only: digits put in front after stripping. */
  prefix?: string;
}

export interface DialPlanConfig {
  /** Identifies this compiled snapshot; copied onto the plan. */
  version: string | number;
  partitions?: string[];
  callingSearchSpaces?: CallingSearchSpaceConfig[];
  directoryNumbers?: DirectoryNumberConfig[];
  routePatterns?: RoutePatternConfig[];
  translationPatterns?: TranslationPatternConfig[];
  translationRules?: TranslationRuleSetConfig[];
  translationProfiles?: TranslationProfileConfig[];
  dialPeers?: DialPeerConfig[];
}

// ---------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------

export interface AnalysisInput {
  /** Calling party number (ANI); empty when unknown. */
  calling?: string;
  /** Dialled / called number (DNIS). */
  dialed: string;
  /** Calling search space of the caller (a line, or the trunk for inbound calls). */
  css?: string;
  /** Redirecting number of a forwarded call, translated by `translate redirect-called`. */
  redirecting?: string;
  /** The call arrives from a trunk: an inbound dial-peer is selected first. */
  fromTrunk?: boolean;
  /** Inbound dial-peer already chosen by the adapter (implies `fromTrunk`). */
  incomingDialPeer?: number;
}

export type AnalysisOutcome = 'routed' | 'blocked' | 'unreachable' | 'loop';

export type NumberField = 'called' | 'calling' | 'redirecting';

export interface TranslationStep {
  /** Analysis hop the step happened in (0 for the first analysis). */
  step: number;
  field: NumberField;
  before: string;
  after: string;
  /** What rewrote the number, e.g. `translation-rule 2 rule 2` or `translation-pattern 9.!`. */
  rule: string;
}

export type MatchedRoute =
  | { kind: 'directory-number'; pattern: string; partition: string | null }
  | { kind: 'route-pattern'; pattern: string; partition: string | null }
  | { kind: 'translation-pattern'; pattern: string; partition: string | null }
  | { kind: 'dial-peer'; tag: number; pattern: string };

export type Destination =
  | { kind: 'line'; line: string }
  | { kind: 'trunk'; name: string }
  | { kind: 'pilot'; name: string }
  | { kind: 'address'; target: string };

export interface AnalysisResult {
  version: string | number;
  outcome: AnalysisOutcome;
  called: string;
  calling: string;
  redirecting?: string;
  /** Inbound dial-peer selected for a trunk call (0 is IOS's default peer). */
  inboundDialPeer?: number;
  /** The last pattern matched; the one that routed or blocked the call. */
  route: MatchedRoute | null;
  destination: Destination | null;
  translations: readonly TranslationStep[];
  /** Why a call was not routed. */
  reason?: string;
}
