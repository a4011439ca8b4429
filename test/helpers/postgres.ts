/**
 * A throwaway PostgreSQL for integration tests: the database named by
 * STROWGER_TEST_DATABASE_URL (a fresh database is created in it and dropped after), or a private
 * cluster from Debian's PostgreSQL 15 in a temp dir on an ephemeral port, stopped after.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Whether a PostgreSQL can be had, decided synchronously so that tests can skip at collection. */
export function postgresAvailable(): boolean {
  if (process.env.STROWGER_TEST_DATABASE_URL) return true;
  if (existsSync(join(BIN, 'initdb'))) return true;
  const message = `PostgreSQL 15 not found (${BIN}/initdb; apt-get install postgresql) and STROWGER_TEST_DATABASE_URL unset`;
  if (process.env.STROWGER_REQUIRE_INTEROP === '1')
    throw new Error(`${message}: required by STROWGER_REQUIRE_INTEROP=1`);
  console.warn(`\n*** SKIPPING PostgreSQL store tests: ${message} ***\n`);
  return false;
}

export async function startPostgres(): Promise<PostgresServer> {
  const given = process.env.STROWGER_TEST_DATABASE_URL;
  return given ? createScratchDatabase(given) : startCluster();
}

async function createScratchDatabase(url: string): Promise<PostgresServer> {
  const name = `strowger_test_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return { url: scratch.toString(), stop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function startCluster(): Promise<PostgresServer> {
  const directory = mkdtempSync(join(tmpdir(), 'strowger-pg-'));
  const dataDir = join(directory, 'data');
  // initdb refuses to run as root; the cluster then belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(directory, postgresId('-u'), postgresId('-g'));
  const exec = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(BIN, program), ...args])
      : run(join(BIN, program), args);

  const port = await freePort();
  await exec('initdb', [
    '-D',
    dataDir,
    '--auth=trust',
    '--username=postgres',
    '--no-sync',
    '--encoding=UTF8',
  ]);
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -F`;
  await exec('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(directory, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Numeric id of the postgres user (`-u`) or group (`-g`). */
function postgresId(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres']).toString().trim());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
