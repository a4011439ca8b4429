/**
 * A change to one object through the API re-applies its whole section: fields the API does not
 * show (a line's secondary number, no-reg, dual-line, MWI control) must come through unchanged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyConfig, createConfigService, validateConfigText } from '../../../src/admin/index.js';
import { openStore, type Store } from '../../../src/store/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'strowger-crud-'));
let store: Store;

beforeAll(async () => {
  store = await openStore({ dataDir });
  const text = readFileSync(new URL('../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');
  const validated = validateConfigText(text, 'cme-sip-trunk.yaml');
  if (!validated.ok) throw new Error('examples/cme-sip-trunk.yaml does not validate');
  const applied = await applyConfig(store, validated.file);
  if (!applied.ok) throw new Error(applied.errors.join('; '));
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps every line field the API leaves out when another line changes', async () => {
  const before = await store.withTransaction((tx) => tx.configuration.readAll(), { readOnly: true });
  const withSecondary = before.lines.find((line) => line.secondaryNumber);
  expect(withSecondary, 'the CME example has a dual-line DN with a secondary number').toBeDefined();
  const other = before.lines.find((line) => line !== withSecondary)!;

  const service = createConfigService({ store });
  const result = await service.update('line', `${other.partition}/${other.dn}`, {
    dn: other.dn,
    partition: other.partition,
    displayName: 'Changed through the API',
  });
  expect(result.ok, JSON.stringify(result)).toBe(true);

  const after = await store.withTransaction((tx) => tx.configuration.readAll(), { readOnly: true });
  const keep = (rows: typeof before.lines) =>
    rows.map(({ dn, partition, secondaryNumber, noRegistration, dualLine, mwiControl }) => ({
      dn,
      partition,
      secondaryNumber,
      noRegistration,
      dualLine,
      mwiControl,
    }));
  expect(keep(after.lines)).toEqual(keep(before.lines));
  expect(after.lines.find((line) => line.dn === other.dn)?.displayName).toBe('Changed through the API');
});
