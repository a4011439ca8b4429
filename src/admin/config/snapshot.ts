/**
 * The configuration as the hot paths read it: one immutable, versioned object with maps by
 * name, by DN and partition, and by SIP user name, built from the store in one consistent read.
 * A new configuration is a new snapshot; readers keep the one they started with.
 */
import type { ConfigRows, DeviceRow, Store } from '../../store/index.js';
import {
  type Configuration,
  completeLine,
  DEFAULT_REGISTRAR,
  type DevicePoolConfig,
  type DialPeerConfig,
  type LineConfig,
  type PartitionConfig,
  type PilotConfig,
  type RegistrarSettings,
  type RoutePatternConfig,
  rowOfTrunk,
  type TranslationPatternConfig,
  type TranslationProfileConfig,
  type TranslationRuleSetConfig,
  type TrunkConfig,
  trunkOfRow,
  type UserConfig,
} from './configuration.js';

export interface LineSnapshot extends Readonly<LineConfig> {
  /** Names of the phones that show this line, in name order. */
  readonly appearsOn: readonly string[];
}

export interface LineAppearanceSnapshot {
  readonly button: number;
  readonly label: string | null;
  readonly line: LineSnapshot;
}

export interface PhoneSnapshot extends Readonly<DeviceRow> {
  /** Ordered by button. */
  readonly lines: readonly LineAppearanceSnapshot[];
}

export interface CallingSearchSpaceSnapshot {
  readonly name: string;
  readonly description: string;
  /** Searched in this order. */
  readonly partitions: readonly string[];
}

export interface ConfigSnapshot {
  /** The configuration version in the store (0 before the first apply). */
  readonly version: number;
  readonly registrar: RegistrarSettings;
  readonly partitions: ReadonlyMap<string, PartitionConfig>;
  readonly callingSearchSpaces: ReadonlyMap<string, CallingSearchSpaceSnapshot>;
  readonly devicePools: ReadonlyMap<string, Readonly<DevicePoolConfig>>;
  readonly users: ReadonlyMap<string, UserConfig>;
  /** Partition → DN → line. */
  readonly lines: ReadonlyMap<string, ReadonlyMap<string, LineSnapshot>>;
  /** DN → its lines in every partition. */
  readonly linesByDn: ReadonlyMap<string, readonly LineSnapshot[]>;
  readonly phones: ReadonlyMap<string, PhoneSnapshot>;
  readonly phonesBySipUsername: ReadonlyMap<string, PhoneSnapshot>;
  /** `voice translation-rule` sets by id, rules in precedence order. */
  readonly translationRules: ReadonlyMap<number, TranslationRuleSetConfig>;
  readonly translationProfiles: ReadonlyMap<string, TranslationProfileConfig>;
  readonly trunks: ReadonlyMap<string, TrunkConfig>;
  readonly pilots: ReadonlyMap<string, PilotConfig>;
  /** By tag, in tag order. */
  readonly dialPeers: ReadonlyMap<number, DialPeerConfig>;
  /** Ordered by partition (none first), then pattern. */
  readonly routePatterns: readonly RoutePatternConfig[];
  readonly translationPatterns: readonly TranslationPatternConfig[];
}

export async function loadSnapshot(store: Store): Promise<ConfigSnapshot> {
  const rows = await store.withTransaction((tx) => tx.configuration.readAll(), { readOnly: true });
  return buildSnapshot(rows);
}

export function buildSnapshot(rows: ConfigRows): ConfigSnapshot {
  const appearsOn = new Map<string, string[]>();
  for (const appearance of rows.lineAppearances) {
    append(appearsOn, lineKey(appearance.partition, appearance.dn), appearance.device);
  }

  const lines = new Map<string, Map<string, LineSnapshot>>();
  const linesByDn = new Map<string, LineSnapshot[]>();
  for (const row of rows.lines) {
    const line: LineSnapshot = freeze({
      ...completeLine(row),
      appearsOn: freeze(appearsOn.get(lineKey(row.partition, row.dn)) ?? []),
    });
    const byDn = lines.get(row.partition) ?? new Map<string, LineSnapshot>();
    lines.set(row.partition, byDn.set(row.dn, line));
    append(linesByDn, row.dn, line);
  }

  const appearancesByDevice = new Map<string, LineAppearanceSnapshot[]>();
  for (const { device, button, label, partition, dn } of rows.lineAppearances) {
    const line = lines.get(partition)?.get(dn);
    // The store's foreign key guarantees the line; a torn read would be a store bug.
    if (!line) throw new Error(`line appearance ${device}/${button} names missing line ${partition}/${dn}`);
    append(appearancesByDevice, device, freeze({ button, label, line }));
  }

  const phones = new Map<string, PhoneSnapshot>();
  const phonesBySipUsername = new Map<string, PhoneSnapshot>();
  for (const device of rows.devices) {
    const phone: PhoneSnapshot = freeze({
      ...device,
      lines: freeze(appearancesByDevice.get(device.name) ?? []),
    });
    phones.set(device.name, phone);
    if (device.sipUsername !== null) phonesBySipUsername.set(device.sipUsername, phone);
  }

  const members = new Map<string, string[]>();
  for (const member of rows.callingSearchSpaceMembers) {
    append(members, member.callingSearchSpace, member.partition);
  }

  const dialPlan = rows.dialPlan;
  const rules = new Map<number, TranslationRuleSetConfig['rules'][number][]>();
  for (const { ruleSet, ...rule } of dialPlan?.translationRules ?? []) {
    const list = rules.get(ruleSet);
    if (list) list.push(freeze(rule));
    else rules.set(ruleSet, [freeze(rule)]);
  }

  return freeze({
    version: rows.meta?.version ?? 0,
    registrar: freeze({ ...(rows.registrar ?? DEFAULT_REGISTRAR) }),
    partitions: byName(rows.partitions, (p) => p.name),
    callingSearchSpaces: byName(
      rows.callingSearchSpaces.map((css) => ({ ...css, partitions: freeze(members.get(css.name) ?? []) })),
      (css) => css.name,
    ),
    devicePools: byName(
      rows.devicePools.map((pool) => ({ ...pool, callManagerGroup: freeze(pool.callManagerGroup) })),
      (pool) => pool.name,
    ),
    users: byName(
      rows.users.map(({ userid, name }) => ({ userid, name })),
      (user) => user.userid,
    ),
    lines: freezeMap(new Map([...lines].map(([partition, byDn]) => [partition, freezeMap(byDn)]))),
    linesByDn: freezeMap(new Map([...linesByDn].map(([dn, list]) => [dn, freeze(list)]))),
    phones: freezeMap(phones),
    phonesBySipUsername: freezeMap(phonesBySipUsername),
    translationRules: freezeMap(
      new Map(
        (dialPlan?.translationRuleSets ?? []).map(({ id }) => [
          id,
          freeze({ id, rules: freeze(rules.get(id) ?? []) }),
        ]),
      ),
    ),
    translationProfiles: byName(dialPlan?.translationProfiles ?? [], (profile) => profile.name),
    trunks: byName((dialPlan?.trunks ?? []).map(trunkOfRow).map(deepFreeze), (trunk) => trunk.name),
    pilots: byName(dialPlan?.pilots ?? [], (pilot) => pilot.name),
    dialPeers: freezeMap(
      new Map(
        (dialPlan?.dialPeers ?? []).map((peer) => [
          peer.tag,
          freeze({ ...peer, codecs: freeze(peer.codecs), dtmfRelay: freeze(peer.dtmfRelay) }),
        ]),
      ),
    ),
    routePatterns: freeze((dialPlan?.routePatterns ?? []).map(freezePattern)),
    translationPatterns: freeze((dialPlan?.translationPatterns ?? []).map(freezePattern)),
  });
}

/** Trunk settings are a nested document: frozen all the way down. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function freezePattern<T extends { called: object | null; calling: object | null }>(pattern: T): T {
  return freeze({
    ...pattern,
    called: pattern.called && freeze(pattern.called),
    calling: pattern.calling && freeze(pattern.calling),
  });
}

/**
 * The snapshot a validated file describes, without a store: sections the file leaves out are
 * empty. For analysing a file before it is applied (`strowger dna --config`).
 */
export function snapshotOfConfiguration(configuration: Configuration): ConfigSnapshot {
  const lines = configuration.lines ?? [];
  const partitionsByDn = new Map<string, string[]>();
  for (const line of lines) append(partitionsByDn, line.dn, line.partition);
  const ruleSets = configuration.translationRules ?? [];
  const phones = configuration.phones ?? [];
  const devices = phones.map(({ lines: _lines, ...device }) => device);
  const lineAppearances = phones.flatMap((phone) =>
    phone.lines.flatMap((appearance) => {
      // a DN named alone is its only line; an unknown line is shown on no button
      const partition = appearance.partition ?? partitionsByDn.get(appearance.dn)?.[0];
      const known = partition !== undefined && partitionsByDn.get(appearance.dn)?.includes(partition);
      return known ? [{ ...appearance, partition, device: phone.name }] : [];
    }),
  );
  return buildSnapshot({
    registrar: configuration.registrar ?? null,
    meta: null,
    partitions: [...(configuration.partitions ?? [])],
    callingSearchSpaces: (configuration.callingSearchSpaces ?? []).map(({ name, description }) => ({
      name,
      description,
    })),
    callingSearchSpaceMembers: (configuration.callingSearchSpaces ?? []).flatMap((css) =>
      css.partitions.map((partition, position) => ({ callingSearchSpace: css.name, position, partition })),
    ),
    devicePools: [...(configuration.devicePools ?? [])],
    users: (configuration.users ?? []).map((user) => ({ ...user, pinHash: null, passwordHash: null })),
    lines: [...lines],
    devices,
    lineAppearances,
    dialPlan: {
      translationRuleSets: ruleSets.map(({ id }) => ({ id })),
      translationRules: ruleSets.flatMap(({ id, rules }) => rules.map((rule) => ({ ...rule, ruleSet: id }))),
      translationProfiles: [...(configuration.translationProfiles ?? [])],
      trunks: (configuration.trunks ?? []).map(rowOfTrunk),
      pilots: [...(configuration.pilots ?? [])],
      dialPeers: [...(configuration.dialPeers ?? [])].sort((a, b) => a.tag - b.tag),
      routePatterns: [...(configuration.routePatterns ?? [])],
      translationPatterns: [...(configuration.translationPatterns ?? [])],
    },
  });
}

function append<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function lineKey(partition: string, dn: string): string {
  return `${partition}\u0000${dn}`;
}

function byName<T extends object>(items: readonly T[], nameOf: (item: T) => string): ReadonlyMap<string, T> {
  return freezeMap(new Map(items.map((item) => [nameOf(item), freeze(item)])));
}

function freeze<T>(value: T): T {
  return Object.freeze(value);
}

/** A Map whose mutators throw, so that a snapshot cannot be changed behind its readers' backs. */
function freezeMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = () => {
    throw new TypeError('configuration snapshots are immutable');
  };
  return Object.freeze(Object.assign(map, { set: refuse, delete: refuse, clear: refuse }));
}
