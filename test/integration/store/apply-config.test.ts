import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  applyConfig,
  type ConfigFile,
  formatChange,
  loadSnapshot,
  validateConfigText,
} from '../../../src/admin/index.js';
import { backends, type StoreUnderTest } from './backends.js';

const demoText = readFileSync(new URL('../../../examples/demo.yaml', import.meta.url), 'utf8');

function parse(text: string, name = 'test.yaml'): ConfigFile {
  const result = validateConfigText(text, name);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.file;
}

/** Every section present and empty: authoritative, so it removes everything. */
const empty = parse(
  'partitions: []\ncallingSearchSpaces: []\ndevicePools: []\nusers: []\nlines: []\nphones: []\n',
);

describe.each(backends)('applyConfig on $name', (backend) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await backend.open();
  });
  afterAll(() => subject?.dispose());
  beforeEach(async () => {
    const cleared = await applyConfig(subject.store, empty);
    expect(cleared.ok).toBe(true);
  });

  it('applies the demo configuration, then finds nothing to change', async () => {
    const first = await applyConfig(subject.store, parse(demoText, 'demo.yaml'));
    if (!first.ok) throw new Error(first.errors.join());
    expect(first.changes.map(formatChange)).toEqual([
      '+ partition internal (Internal extensions)',
      '+ calling search space internal-css (Reaches internal extensions)',
      '+ device pool default (Demo phones)',
      '+ line 201 in internal (John Smith)',
      '+ line 202 in internal (Enrique Zurita)',
      '+ line 203 in internal (Extension 203)',
      '+ line 204 in internal (Extension 204)',
      '+ phone phone-201 (John Smith)',
      '+ phone phone-202 (Enrique Zurita)',
      '+ phone phone-203',
      '+ phone phone-204',
    ]);

    const again = await applyConfig(subject.store, parse(demoText, 'demo.yaml'));
    expect(again).toEqual({ ok: true, changes: [], version: first.version });

    const snapshot = await loadSnapshot(subject.store);
    expect(snapshot.version).toBe(first.version);
    const phone = snapshot.phonesBySipUsername.get('202');
    expect(phone?.name).toBe('phone-202');
    expect(phone?.sipPassword).toBe('demo-202');
    expect(phone?.callingSearchSpace).toBe('internal-css');
    expect(phone?.lines.map((a) => [a.button, a.line.dn, a.line.displayName])).toEqual([
      [1, '202', 'Enrique Zurita'],
    ]);
    expect(snapshot.lines.get('internal')?.get('201')?.appearsOn).toEqual(['phone-201']);
    expect(snapshot.callingSearchSpaces.get('internal-css')?.partitions).toEqual(['internal']);
    expect(snapshot.registrar).toEqual({ expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 });
    const meta = (await subject.store.configuration.readAll()).meta;
    expect(meta?.sha256).toBe(parse(demoText).sha256);
  });

  it('reports modifications by key and removals, and bumps the version once', async () => {
    await applyConfig(subject.store, parse(demoText));
    const before = await loadSnapshot(subject.store);
    const edited = demoText
      .replace('displayName: Extension 204', 'displayName: Front desk')
      .replace(/ {2}- name: phone-203[\s\S]*?partition: internal\n/, '')
      .replace(
        '- dn: "203"\n    partition: internal\n    displayName: Extension 203\n',
        '- dn: "203"\n    partition: internal\n    displayName: Extension 203\n    forward: { busy: "204" }\n',
      )
      .replace(
        'sip: { username: "201", password: demo-201 }',
        'sip: { username: "201", password: changed-201 }',
      );
    const result = await applyConfig(subject.store, parse(edited));
    if (!result.ok) throw new Error(result.errors.join());
    expect(result.changes.map(formatChange)).toEqual([
      '~ line 203 in internal forward.busy',
      '~ line 204 in internal displayName',
      '- phone phone-203',
      '~ phone phone-201 sip.password',
    ]);
    expect(result.version).toBe(before.version + 1);
    const after = await loadSnapshot(subject.store);
    expect(after.phones.has('phone-203')).toBe(false);
    expect(after.lines.get('internal')?.get('203')?.forwardBusy).toBe('204');
    expect(after.lines.get('internal')?.get('203')?.appearsOn).toEqual([]);
  });

  it('leaves sections the file does not list untouched', async () => {
    await applyConfig(subject.store, parse(demoText));
    const result = await applyConfig(
      subject.store,
      parse('partitions:\n  - name: internal\n    description: Internal extensions\n  - name: lobby\n'),
    );
    if (!result.ok) throw new Error(result.errors.join());
    expect(result.changes.map(formatChange)).toEqual(['+ partition lobby']);
    expect((await loadSnapshot(subject.store)).phones.size).toBe(4);
  });

  it('moves a SIP user name from one phone to another in one apply', async () => {
    await applyConfig(subject.store, parse(demoText));
    const swapped = demoText
      .replace('username: "201", password: demo-201', 'username: "202", password: demo-201')
      .replace('username: "202", password: demo-202', 'username: "201", password: demo-202');
    const result = await applyConfig(subject.store, parse(swapped));
    expect(result.ok).toBe(true);
    expect((await loadSnapshot(subject.store)).phonesBySipUsername.get('201')?.name).toBe('phone-202');
  });

  it('writes nothing when a change fails half way, and says why', async () => {
    await applyConfig(subject.store, parse(demoText));
    const rowsBefore = await subject.store.configuration.readAll();
    // The new partition is written first; the phone then names a device pool that exists in
    // neither the file (no devicePools section) nor the store, and the store refuses it.
    const broken = parse(
      [
        'partitions:',
        '  - name: internal',
        '    description: Internal extensions',
        '  - name: lobby',
        'phones:',
        '  - name: SEP0008A37128E9',
        '    model: "7960"',
        '    devicePool: ghost',
      ].join('\n'),
    );
    const result = await applyConfig(subject.store, broken);
    expect(result).toEqual({
      ok: false,
      errors: ['phone refers to device pool ghost, which is not defined'],
    });
    expect(await subject.store.configuration.readAll()).toEqual(rowsBefore);
  });

  it('refuses to remove a partition that lines outside the file still use', async () => {
    await applyConfig(subject.store, parse(demoText));
    const rowsBefore = await subject.store.configuration.readAll();
    const result = await applyConfig(
      subject.store,
      parse('registrar: { expires: { max: 600 } }\npartitions: []\n'),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors[0]).toMatch(/^partition internal is still used by a (line|calling search space)$/);
    expect(await subject.store.configuration.readAll()).toEqual(rowsBefore);
  });

  it('resolves a line named by DN alone against the store', async () => {
    await applyConfig(subject.store, parse(demoText));
    const ok = await applyConfig(
      subject.store,
      parse('phones:\n  - name: desk\n    model: SIP phone\n    lines: [{ dn: "203" }]\n'),
    );
    expect(ok.ok && ok.changes.map(formatChange)).toEqual([
      '- phone phone-201',
      '- phone phone-202',
      '- phone phone-203',
      '- phone phone-204',
      '+ phone desk',
    ]);
    const missing = await applyConfig(
      subject.store,
      parse('phones:\n  - name: desk\n    model: SIP phone\n    lines: [{ dn: "299" }]\n'),
    );
    expect(missing).toEqual({ ok: false, errors: ['phone desk: line 299 is not defined'] });
  });
});
