/** A PostgreSQL error as both drivers report it (SQLSTATE `code`, constraint name, `detail`). */
interface DatabaseError {
  code: string;
  constraint?: string;
  detail?: string;
}

/** Foreign keys of the schema: which object refers to which. */
const references: Record<string, { from: string; to: string }> = {
  lines_partition_fk: { from: 'line', to: 'partition' },
  calling_search_space_members_partition_fk: { from: 'calling search space', to: 'partition' },
  devices_device_pool_fk: { from: 'phone', to: 'device pool' },
  devices_calling_search_space_fk: { from: 'phone', to: 'calling search space' },
  devices_owner_fk: { from: 'phone', to: 'user' },
  line_appearances_line_fk: { from: 'phone', to: 'line' },
};

const uniques: Record<string, string> = {
  devices_sip_username_unique: 'SIP username is already used by another phone',
  line_appearances_line_once: 'a phone shows the same line twice',
  calling_search_space_members_partition_once: 'a calling search space lists the same partition twice',
};

const FOREIGN_KEY_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';

/**
 * Explains a constraint violation of the schema in configuration terms (`device pool ghost is
 * not defined`, `partition old is still used by a line`); undefined for any other error.
 */
export function describeStoreError(error: unknown): string | undefined {
  const database = findDatabaseError(error);
  if (!database?.constraint) return undefined;
  const values = /\)=\((.*)\) /.exec(database.detail ?? '')?.[1] ?? '';
  if (database.code === FOREIGN_KEY_VIOLATION) {
    const reference = references[database.constraint];
    if (!reference) return undefined;
    return database.detail?.includes('still referenced')
      ? `${reference.to} ${values} is still used by a ${reference.from}`
      : `${reference.from} refers to ${reference.to} ${values}, which is not defined`;
  }
  if (database.code === UNIQUE_VIOLATION) {
    const message = uniques[database.constraint];
    return message && `${message} (${values})`;
  }
  return undefined;
}

/** Drivers and drizzle wrap errors; the database's own error is somewhere in the `cause` chain. */
function findDatabaseError(error: unknown): DatabaseError | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as Partial<DatabaseError> & { cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return candidate as DatabaseError;
    }
    current = candidate.cause;
  }
  return undefined;
}
