import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { CallRecordRepository } from './call-records.js';
import { ConfigurationRepository } from './configuration.js';
import type { Executor } from './database.js';
import { createEmbeddedClient } from './embedded-client.js';
import { RegistrationRepository } from './registrations.js';

/** Where the store lives: the embedded database in a data directory, or a PostgreSQL server. */
export type StoreLocation = { readonly dataDir: string } | { readonly url: string };

/** The repositories, bound to the store or to one transaction. */
export interface Repositories {
  readonly configuration: ConfigurationRepository;
  readonly registrations: RegistrationRepository;
  readonly callRecords: CallRecordRepository;
}

export interface Store extends Repositories {
  /** `embedded` (PGlite in `<dataDir>/db`) or `postgres`. */
  readonly kind: 'embedded' | 'postgres';
  /**
   * Runs `fn` in one database transaction: committed when it resolves, rolled back when it
   * rejects. `readOnly` gives every read one consistent view (repeatable read).
   */
  withTransaction<T>(
    fn: (tx: Repositories) => Promise<T>,
    options?: { readonly readOnly?: boolean },
  ): Promise<T>;
  close(): Promise<void>;
}

/** The generated SQL migrations, at the package root both from `src/store` and `dist/store`. */
const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Opens the store and brings its schema up to date. Rejects with the driver's error when the
 * database cannot be opened or migrated.
 */
export async function openStore(location: StoreLocation): Promise<Store> {
  return 'url' in location ? openPostgres(location.url) : openEmbedded(location.dataDir);
}

async function openEmbedded(dataDir: string): Promise<Store> {
  const directory = join(dataDir, 'db');
  await mkdir(directory, { recursive: true });
  const client = await createEmbeddedClient(directory);
  try {
    const db = drizzlePglite({ client });
    await migratePglite(db, { migrationsFolder });
    return createStore('embedded', db as unknown as Executor, () => client.close());
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** Serialises migrations when several nodes of a cluster start at once. */
const MIGRATION_LOCK = 0x5354524f; // "STRO"

async function openPostgres(url: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its connection must not crash the process; the next query fails on
  // its own, so the event is only reported.
  pool.on('error', (error) => process.emitWarning(error, 'StoreWarning'));
  try {
    const client = await pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migratePostgres(drizzlePostgres({ client }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
    return createStore('postgres', drizzlePostgres({ client: pool }) as unknown as Executor, () =>
      pool.end(),
    );
  } catch (error) {
    await pool.end();
    throw error;
  }
}

function repositories(db: Executor): Repositories {
  return {
    configuration: new ConfigurationRepository(db),
    registrations: new RegistrationRepository(db),
    callRecords: new CallRecordRepository(db),
  };
}

function createStore(kind: Store['kind'], db: Executor, closeClient: () => Promise<void>): Store {
  let closed: Promise<void> | undefined;
  return {
    kind,
    ...repositories(db),
    withTransaction: (fn, options) =>
      db.transaction(
        (tx) => fn(repositories(tx as unknown as Executor)),
        options?.readOnly ? { isolationLevel: 'repeatable read', accessMode: 'read only' } : undefined,
      ),
    close: () => {
      closed ??= closeClient();
      return closed;
    },
  };
}
