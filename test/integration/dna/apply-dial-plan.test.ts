/**
 * The dial plan sections applied to the embedded store: added, changed and removed in an order
 * the foreign keys accept, idempotently, and read back into the snapshot unchanged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseCall } from '../../../src/admin/dialplan/index.js';
import {
  applyConfig,
  type ConfigFile,
  formatChange,
  loadSnapshot,
  snapshotOfConfiguration,
  validateConfigText,
} from '../../../src/admin/index.js';
import { openStore, type Store } from '../../../src/store/index.js';

const exampleText = readFileSync(new URL('../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');

function parse(text: string): ConfigFile {
  const result = validateConfigText(text, 'test.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  return result.file;
}

describe('dial plan sections in the store', () => {
  let dataDir: string;
  let store: Store;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strowger-dial-plan-'));
    store = await openStore({ dataDir });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads back what the file holds and routes the same', async () => {
    const file = parse(exampleText);
    const applied = await applyConfig(store, file);
    expect(applied.ok).toBe(true);
    const snapshot = await loadSnapshot(store);
    const fromFile = snapshotOfConfiguration(file.configuration);
    expect([...snapshot.dialPeers.values()]).toEqual([...fromFile.dialPeers.values()]);
    expect([...snapshot.translationRules.values()]).toEqual([...fromFile.translationRules.values()]);
    expect(snapshot.trunks.get('sp')).toEqual(fromFile.trunks.get('sp'));
    expect(snapshot.lines.get('cme')?.get('201')).toMatchObject({
      secondaryNumber: '5123781201',
      noRegistration: 'both',
      dualLine: true,
      forwardBusy: '600',
      noAnswerTimeout: 15,
    });
    const call = { calling: '5125550100', dialed: '5123781290', fromTrunk: 'sp' };
    const stored = analyseCall(snapshot, call);
    const filed = analyseCall(file.configuration, call);
    expect(stored.ok && filed.ok && { ...stored.analysis, version: 0 }).toEqual(filed.ok && filed.analysis);
    expect(stored.ok && stored.analysis.destination).toMatchObject({ pilot: 'voicemail' });
    expect(await applyConfig(store, file)).toEqual({ ok: true, changes: [], version: snapshot.version });
  });

  it('changes and removes dial plan objects in one transaction', async () => {
    const changed = exampleText
      .replace(
        '{ precedence: 1, match: "^.*", replace: "5123781291" }',
        '{ precedence: 1, match: "^.*", replace: "5123780000" }',
      )
      .replace(/ {2}- tag: 9\n(?: {4}.*\n)+/, '')
      .replace(
        'supplementary: { refer: false, movedTemporarily: false }',
        'supplementary: { refer: true, movedTemporarily: false }',
      );
    const applied = await applyConfig(store, parse(changed));
    if (!applied.ok) throw new Error(applied.errors.join('\n'));
    expect(applied.changes.map(formatChange)).toEqual([
      '~ translation rule 3 rules',
      '~ trunk sp supplementary',
      '- dial-peer 9',
    ]);

    // a trunk the store's dial-peers still use cannot go: nothing is written
    const refused = await applyConfig(store, parse('trunks: []\n'));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors[0]).toBe('dial-peer 1 refers to trunk sp, which is not defined');
    expect((await loadSnapshot(store)).trunks.has('sp')).toBe(true);

    const cleared = await applyConfig(
      store,
      parse(
        'translationRules: []\ntranslationProfiles: []\ntrunks: []\npilots: []\ndialPeers: []\nroutePatterns: []\ntranslationPatterns: []\n',
      ),
    );
    expect(cleared.ok).toBe(true);
    const empty = await loadSnapshot(store);
    expect([
      empty.dialPeers.size,
      empty.translationRules.size,
      empty.translationProfiles.size,
      empty.pilots.size,
    ]).toEqual([0, 0, 0, 0]);
  });
});
