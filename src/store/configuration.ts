import { and, asc, eq, getTableColumns, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './database.js';
import {
  callingSearchSpaceMembers,
  callingSearchSpaces,
  configMeta,
  devicePools,
  devices,
  dialPeers,
  lineAppearances,
  lines,
  partitions,
  pilots,
  registrarSettings,
  routePatterns,
  translationPatterns,
  translationProfiles,
  translationRuleSets,
  translationRules,
  trunks,
  users,
} from './schema.js';

export type PartitionRow = typeof partitions.$inferSelect;
export type CallingSearchSpaceRow = typeof callingSearchSpaces.$inferSelect;
export type CallingSearchSpaceMemberRow = typeof callingSearchSpaceMembers.$inferSelect;
export type DevicePoolRow = typeof devicePools.$inferSelect;
export type UserRow = typeof users.$inferSelect;
/** Columns added after the first release are optional here, so that rows written by hand
 * before them still type-check; the store always returns them. */
type LineColumnsSince0001 = 'secondaryNumber' | 'noRegistration' | 'dualLine' | 'mwiControl';
export type LineRow = Omit<typeof lines.$inferSelect, LineColumnsSince0001> &
  Partial<Pick<typeof lines.$inferSelect, LineColumnsSince0001>>;
export type DeviceRow = typeof devices.$inferSelect;
export type LineAppearanceRow = typeof lineAppearances.$inferSelect;
export type RegistrarSettingsRow = Omit<typeof registrarSettings.$inferSelect, 'id'>;
export type ConfigMetaRow = Omit<typeof configMeta.$inferSelect, 'id'>;
export type TranslationRuleSetRow = typeof translationRuleSets.$inferSelect;
export type TranslationRuleRow = typeof translationRules.$inferSelect;
export type TranslationProfileRow = typeof translationProfiles.$inferSelect;
export type TrunkRow = typeof trunks.$inferSelect;
export type PilotRow = typeof pilots.$inferSelect;
export type DialPeerRow = typeof dialPeers.$inferSelect;
export type RoutePatternRow = typeof routePatterns.$inferSelect;
export type TranslationPatternRow = typeof translationPatterns.$inferSelect;

const CONFIGURATION_LOCK = 0x53545243; // "STRC"

/** Configuration objects that have a natural key and are written one by one. */
const entityTables = {
  partition: { table: partitions, key: ['name'] },
  callingSearchSpace: { table: callingSearchSpaces, key: ['name'] },
  devicePool: { table: devicePools, key: ['name'] },
  user: { table: users, key: ['userid'] },
  line: { table: lines, key: ['partition', 'dn'] },
  device: { table: devices, key: ['name'] },
  translationRuleSet: { table: translationRuleSets, key: ['id'] },
  translationProfile: { table: translationProfiles, key: ['name'] },
  trunk: { table: trunks, key: ['name'] },
  pilot: { table: pilots, key: ['name'] },
  dialPeer: { table: dialPeers, key: ['tag'] },
  routePattern: { table: routePatterns, key: ['partition', 'pattern'] },
  translationPattern: { table: translationPatterns, key: ['partition', 'pattern'] },
} as const satisfies Record<string, { table: PgTable; key: readonly string[] }>;

export type EntityKind = keyof typeof entityTables;

export interface EntityRows {
  partition: PartitionRow;
  callingSearchSpace: CallingSearchSpaceRow;
  devicePool: DevicePoolRow;
  user: UserRow;
  line: LineRow;
  device: DeviceRow;
  translationRuleSet: TranslationRuleSetRow;
  translationProfile: TranslationProfileRow;
  trunk: TrunkRow;
  pilot: PilotRow;
  dialPeer: DialPeerRow;
  routePattern: RoutePatternRow;
  translationPattern: TranslationPatternRow;
}

/** The key columns of an object, e.g. `{ partition, dn }` for a line. */
export type EntityKey<K extends EntityKind> = Pick<EntityRows[K], EntityKeyColumns[K] & keyof EntityRows[K]>;

interface EntityKeyColumns {
  partition: 'name';
  callingSearchSpace: 'name';
  devicePool: 'name';
  user: 'userid';
  line: 'partition' | 'dn';
  device: 'name';
  translationRuleSet: 'id';
  translationProfile: 'name';
  trunk: 'name';
  pilot: 'name';
  dialPeer: 'tag';
  routePattern: 'partition' | 'pattern';
  translationPattern: 'partition' | 'pattern';
}

/** The dial plan and trunks, as rows. */
export interface DialPlanRows {
  readonly translationRuleSets: TranslationRuleSetRow[];
  /** Ordered by rule set, then precedence. */
  readonly translationRules: TranslationRuleRow[];
  readonly translationProfiles: TranslationProfileRow[];
  readonly trunks: TrunkRow[];
  readonly pilots: PilotRow[];
  /** Ordered by tag. */
  readonly dialPeers: DialPeerRow[];
  /** Ordered by partition (none first), then pattern. */
  readonly routePatterns: RoutePatternRow[];
  readonly translationPatterns: TranslationPatternRow[];
}

/** Everything configuration holds, as rows, read in one go (configuration is small). */
export interface ConfigRows {
  readonly registrar: RegistrarSettingsRow | null;
  readonly meta: ConfigMetaRow | null;
  readonly partitions: PartitionRow[];
  readonly callingSearchSpaces: CallingSearchSpaceRow[];
  /** Ordered by CSS, then position. */
  readonly callingSearchSpaceMembers: CallingSearchSpaceMemberRow[];
  readonly devicePools: DevicePoolRow[];
  readonly users: UserRow[];
  readonly lines: LineRow[];
  readonly devices: DeviceRow[];
  /** Ordered by device, then button. */
  readonly lineAppearances: LineAppearanceRow[];
  /** Always read from the store; optional so that hand-built rows may leave it out (none). */
  readonly dialPlan?: DialPlanRows;
}

/**
 * Reads and writes configuration tables. Only `src/admin` writes through it, inside a
 * transaction, so that a configuration change is all or nothing.
 */
export class ConfigurationRepository {
  constructor(private readonly db: Executor) {}

  /** Version and hash of the applied configuration, cheap enough to poll. */
  async readMeta(): Promise<ConfigMetaRow | null> {
    const [meta] = await this.db.select().from(configMeta);
    return meta ? withoutId(meta) : null;
  }

  async readAll(): Promise<ConfigRows> {
    const db = this.db;
    const [registrar] = await db.select().from(registrarSettings);
    const [meta] = await db.select().from(configMeta);
    return {
      registrar: registrar ? withoutId(registrar) : null,
      meta: meta ? withoutId(meta) : null,
      partitions: await db.select().from(partitions).orderBy(asc(partitions.name)),
      callingSearchSpaces: await db.select().from(callingSearchSpaces).orderBy(asc(callingSearchSpaces.name)),
      callingSearchSpaceMembers: await db
        .select()
        .from(callingSearchSpaceMembers)
        .orderBy(asc(callingSearchSpaceMembers.callingSearchSpace), asc(callingSearchSpaceMembers.position)),
      devicePools: await db.select().from(devicePools).orderBy(asc(devicePools.name)),
      users: await db.select().from(users).orderBy(asc(users.userid)),
      lines: await db.select().from(lines).orderBy(asc(lines.partition), asc(lines.dn)),
      devices: await db.select().from(devices).orderBy(asc(devices.name)),
      lineAppearances: await db
        .select()
        .from(lineAppearances)
        .orderBy(asc(lineAppearances.device), asc(lineAppearances.button)),
      dialPlan: await this.readDialPlan(),
    };
  }

  private async readDialPlan(): Promise<DialPlanRows> {
    const db = this.db;
    const nullsFirst = (column: PgColumn) => sql`${column} asc nulls first`;
    return {
      translationRuleSets: await db.select().from(translationRuleSets).orderBy(asc(translationRuleSets.id)),
      translationRules: await db
        .select()
        .from(translationRules)
        .orderBy(asc(translationRules.ruleSet), asc(translationRules.precedence)),
      translationProfiles: await db.select().from(translationProfiles).orderBy(asc(translationProfiles.name)),
      trunks: await db.select().from(trunks).orderBy(asc(trunks.name)),
      pilots: await db.select().from(pilots).orderBy(asc(pilots.name)),
      dialPeers: await db.select().from(dialPeers).orderBy(asc(dialPeers.tag)),
      routePatterns: await db
        .select()
        .from(routePatterns)
        .orderBy(nullsFirst(routePatterns.partition), asc(routePatterns.pattern)),
      translationPatterns: await db
        .select()
        .from(translationPatterns)
        .orderBy(nullsFirst(translationPatterns.partition), asc(translationPatterns.pattern)),
    };
  }

  /**
   * Serialises configuration changes between nodes sharing one PostgreSQL: held until the
   * surrounding transaction ends.
   */
  async lockForChange(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${CONFIGURATION_LOCK})`);
  }

  async insert<K extends EntityKind>(kind: K, rows: readonly EntityRows[K][]): Promise<void> {
    await this.insertRows(entityTables[kind].table, rows);
  }

  /** Updates the given columns of the object whose key columns equal those of `key`. */
  async update<K extends EntityKind>(
    kind: K,
    key: EntityKey<K>,
    changes: Partial<EntityRows[K]>,
  ): Promise<void> {
    await this.db
      .update(entityTables[kind].table)
      .set(changes as never)
      .where(keyMatch(kind, key));
  }

  async delete<K extends EntityKind>(kind: K, key: EntityKey<K>): Promise<void> {
    await this.db.delete(entityTables[kind].table).where(keyMatch(kind, key));
  }

  /** Replaces the ordered partitions of each given CSS. */
  async replaceCallingSearchSpaceMembers(
    entries: readonly { readonly name: string; readonly partitions: readonly string[] }[],
  ): Promise<void> {
    for (const names of chunks(entries.map((entry) => entry.name))) {
      await this.db
        .delete(callingSearchSpaceMembers)
        .where(inArray(callingSearchSpaceMembers.callingSearchSpace, names));
    }
    await this.insertRows(
      callingSearchSpaceMembers,
      entries.flatMap(({ name, partitions }) =>
        partitions.map((partition, position) => ({ callingSearchSpace: name, position, partition })),
      ),
    );
  }

  /** Replaces the line appearances (buttons) of each given device. */
  async replaceLineAppearances(
    entries: readonly {
      readonly name: string;
      readonly lines: readonly Omit<LineAppearanceRow, 'device'>[];
    }[],
  ): Promise<void> {
    for (const names of chunks(entries.map((entry) => entry.name))) {
      await this.db.delete(lineAppearances).where(inArray(lineAppearances.device, names));
    }
    await this.insertRows(
      lineAppearances,
      entries.flatMap(({ name, lines }) => lines.map((line) => ({ ...line, device: name }))),
    );
  }

  /** Replaces the rules of each given `voice translation-rule` set. */
  async replaceTranslationRules(
    entries: readonly {
      readonly id: number;
      readonly rules: readonly Omit<TranslationRuleRow, 'ruleSet'>[];
    }[],
  ): Promise<void> {
    for (const ids of chunks(entries.map((entry) => entry.id))) {
      await this.db.delete(translationRules).where(inArray(translationRules.ruleSet, ids));
    }
    await this.insertRows(
      translationRules,
      entries.flatMap(({ id, rules }) => rules.map((rule) => ({ ...rule, ruleSet: id }))),
    );
  }

  private async insertRows(table: PgTable, rows: readonly object[]): Promise<void> {
    for (const batch of chunks(rows)) await this.db.insert(table).values(batch as never);
  }

  async setRegistrar(settings: RegistrarSettingsRow): Promise<void> {
    await this.db
      .insert(registrarSettings)
      .values({ id: 1, ...settings })
      .onConflictDoUpdate({ target: registrarSettings.id, set: settings });
  }

  async setMeta(meta: ConfigMetaRow): Promise<void> {
    await this.db
      .insert(configMeta)
      .values({ id: 1, ...meta })
      .onConflictDoUpdate({ target: configMeta.id, set: meta });
  }
}

/** Rows per INSERT: well below PostgreSQL's 65535 bind parameters for the widest table. */
const BATCH = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH) result.push(items.slice(start, start + BATCH));
  return result;
}

function keyMatch(kind: EntityKind, key: object): SQL | undefined {
  const { table, key: properties } = entityTables[kind];
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const values = key as Record<string, unknown>;
  // a null key column (a pattern in the <None> partition) matches only null
  return and(
    ...properties.map((property) =>
      values[property] === null ? isNull(columns[property]!) : eq(columns[property]!, values[property]),
    ),
  );
}

function withoutId<T extends { id: number }>(row: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = row;
  return rest;
}
