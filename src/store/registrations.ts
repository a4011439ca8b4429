import { and, asc, eq, getTableColumns, lte, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { registrations } from './schema.js';

/** A registration binding (RFC 3261 §10.3) persisted so that a restart keeps it. */
export interface RegistrationBinding {
  readonly aor: string;
  readonly contactUri: string;
  /** Configured device the binding belongs to, when the registrar matched one. */
  readonly device: string | null;
  /** Directory number the AOR stands for, when it is a line. */
  readonly line: string | null;
  /** Path header values (RFC 3327 §5.3), in the order the registrar received them. */
  readonly path: readonly string[];
  readonly expiresAt: Date;
  /** `+sip.instance` (RFC 5626 §4.1). */
  readonly instanceId: string | null;
  readonly callId: string;
  readonly cseq: number;
  readonly userAgent: string | null;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly transport: string;
}

/** What identifies one stored binding. */
type RegistrationKey = Pick<RegistrationBinding, 'aor' | 'contactUri'>;

/** Field of `RegistrationBinding` → its column, for rows passed to the database as JSON. */
const COLUMNS: readonly (readonly [keyof RegistrationBinding, string])[] = Object.entries(
  getTableColumns(registrations),
).map(([field, column]) => [field as keyof RegistrationBinding, column.name]);

/**
 * Many rows go to the database as one JSON parameter that it turns back into rows
 * (`json_populate_recordset` reads JSON arrays into array columns and ISO strings into
 * timestamps): one parameter whatever the batch size, far cheaper for the driver and the server
 * than a bind parameter per value. On conflict every column but the key takes the new row's
 * value (`excluded`).
 */
const UPSERT_HEAD = sql.raw(
  'insert into registrations select * from json_populate_recordset(null::registrations, ',
);
const UPSERT_TAIL = sql.raw(
  `::json) on conflict (aor, contact_uri) do update set ${COLUMNS.filter(
    ([field]) => field !== 'aor' && field !== 'contactUri',
  )
    .map(([, column]) => `${column} = excluded.${column}`)
    .join(', ')}`,
);
const DELETE_HEAD = sql.raw(
  'delete from registrations where (aor, contact_uri) in (select aor, contact_uri from json_to_recordset(',
);
const DELETE_TAIL = sql.raw('::json) as doomed(aor text, contact_uri text))');

function toJsonRow(binding: RegistrationBinding): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of COLUMNS) row[column] = binding[field];
  return row;
}

export class RegistrationRepository {
  constructor(private readonly db: Executor) {}

  /** Inserts the binding or replaces the one with the same AOR and contact URI. */
  async upsert(binding: RegistrationBinding): Promise<void> {
    const row = { ...binding, path: [...binding.path] };
    await this.db
      .insert(registrations)
      .values(row)
      .onConflictDoUpdate({ target: [registrations.aor, registrations.contactUri], set: row });
  }

  /** Removes one binding; true when it existed. */
  async delete(aor: string, contactUri: string): Promise<boolean> {
    const removed = await this.db
      .delete(registrations)
      .where(and(eq(registrations.aor, aor), eq(registrations.contactUri, contactUri)))
      .returning({ aor: registrations.aor });
    return removed.length > 0;
  }

  /**
   * Writes many binding changes at once: one multi-row upsert and one multi-row delete, inside
   * a transaction when there are both (a savepoint when already in one). The keys must be
   * distinct across both lists: PostgreSQL refuses an upsert that touches one row twice.
   */
  async applyBatch(
    upserts: readonly RegistrationBinding[],
    deletes: readonly RegistrationKey[],
  ): Promise<void> {
    if (deletes.length === 0) return this.upsertMany(upserts);
    if (upserts.length === 0) return this.deleteMany(deletes);
    await this.db.transaction(async (tx) => {
      const inTransaction = new RegistrationRepository(tx);
      await inTransaction.deleteMany(deletes);
      await inTransaction.upsertMany(upserts);
    });
  }

  /** Removes every binding of an AOR (REGISTER with `Contact: *`, RFC 3261 §10.2.2); returns how many. */
  async deleteAor(aor: string): Promise<number> {
    const removed = await this.db
      .delete(registrations)
      .where(eq(registrations.aor, aor))
      .returning({ aor: registrations.aor });
    return removed.length;
  }

  /** Bindings of one AOR, or all bindings, ordered by AOR then contact. */
  async list(aor?: string): Promise<RegistrationBinding[]> {
    return this.db
      .select()
      .from(registrations)
      .where(aor === undefined ? undefined : eq(registrations.aor, aor))
      .orderBy(asc(registrations.aor), asc(registrations.contactUri));
  }

  /** Removes and returns the bindings whose expiry is at or before `now`. */
  async expire(now: Date): Promise<RegistrationBinding[]> {
    return this.db.delete(registrations).where(lte(registrations.expiresAt, now)).returning();
  }

  /**
   * Reclaims the space of rows that updates and deletes left dead. The embedded store has no
   * autovacuum, so its owner calls this now and then; on PostgreSQL it is harmless. Not inside a
   * transaction (PostgreSQL refuses VACUUM there).
   */
  async vacuum(): Promise<void> {
    await this.db.execute(sql`vacuum registrations`);
  }

  private async upsertMany(bindings: readonly RegistrationBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    const rows = JSON.stringify(bindings.map(toJsonRow));
    await this.db.execute(sql`${UPSERT_HEAD}${rows}${UPSERT_TAIL}`);
  }

  private async deleteMany(keys: readonly RegistrationKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = JSON.stringify(keys.map((key) => ({ aor: key.aor, contact_uri: key.contactUri })));
    await this.db.execute(sql`${DELETE_HEAD}${rows}${DELETE_TAIL}`);
  }
}
