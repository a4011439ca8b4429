/**
 * Turns a DialPlanConfig into the immutable structures analysis reads: one trie for the CUCM
 * patterns (DNs, route and translation patterns, all partitions), one per dial-peer match kind,
 * CSS rank tables, and compiled translation rules. Every problem is collected; nothing throws.
 */
import { parseWildcardPattern } from './cisco-wildcard.js';
import { ConfigReader, type ConfigRecord, isRecord } from './config-reader.js';
import { parseDestinationPattern } from './destination-pattern.js';
import { type CompiledTransform, compileTransform } from './party-transform.js';
import { type PatternIndex, PatternIndexBuilder } from './pattern-index.js';
import { type CompiledPattern, literalPrefixLength } from './pattern-tokens.js';
import {
  type CompiledRule,
  type CompiledRuleSet,
  compileTranslationRule,
  MAX_RULES_PER_SET,
  NUMBER_TYPES,
  NUMBERING_PLANS,
} from './translation-rule.js';
import type {
  Destination,
  DialPlanError,
  MatchedRoute,
  NumberAttributeRewrite,
  Result,
  RouteTarget,
  SyntaxProblem,
  TranslationRuleConfig,
} from './types.js';

const MAX_TAG = 2_147_483_647;
const SESSION_TARGET = /^(?:sip-server|registrar|(?:ipv4|ipv6|dns|enum|sip-uri|loopback):\S{1,255})$/;

export type CucmKind = 'directory-number' | 'route-pattern' | 'translation-pattern';

export interface CucmEntry {
  readonly kind: CucmKind;
  readonly route: MatchedRoute;
  readonly destination: Destination | null;
  /** Why the pattern blocks, or null when it does not. */
  readonly blocked: string | null;
  /** Translation pattern: CSS index to re-analyse with, -1 for the caller's. */
  readonly css: number;
  readonly called: CompiledTransform | null;
  readonly calling: CompiledTransform | null;
  readonly label: string;
}

export interface CompiledProfile {
  readonly name: string;
  readonly called: CompiledRuleSet | null;
  readonly calling: CompiledRuleSet | null;
  readonly redirectTarget: CompiledRuleSet | null;
  readonly redirectCalled: CompiledRuleSet | null;
}

export interface CompiledPeer {
  readonly tag: number;
  readonly kind: 'voip' | 'pots';
  readonly label: string;
  readonly destinationPattern: string | null;
  readonly route: MatchedRoute | null;
  readonly destination: Destination | null;
  readonly incoming: CompiledProfile | null;
  readonly outgoing: CompiledProfile | null;
  readonly digitStrip: boolean;
  readonly forwardDigits: number | null;
  readonly prefix: string;
}

/** One alternative of a destination-pattern: the POTS strip count depends on which matched. */
export interface OutboundTarget {
  readonly peer: CompiledPeer;
  readonly strip: number;
}

export interface CompiledPlanData {
  readonly version: string | number;
  readonly cucm: PatternIndex;
  readonly cucmEntries: readonly CucmEntry[];
  readonly cssByName: ReadonlyMap<string, number>;
  /** Per CSS, rank of each partition (index = partition, last = the null partition), -1 if absent. */
  readonly cssRanks: readonly Int32Array[];
  /** Ranks for a caller without a CSS: only the null partition. */
  readonly noCssRanks: Int32Array;
  readonly outbound: PatternIndex;
  readonly outboundTargets: readonly OutboundTarget[];
  readonly inboundCalled: PatternIndex;
  readonly inboundAnswer: PatternIndex;
  readonly peers: readonly CompiledPeer[];
  readonly peersByTag: ReadonlyMap<number, CompiledPeer>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
}

export function compilePlanData(config: unknown): Result<CompiledPlanData, DialPlanError[]> {
  const reader = new ConfigReader();
  if (!isRecord(config)) {
    reader.error('', 'configuration must be an object');
    return { ok: false, error: reader.errors };
  }
  const version = config.version;
  if (typeof version !== 'string' && !(typeof version === 'number' && Number.isFinite(version))) {
    reader.error('version', 'must be a string or a number');
  }

  const partitionNames = reader.strings(config.partitions, 'partitions');
  const partitions = new Map<string, number>();
  partitionNames.forEach((name, i) => {
    if (partitions.has(name)) reader.error(`partitions[${i}]`, `duplicate partition '${name}'`);
    else partitions.set(name, partitions.size);
  });
  const nullPartition = partitions.size;

  const cssByName = new Map<string, number>();
  const cssRanks: Int32Array[] = [];
  for (const { record, path } of reader.records(config.callingSearchSpaces, 'callingSearchSpaces')) {
    const name = reader.string(record, 'name', path, true);
    const members = reader.strings(record.partitions, `${path}.partitions`);
    if (name === null) continue;
    if (cssByName.has(name)) {
      reader.error(`${path}.name`, `duplicate calling search space '${name}'`);
      continue;
    }
    const ranks = new Int32Array(nullPartition + 1).fill(-1);
    members.forEach((member, rank) => {
      const index = partitions.get(member);
      if (index === undefined) reader.error(`${path}.partitions[${rank}]`, `unknown partition '${member}'`);
      else if (ranks[index] === -1) ranks[index] = rank;
    });
    ranks[nullPartition] = members.length; // the <None> partition is searched last
    cssByName.set(name, cssRanks.length);
    cssRanks.push(ranks);
  }
  const noCssRanks = new Int32Array(nullPartition + 1).fill(-1);
  noCssRanks[nullPartition] = 0;

  const partitionOf = (record: ConfigRecord, path: string): { index: number; name: string | null } | null => {
    const name = reader.string(record, 'partition', path);
    if (name === null) return null;
    if (name === undefined) return { index: nullPartition, name: null };
    const index = partitions.get(name);
    if (index === undefined) {
      reader.error(`${path}.partition`, `unknown partition '${name}'`);
      return null;
    }
    return { index, name };
  };
  const transformOf = (
    record: ConfigRecord,
    key: 'called' | 'calling',
    path: string,
  ): CompiledTransform | null => {
    const value = record[key];
    if (value === undefined) return null;
    if (!isRecord(value)) {
      reader.error(`${path}.${key}`, 'must be an object');
      return null;
    }
    if (key === 'calling' && value.discard !== undefined)
      reader.error(`${path}.calling.discard`, 'applies to the called party only');
    const compiled = compileTransform(value);
    if (compiled.ok) return compiled.value;
    reader.error(`${path}.${key}.${compiled.error.field}`, compiled.error.message, compiled.error.position);
    return null;
  };
  const patternOf = (
    text: string | null | undefined,
    path: string,
    parse: (text: string) => Result<CompiledPattern, SyntaxProblem>,
  ): CompiledPattern | null => {
    if (text === null || text === undefined) return null;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    reader.error(path, parsed.error.message, parsed.error.position);
    return null;
  };

  // --- CUCM patterns ---------------------------------------------------------------------------
  const cucmBuilder = new PatternIndexBuilder();
  const cucmEntries: CucmEntry[] = [];
  const addCucm = (pattern: CompiledPattern, group: number, entry: CucmEntry): void => {
    for (const tokens of pattern.alternatives) {
      cucmBuilder.add(tokens, {
        owner: cucmEntries.length,
        group,
        tieBreak: cucmEntries.length,
        exact: true,
      });
    }
    cucmEntries.push(Object.freeze(entry));
  };
  const where = (partition: string | null): string => (partition === null ? '' : ` in ${partition}`);

  for (const { record, path } of reader.records(config.directoryNumbers, 'directoryNumbers')) {
    const number = reader.string(record, 'number', path, true);
    const partition = partitionOf(record, path);
    const line = reader.string(record, 'line', path);
    const pattern = patternOf(number, `${path}.number`, parseWildcardPattern);
    if (pattern === null || number === null || partition === null || line === null) continue;
    addCucm(pattern, partition.index, {
      kind: 'directory-number',
      route: Object.freeze({ kind: 'directory-number', pattern: number, partition: partition.name }),
      destination: Object.freeze({ kind: 'line', line: line ?? number }),
      blocked: null,
      css: -1,
      called: null,
      calling: null,
      label: `directory-number ${number}${where(partition.name)}`,
    });
  }

  for (const { record, path } of reader.records(config.routePatterns, 'routePatterns')) {
    const text = reader.string(record, 'pattern', path, true);
    const partition = partitionOf(record, path);
    const target = routeTargetOf(record.target, `${path}.target`, reader);
    const called = transformOf(record, 'called', path);
    const calling = transformOf(record, 'calling', path);
    const pattern = patternOf(text, `${path}.pattern`, parseWildcardPattern);
    if (pattern === null || text === null || partition === null || target === null) continue;
    addCucm(pattern, partition.index, {
      kind: 'route-pattern',
      route: Object.freeze({ kind: 'route-pattern', pattern: text, partition: partition.name }),
      destination: target.kind === 'blocked' ? null : Object.freeze({ kind: target.kind, name: target.name }),
      blocked: target.kind === 'blocked' ? (target.reason ?? `route-pattern ${text} blocks the call`) : null,
      css: -1,
      called,
      calling,
      label: `route-pattern ${text}${where(partition.name)}`,
    });
  }

  for (const { record, path } of reader.records(config.translationPatterns, 'translationPatterns')) {
    const text = reader.string(record, 'pattern', path, true);
    const partition = partitionOf(record, path);
    const cssName = reader.string(record, 'css', path);
    const blocked = reader.boolean(record, 'blocked', path);
    const called = transformOf(record, 'called', path);
    const calling = transformOf(record, 'calling', path);
    const pattern = patternOf(text, `${path}.pattern`, parseWildcardPattern);
    let css = -1;
    if (typeof cssName === 'string') {
      css = cssByName.get(cssName) ?? -1;
      if (css === -1) reader.error(`${path}.css`, `unknown calling search space '${cssName}'`);
    }
    if (pattern === null || text === null || partition === null) continue;
    addCucm(pattern, partition.index, {
      kind: 'translation-pattern',
      route: Object.freeze({ kind: 'translation-pattern', pattern: text, partition: partition.name }),
      destination: null,
      blocked: blocked === true ? `translation-pattern ${text} blocks the call` : null,
      css,
      called,
      calling,
      label: `translation-pattern ${text}${where(partition.name)}`,
    });
  }

  // --- IOS translation rules and profiles ------------------------------------------------------
  const ruleSets = new Map<number, CompiledRuleSet>();
  for (const { record, path } of reader.records(config.translationRules, 'translationRules')) {
    const id = reader.integer(record, 'id', path, 1, MAX_TAG);
    if (id === undefined) reader.error(`${path}.id`, 'is required');
    if (typeof id !== 'number') continue;
    if (ruleSets.has(id)) {
      reader.error(`${path}.id`, `duplicate voice translation-rule ${id}`);
      continue;
    }
    const rules = compileRuleSet(id, record.rules, `${path}.rules`, reader);
    if (rules !== null) ruleSets.set(id, Object.freeze({ id, rules }));
  }

  const profiles = new Map<string, CompiledProfile>();
  for (const { record, path } of reader.records(config.translationProfiles, 'translationProfiles')) {
    const name = reader.string(record, 'name', path, true);
    const ruleSetOf = (key: string): CompiledRuleSet | null => {
      const id = reader.integer(record, key, path, 1, MAX_TAG);
      if (typeof id !== 'number') return null;
      const set = ruleSets.get(id);
      if (set === undefined) reader.error(`${path}.${key}`, `unknown voice translation-rule ${id}`);
      return set ?? null;
    };
    const profile: CompiledProfile = Object.freeze({
      name: name ?? '',
      called: ruleSetOf('called'),
      calling: ruleSetOf('calling'),
      redirectTarget: ruleSetOf('redirectTarget'),
      redirectCalled: ruleSetOf('redirectCalled'),
    });
    if (name === null) continue;
    if (profiles.has(name)) reader.error(`${path}.name`, `duplicate voice translation-profile '${name}'`);
    else profiles.set(name, profile);
  }

  // --- dial-peers ------------------------------------------------------------------------------
  const outboundBuilder = new PatternIndexBuilder();
  const inboundCalledBuilder = new PatternIndexBuilder();
  const inboundAnswerBuilder = new PatternIndexBuilder();
  const outboundTargets: OutboundTarget[] = [];
  const peers: CompiledPeer[] = [];
  const peersByTag = new Map<number, CompiledPeer>();
  for (const { record, path } of reader.records(config.dialPeers, 'dialPeers')) {
    const peer = compilePeer(record, path, reader, profiles);
    if (peer === null) continue;
    if (peersByTag.has(peer.tag)) {
      reader.error(`${path}.tag`, `duplicate dial-peer ${peer.tag}`);
      continue;
    }
    const destination = patternOf(
      peer.destinationPattern,
      `${path}.destinationPattern`,
      parseDestinationPattern,
    );
    const called = patternOf(
      reader.string(record, 'incomingCalledNumber', path),
      `${path}.incomingCalledNumber`,
      parseDestinationPattern,
    );
    const answer = patternOf(
      reader.string(record, 'answerAddress', path),
      `${path}.answerAddress`,
      parseDestinationPattern,
    );
    const preference = reader.integer(record, 'preference', path, 0, 10) ?? 0;
    // IOS: among equally close matches the lower preference is tried first; then the lower tag
    const tieBreak = preference * 2 ** 32 + peer.tag;
    const index = peers.length;
    for (const tokens of destination?.alternatives ?? []) {
      const owner = outboundTargets.length;
      outboundTargets.push(Object.freeze({ peer, strip: literalPrefixLength(tokens) }));
      outboundBuilder.add(tokens, { owner, group: 0, tieBreak, exact: destination!.exact });
    }
    for (const tokens of called?.alternatives ?? []) {
      inboundCalledBuilder.add(tokens, { owner: index, group: 0, tieBreak, exact: called!.exact });
    }
    for (const tokens of answer?.alternatives ?? []) {
      inboundAnswerBuilder.add(tokens, { owner: index, group: 0, tieBreak, exact: answer!.exact });
    }
    peers.push(peer);
    peersByTag.set(peer.tag, peer);
  }

  if (reader.errors.length > 0) return { ok: false, error: reader.errors };
  return {
    ok: true,
    value: Object.freeze({
      version: version as string | number,
      cucm: cucmBuilder.build(),
      cucmEntries: Object.freeze(cucmEntries),
      cssByName,
      cssRanks,
      noCssRanks,
      outbound: outboundBuilder.build(),
      outboundTargets: Object.freeze(outboundTargets),
      inboundCalled: inboundCalledBuilder.build(),
      inboundAnswer: inboundAnswerBuilder.build(),
      peers: Object.freeze(peers),
      peersByTag,
      profiles,
    }),
  };
}

function routeTargetOf(value: unknown, path: string, reader: ConfigReader): RouteTarget | null {
  if (!isRecord(value)) {
    reader.error(path, "must be { kind: 'trunk' | 'pilot', name } or { kind: 'blocked' }");
    return null;
  }
  if (value.kind === 'blocked') {
    const reason = reader.string(value, 'reason', path);
    if (reason === null) return null;
    return reason === undefined ? { kind: 'blocked' } : { kind: 'blocked', reason };
  }
  if (value.kind !== 'trunk' && value.kind !== 'pilot') {
    reader.error(`${path}.kind`, "must be 'trunk', 'pilot' or 'blocked'");
    return null;
  }
  const name = reader.string(value, 'name', path, true);
  return name === null ? null : { kind: value.kind, name };
}

function compileRuleSet(
  id: number,
  value: unknown,
  path: string,
  reader: ConfigReader,
): CompiledRule[] | null {
  const entries = reader.records(value, path);
  if (entries.length > MAX_RULES_PER_SET) {
    reader.error(path, `a voice translation-rule holds at most ${MAX_RULES_PER_SET} rules`);
    return null;
  }
  const rules: CompiledRule[] = [];
  const seen = new Set<number>();
  for (const { record, path: rulePath } of entries) {
    const precedence = reader.integer(record, 'precedence', rulePath, 1, 100);
    if (precedence === undefined) reader.error(`${rulePath}.precedence`, 'is required');
    const match = reader.string(record, 'match', rulePath, true);
    const replace = reader.string(record, 'replace', rulePath);
    const reject = reader.boolean(record, 'reject', rulePath);
    const type = attributeOf(record.type, `${rulePath}.type`, NUMBER_TYPES, reader);
    const plan = attributeOf(record.plan, `${rulePath}.plan`, NUMBERING_PLANS, reader);
    if (typeof precedence !== 'number' || match === null || replace === null || reject === null) continue;
    if (type === null || plan === null) continue;
    if (seen.has(precedence)) {
      reader.error(`${rulePath}.precedence`, `duplicate rule ${precedence}`);
      continue;
    }
    seen.add(precedence);
    const rule: TranslationRuleConfig = { precedence, match };
    if (replace !== undefined) rule.replace = replace;
    if (reject === true) rule.reject = true;
    if (type !== undefined) rule.type = type;
    if (plan !== undefined) rule.plan = plan;
    const compiled = compileTranslationRule(id, rule);
    if (compiled.ok) rules.push(Object.freeze(compiled.value));
    else reader.error(`${rulePath}.${compiled.error.field}`, compiled.error.message, compiled.error.position);
  }
  rules.sort((a, b) => a.precedence - b.precedence);
  return rules;
}

function attributeOf(
  value: unknown,
  path: string,
  known: ReadonlySet<string>,
  reader: ConfigReader,
): NumberAttributeRewrite | undefined | null {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.match !== 'string' || typeof value.replace !== 'string') {
    reader.error(path, 'must be { match, replace }');
    return null;
  }
  for (const key of ['match', 'replace'] as const) {
    if (!known.has(value[key] as string)) {
      reader.error(`${path}.${key}`, `unknown value '${value[key] as string}'`);
      return null;
    }
  }
  return { match: value.match, replace: value.replace };
}

function compilePeer(
  record: ConfigRecord,
  path: string,
  reader: ConfigReader,
  profiles: ReadonlyMap<string, CompiledProfile>,
): CompiledPeer | null {
  const tag = reader.integer(record, 'tag', path, 1, MAX_TAG);
  if (tag === undefined) reader.error(`${path}.tag`, 'is required');
  const kind = record.kind;
  if (kind !== 'voip' && kind !== 'pots') reader.error(`${path}.kind`, "must be 'voip' or 'pots'");
  const destinationPattern = reader.string(record, 'destinationPattern', path);
  const sessionTarget = reader.string(record, 'sessionTarget', path);
  const port = reader.string(record, 'port', path);
  const digitStrip = reader.boolean(record, 'digitStrip', path);
  const forwardDigits = reader.integer(record, 'forwardDigits', path, 0, 32);
  const prefix = reader.string(record, 'prefix', path);
  reader.string(record, 'description', path);
  const profileOf = (key: string): CompiledProfile | null => {
    const name = reader.string(record, key, path);
    if (typeof name !== 'string') return null;
    const profile = profiles.get(name);
    if (profile === undefined) reader.error(`${path}.${key}`, `unknown voice translation-profile '${name}'`);
    return profile ?? null;
  };
  const incoming = profileOf('translationProfileIncoming');
  const outgoing = profileOf('translationProfileOutgoing');
  if (typeof sessionTarget === 'string' && !SESSION_TARGET.test(sessionTarget)) {
    reader.error(`${path}.sessionTarget`, `unrecognised session target '${sessionTarget}'`);
  }
  if (kind === 'voip') {
    // IOS accepts these only under POTS dial-peers
    for (const key of ['port', 'digitStrip', 'forwardDigits', 'prefix']) {
      if (record[key] !== undefined) reader.error(`${path}.${key}`, 'applies to POTS dial-peers only');
    }
  } else if (sessionTarget !== undefined) {
    reader.error(`${path}.sessionTarget`, 'applies to VoIP dial-peers only');
  }
  if (typeof tag !== 'number' || (kind !== 'voip' && kind !== 'pots') || destinationPattern === null)
    return null;
  if (typeof prefix === 'string' && !/^[0-9*#A-Da-d+,]{0,32}$/.test(prefix)) {
    reader.error(`${path}.prefix`, 'must be dialable digits');
    return null;
  }
  let destination: Destination | null = null;
  if (kind === 'voip' && typeof sessionTarget === 'string') {
    destination =
      sessionTarget === 'sip-server' || sessionTarget === 'registrar'
        ? { kind: 'trunk', name: sessionTarget }
        : { kind: 'address', target: sessionTarget };
  } else if (kind === 'pots' && typeof port === 'string') {
    destination = { kind: 'trunk', name: `voice-port ${port}` };
  }
  return Object.freeze({
    tag,
    kind,
    label: `dial-peer ${tag}`,
    destinationPattern: destinationPattern ?? null,
    route:
      destinationPattern === undefined
        ? null
        : Object.freeze({ kind: 'dial-peer', tag, pattern: destinationPattern }),
    destination: destination === null ? null : Object.freeze(destination),
    incoming,
    outgoing,
    digitStrip: digitStrip !== false,
    forwardDigits: typeof forwardDigits === 'number' ? forwardDigits : null,
    prefix: typeof prefix === 'string' ? prefix.replaceAll(',', '') : '',
  });
}

/** One `voice translation-rule` on its own, e.g. for the `test voice translation-rule` command. */
export function compileRuleSetConfig(config: unknown): Result<CompiledRuleSet, DialPlanError[]> {
  const reader = new ConfigReader();
  if (!isRecord(config)) {
    reader.error('', 'must be an object');
    return { ok: false, error: reader.errors };
  }
  const id = reader.integer(config, 'id', '', 1, MAX_TAG) ?? null;
  if (id === null) reader.error('id', 'is required');
  const rules = compileRuleSet(id ?? 0, config.rules, 'rules', reader);
  if (reader.errors.length > 0 || rules === null || id === null) return { ok: false, error: reader.errors };
  return { ok: true, value: Object.freeze({ id, rules }) };
}
