import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedClient, EMBEDDED_SETTINGS } from '../../../src/store/embedded-client.js';

async function settingsOf(client: PGlite): Promise<Record<string, string>> {
  const names = Object.keys(EMBEDDED_SETTINGS);
  const result = await client.query<{ name: string; setting: string }>(
    'select name, current_setting(name) as setting from unnest($1::text[]) as name',
    [names],
  );
  return Object.fromEntries(result.rows.map((row) => [row.name, row.setting]));
}

describe('embedded PostgreSQL settings', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'strowger-embedded-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs a new store and a reopened one with the node-sized settings, not those initdb wrote', async () => {
    const first = await createEmbeddedClient(dataDir);
    try {
      expect(await settingsOf(first)).toEqual(EMBEDDED_SETTINGS);
    } finally {
      await first.close();
    }
    // initdb sized the file for a database server; the command line must still win over it.
    const written = readFileSync(join(dataDir, 'postgresql.conf'), 'utf8');
    expect(written).toMatch(/^shared_buffers = 128MB/m);

    const reopened = await createEmbeddedClient(dataDir);
    try {
      expect(await settingsOf(reopened)).toEqual(EMBEDDED_SETTINGS);
      await reopened.exec('create table kept (id int primary key); insert into kept values (1)');
      expect((await reopened.query('select id from kept')).rows).toEqual([{ id: 1 }]);
    } finally {
      await reopened.close();
    }
  });

  it('rejects with the reason when the database cannot be created', async () => {
    const notADirectory = join(dataDir, 'plain-file');
    writeFileSync(notADirectory, '');
    await expect(createEmbeddedClient(join(notADirectory, 'db'))).rejects.toThrow(
      /creating the embedded database in .*plain-file\/db failed: .*(ENOTDIR|not a directory)/is,
    );
  });
});
