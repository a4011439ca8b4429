import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

const execFileAsync = promisify(execFile);

/** V8 flag of every process that runs the embedded engine (see limitWasmTiering). */
const WASM_TIERING_FLAG = '--liftoff-only';

let tieringLimited = false;

/**
 * Keeps V8 from recompiling PostgreSQL's hot WebAssembly functions with its optimising
 * compiler. The optimised code and its compiler's native heap are never returned: about
 * 55 MB once the start-up queries have run, and more after every burst of writes (257 against
 * 179 MB after 60,000 upserted rows), while the baseline code runs the store's small queries
 * at the same CPU cost per row. The flag is read when a module is compiled, so it is set
 * before the first one; only the embedded store compiles WebAssembly in this process.
 */
function limitWasmTiering(): void {
  if (tieringLimited) return;
  tieringLimited = true;
  setFlagsFromString(WASM_TIERING_FLAG);
}

/**
 * Creates the database in a short-lived child process. PGlite runs initdb in a second engine
 * instance whose memory (its own WebAssembly memory, a 128 MB copy of it, the native heap of
 * a second compilation) would otherwise stay in the node for good: the garbage collector
 * frees the JavaScript side only when the node has been idle for a while, and the native heap
 * it leaves behind is not returned at all (a node's idle RSS was 211 MB after a first start
 * against 145 MB after any later one). The child is plain CommonJS handed to `node -e`, so it
 * runs the same from the compiled node, tsx and the test runner; the directory and the
 * settings travel as arguments, never inside the code.
 */
async function createDatabase(directory: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = [
    'const { PGlite } = require(process.argv[1]);',
    'PGlite.create(process.argv[2], { startParams: JSON.parse(process.argv[3]) })',
    '  .then((db) => db.close())',
    '  .catch((error) => { console.error(error); process.exitCode = 1; });',
  ].join('\n');
  const args = [WASM_TIERING_FLAG, '-e', script, pglite, directory, JSON.stringify(EMBEDDED_START_PARAMS)];
  try {
    await execFileAsync(process.execPath, args, { maxBuffer: 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`creating the embedded database in ${directory} failed${stderr ? `: ${stderr}` : ''}`, {
      cause: error,
    });
  }
}

/** Starts the embedded PostgreSQL on `directory`, creating the database on first use. */
export async function createEmbeddedClient(directory: string): Promise<PGlite> {
  if (!existsSync(join(directory, 'PG_VERSION'))) await createDatabase(directory);
  limitWasmTiering();
  return PGlite.create(directory, { startParams: [...EMBEDDED_START_PARAMS] });
}
