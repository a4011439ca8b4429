import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../../src/store/index.js';
import { postgresAvailable, startPostgres } from '../../helpers/postgres.js';

/** A store under test and how to dispose of it. */
export interface StoreUnderTest {
  readonly store: Store;
  /** The embedded store's data directory, for reopen tests. */
  readonly dataDir?: string;
  dispose(): Promise<void>;
}

export interface Backend {
  readonly name: string;
  open(): Promise<StoreUnderTest>;
}

export const embedded: Backend = {
  name: 'embedded PGlite',
  open: async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strowger-store-'));
    const store = await openStore({ dataDir });
    return {
      store,
      dataDir,
      dispose: async () => {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const postgres: Backend = {
  name: 'PostgreSQL',
  open: async () => {
    const server = await startPostgres();
    try {
      const store = await openStore({ url: server.url });
      return {
        store,
        dispose: async () => {
          await store.close();
          await server.stop();
        },
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};

/** Every backend available here: the embedded store always, PostgreSQL when installed. */
export const backends: readonly Backend[] = postgresAvailable() ? [embedded, postgres] : [embedded];
