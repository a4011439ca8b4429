/**
 * Compares the configuration in a file with the configuration in the store and lists what has
 * to change. Pure: `applyConfig` executes the plan.
 */
import type { ConfigRows, DialPlanRows, LineAppearanceRow, LineRow } from '../../store/index.js';
import {
  type CallingSearchSpaceConfig,
  type Configuration,
  completeLine,
  DEFAULT_REGISTRAR,
  type DevicePoolConfig,
  type DialPeerConfig,
  type LineConfig,
  type PartitionConfig,
  type PhoneConfig,
  type PilotConfig,
  type RegistrarSettings,
  type RoutePatternConfig,
  type TranslationPatternConfig,
  type TranslationProfileConfig,
  type TranslationRuleSetConfig,
  type TrunkConfig,
  trunkOfRow,
  type UserConfig,
} from './configuration.js';
import { checkDialPlanReferences } from './plan-references.js';

export type ObjectKind =
  | 'registrar'
  | 'partition'
  | 'calling search space'
  | 'device pool'
  | 'user'
  | 'line'
  | 'phone'
  | 'translation rule'
  | 'translation profile'
  | 'trunk'
  | 'pilot'
  | 'dial-peer'
  | 'route pattern'
  | 'translation pattern';

export interface ConfigChange {
  readonly action: '+' | '~' | '-';
  readonly kind: ObjectKind;
  readonly name: string;
  /** For `~`: the keys that changed, as spelled in the file (never their values). */
  readonly fields?: readonly string[];
  /** For `+`: a human label such as the line's display name. */
  readonly label?: string;
}

/** `+ line 201 in internal (John Smith)`, `~ phone SEP0008A37128E9 description`, `- partition old`. */
export function formatChange(change: ConfigChange): string {
  const head = `${change.action} ${change.kind} ${change.name}`;
  if (change.fields) return `${head} ${change.fields.join(', ')}`;
  return change.label ? `${head} (${change.label})` : head;
}

export interface SectionDiff<T> {
  readonly added: T[];
  readonly modified: { readonly object: T; readonly fields: readonly string[] }[];
  readonly removed: T[];
}

/** Phone line appearances with their partitions resolved. */
export type ResolvedPhone = Omit<PhoneConfig, 'lines'> & {
  readonly lines: readonly Omit<LineAppearanceRow, 'device'>[];
};

export interface ConfigPlan {
  readonly registrar: RegistrarSettings | undefined;
  readonly partitions: SectionDiff<PartitionConfig>;
  readonly callingSearchSpaces: SectionDiff<CallingSearchSpaceConfig>;
  readonly devicePools: SectionDiff<DevicePoolConfig>;
  readonly users: SectionDiff<UserConfig>;
  readonly lines: SectionDiff<LineConfig>;
  readonly phones: SectionDiff<ResolvedPhone>;
  readonly translationRules: SectionDiff<TranslationRuleSetConfig>;
  readonly translationProfiles: SectionDiff<TranslationProfileConfig>;
  readonly trunks: SectionDiff<TrunkConfig>;
  readonly pilots: SectionDiff<PilotConfig>;
  readonly dialPeers: SectionDiff<DialPeerConfig>;
  readonly routePatterns: SectionDiff<RoutePatternConfig>;
  readonly translationPatterns: SectionDiff<TranslationPatternConfig>;
  readonly changes: readonly ConfigChange[];
}

export type PlanResult =
  | { readonly ok: true; readonly plan: ConfigPlan }
  | { readonly ok: false; readonly errors: string[] };

/** Keys of the store's objects as the file spells them, for change lists. */
const fileKeys: Record<string, string> = {
  expiresDefault: 'expires.default',
  expiresMin: 'expires.min',
  expiresMax: 'expires.max',
  forwardAll: 'forward.all',
  forwardBusy: 'forward.busy',
  forwardNoAnswer: 'forward.noAnswer',
  noAnswerTimeout: 'forward.noAnswerTimeout',
  voicemailPilot: 'voicemail',
  sipUsername: 'sip.username',
  sipPassword: 'sip.password',
  secondaryNumber: 'secondary',
  noRegistration: 'noReg',
  translationProfileIncoming: 'translationProfile.incoming',
  translationProfileOutgoing: 'translationProfile.outgoing',
  blockReason: 'blocked',
};

const NO_DIAL_PLAN: DialPlanRows = {
  translationRuleSets: [],
  translationRules: [],
  translationProfiles: [],
  trunks: [],
  pilots: [],
  dialPeers: [],
  routePatterns: [],
  translationPatterns: [],
};

export function planConfig(current: ConfigRows, desired: Configuration): PlanResult {
  const errors: string[] = [];
  const changes: ConfigChange[] = [];
  const lineName = (line: LineConfig) => `${line.dn} in ${line.partition}`;

  const registrarNow = current.registrar ?? DEFAULT_REGISTRAR;
  const registrarFields = desired.registrar ? changedFields(registrarNow, desired.registrar) : [];
  if (registrarFields.length > 0)
    changes.push({ action: '~', kind: 'registrar', name: 'expires', fields: registrarFields });

  const describe = (object: { description: string }) => object.description;
  const partitions = diffSection(
    changes,
    'partition',
    current.partitions,
    desired.partitions,
    (p) => p.name,
    describe,
  );
  const callingSearchSpaces = diffSection(
    changes,
    'calling search space',
    currentCallingSearchSpaces(current),
    desired.callingSearchSpaces,
    (c) => c.name,
    describe,
  );
  const devicePools = diffSection(
    changes,
    'device pool',
    current.devicePools,
    desired.devicePools,
    (d) => d.name,
    describe,
  );
  const users = diffSection(
    changes,
    'user',
    current.users.map(({ userid, name }) => ({ userid, name })),
    desired.users,
    (u) => u.userid,
    (u) => u.name,
  );
  const lines = diffSection(
    changes,
    'line',
    current.lines.map(completeLine),
    desired.lines,
    lineName,
    (l) => l.displayName,
  );
  const desiredPhones =
    desired.phones && resolvePhones(desired.phones, desired.lines ?? current.lines, errors);
  const phones = diffSection(
    changes,
    'phone',
    currentPhones(current),
    desiredPhones,
    (p) => p.name,
    (p) => p.description,
  );
  checkDialPlanReferences(current, desired, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    plan: {
      registrar: registrarFields.length > 0 ? desired.registrar : undefined,
      partitions,
      callingSearchSpaces,
      devicePools,
      users,
      lines,
      phones,
      ...planDialPlan(changes, current.dialPlan ?? NO_DIAL_PLAN, desired),
      changes,
    },
  };
}

type DialPlanDiffs = Pick<
  ConfigPlan,
  | 'translationRules'
  | 'translationProfiles'
  | 'trunks'
  | 'pilots'
  | 'dialPeers'
  | 'routePatterns'
  | 'translationPatterns'
>;

function planDialPlan(changes: ConfigChange[], current: DialPlanRows, desired: Configuration): DialPlanDiffs {
  const rules = groupBy(current.translationRules, (rule) => String(rule.ruleSet));
  const currentRuleSets = current.translationRuleSets.map(({ id }) => ({
    id,
    rules: (rules.get(String(id)) ?? []).map(({ ruleSet: _set, ...rule }) => rule),
  }));
  const patternName = (entry: { pattern: string; partition: string | null }) =>
    entry.partition === null ? entry.pattern : `${entry.pattern} in ${entry.partition}`;
  const describe = (object: { description: string }) => object.description;
  return {
    translationRules: diffSection(
      changes,
      'translation rule',
      currentRuleSets,
      desired.translationRules,
      (set) => String(set.id),
    ),
    translationProfiles: diffSection(
      changes,
      'translation profile',
      current.translationProfiles,
      desired.translationProfiles,
      (profile) => profile.name,
    ),
    trunks: diffSection(
      changes,
      'trunk',
      current.trunks.map(trunkOfRow),
      desired.trunks,
      (trunk) => trunk.name,
      describe,
    ),
    pilots: diffSection(changes, 'pilot', current.pilots, desired.pilots, (pilot) => pilot.name, describe),
    dialPeers: diffSection(
      changes,
      'dial-peer',
      current.dialPeers,
      desired.dialPeers,
      (peer) => String(peer.tag),
      describe,
    ),
    routePatterns: diffSection(
      changes,
      'route pattern',
      current.routePatterns,
      desired.routePatterns,
      patternName,
      describe,
    ),
    translationPatterns: diffSection(
      changes,
      'translation pattern',
      current.translationPatterns,
      desired.translationPatterns,
      patternName,
      describe,
    ),
  };
}

function currentCallingSearchSpaces(current: ConfigRows): CallingSearchSpaceConfig[] {
  const members = groupBy(current.callingSearchSpaceMembers, (m) => m.callingSearchSpace);
  return current.callingSearchSpaces.map((css) => ({
    ...css,
    partitions: (members.get(css.name) ?? []).map((m) => m.partition),
  }));
}

function currentPhones(current: ConfigRows): ResolvedPhone[] {
  const appearances = groupBy(current.lineAppearances, (a) => a.device);
  return current.devices.map((device) => ({
    ...device,
    lines: (appearances.get(device.name) ?? []).map(({ device: _device, ...appearance }) => appearance),
  }));
}

/** A line named by DN alone is the DN's only line (file lines when present, else the store's). */
function resolvePhones(
  phones: readonly PhoneConfig[],
  lines: readonly LineRow[],
  errors: string[],
): ResolvedPhone[] {
  const partitionsByDn = groupBy(lines, (l) => l.dn);
  return phones.map((phone) => ({
    ...phone,
    lines: phone.lines
      .map((appearance) => {
        if (appearance.partition !== null) return { ...appearance, partition: appearance.partition };
        const candidates = partitionsByDn.get(appearance.dn) ?? [];
        if (candidates.length !== 1) {
          errors.push(
            candidates.length === 0
              ? `phone ${phone.name}: line ${appearance.dn} is not defined`
              : `phone ${phone.name}: line ${appearance.dn} is in several partitions: name one`,
          );
        }
        return { ...appearance, partition: candidates[0]?.partition ?? '' };
      })
      .sort((a, b) => a.button - b.button),
  }));
}

/**
 * Diffs one section and appends its changes (`-`, then `~`, then `+`). A section absent from the
 * file (`desired` undefined) is not authoritative: nothing changes.
 */
function diffSection<T extends object>(
  changes: ConfigChange[],
  kind: ObjectKind,
  current: readonly T[],
  desired: readonly T[] | undefined,
  nameOf: (object: T) => string,
  labelOf: (object: T) => string = () => '',
): SectionDiff<T> {
  const diff: SectionDiff<T> = { added: [], modified: [], removed: [] };
  if (!desired) return diff;
  const wanted = new Map(desired.map((object) => [nameOf(object), object]));
  const existing = new Map(current.map((object) => [nameOf(object), object]));
  for (const [name, object] of existing) {
    if (!wanted.has(name)) {
      diff.removed.push(object);
      changes.push({ action: '-', kind, name });
    }
  }
  for (const [name, object] of wanted) {
    const before = existing.get(name);
    if (!before) continue;
    const fields = changedFields(before, object);
    if (fields.length > 0) {
      diff.modified.push({ object, fields });
      changes.push({ action: '~', kind, name, fields });
    }
  }
  for (const [name, object] of wanted) {
    if (existing.has(name)) continue;
    diff.added.push(object);
    const label = labelOf(object);
    changes.push(label ? { action: '+', kind, name, label } : { action: '+', kind, name });
  }
  return diff;
}

/** Keys of `after` whose values differ from `before`, spelled as in the file. */
function changedFields(before: object, after: object): string[] {
  const old = before as Record<string, unknown>;
  return Object.entries(after)
    .filter(([key, value]) => !sameValue(old[key], value))
    .map(([key]) => fileKeys[key] ?? key);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) =>
      sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    );
  }
  return false;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(keyOf(item));
    if (group) group.push(item);
    else groups.set(keyOf(item), [item]);
  }
  return groups;
}
