/** A store holding examples/demo.yaml (phones 201–203 with demo credentials), as `strowger apply` leaves it. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, validateConfigText } from '../../src/admin/index.js';
import { openStore, type Store } from '../../src/store/index.js';

const DEMO_TEXT = readFileSync(new URL('../../examples/demo.yaml', import.meta.url), 'utf8');

/** Applies examples/demo.yaml to `store`; throws when it does not validate or apply. */
export async function applyDemoConfig(store: Store): Promise<void> {
  const validated = validateConfigText(DEMO_TEXT, 'demo.yaml');
  if (!validated.ok) throw new Error('examples/demo.yaml does not validate');
  const applied = await applyConfig(store, validated.file);
  if (!applied.ok) throw new Error(applied.errors.join('; '));
}

export interface DemoStore {
  readonly store: Store;
  /** Closes the store and deletes its directory. */
  dispose(): Promise<void>;
}

/** An embedded store in a new temporary directory with the demo applied. */
export async function openDemoStore(): Promise<DemoStore> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strowger-demo-'));
  const store = await openStore({ dataDir });
  await applyDemoConfig(store);
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
