import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';

/**
 * Server settings of the embedded PostgreSQL, sized for a node's memory rather than for a
 * database server's.
 *
 * PostgreSQL runs in WebAssembly memory, which never shrinks: every page it touches stays
 * resident for the life of the process. Its shared memory is zero-filled at start, so the
 * whole buffer pool is resident from the first second; at the stock 128 MB it was most of an
 * idle node's memory. The store holds the configuration and the registration bindings (a few
 * MB for 10,000 lines), and a page that falls out of the pool is read back from the operating
 * system's page cache. The engine is one backend in single-user mode, so the per-connection
 * shared structures (PGPROC array, lock table) need two slots, not a hundred; none is kept
 * back for superusers.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '8MB',
  max_connections: '2',
  superuser_reserved_connections: '0',
};

/**
 * PGlite's own start parameters, then ours as `-c name=value`: the command line wins over
 * the postgresql.conf that initdb wrote into the data directory, so existing stores get the
 * same settings as new ones.
 */
export const EMBEDDED_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

let tieringLimited = false;

/**
 * Keeps V8 from recompiling PostgreSQL's hot WebAssembly functions with its optimising
 * compiler. Each optimised function costs native memory that is never returned (about 55 MB
 * once the start-up queries have run, several hundred MB after a few minutes of writes),
 * while the baseline code already runs the store's small queries at the same CPU cost per
 * row. The flag is read when a module is compiled, so it is set before the first one; only
 * the embedded store compiles WebAssembly in this process.
 */
function limitWasmTiering(): void {
  if (tieringLimited) return;
  tieringLimited = true;
  setFlagsFromString('--liftoff-only');
}

/** Starts the embedded PostgreSQL on `directory`, creating the database on first use. */
export function createEmbeddedClient(directory: string): Promise<PGlite> {
  limitWasmTiering();
  return PGlite.create(directory, { startParams: [...EMBEDDED_START_PARAMS] });
}
