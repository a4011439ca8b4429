import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * What repositories run their queries on: the store's database or a transaction inside it.
 * Both the PGlite and the node-postgres drivers satisfy it, so repositories are written once.
 */
export type Executor = PgDatabase<PgQueryResultHKT>;
