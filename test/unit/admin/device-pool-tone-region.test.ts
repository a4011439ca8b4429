import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planConfig } from '../../../src/admin/config/plan.js';
import { documentOf } from '../../../src/admin/crud/resources.js';
import { formatChange, formatConfigError, validateConfigText } from '../../../src/admin/index.js';
import type { ConfigRows } from '../../../src/store/index.js';
import { emptyRows } from '../../helpers/config-rows.js';

function validated(text: string) {
  const result = validateConfigText(text, 'pools.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.file.configuration;
}

const pools = ['devicePools:', '  - name: geneva', '    toneRegion: itu', '  - name: hq', ''].join('\n');

describe('device pool toneRegion', () => {
  it('stores the region a pool names and null for a pool that names none', () => {
    expect(validated(pools).devicePools?.map(({ name, toneRegion }) => ({ name, toneRegion }))).toEqual([
      { name: 'geneva', toneRegion: 'itu' },
      { name: 'hq', toneRegion: null },
    ]);
  });

  it('refuses a region it has no tones for, at the key', () => {
    const result = validateConfigText(
      ['devicePools:', '  - name: tokyo', '    toneRegion: japan', ''].join('\n'),
      'pools.yaml',
    );
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([
      'pools.yaml:3:17: devicePools[0].toneRegion: expected one of north-america, itu, got "japan"',
    ]);
  });

  it('plans a changed region as a change of the pool', () => {
    const rows: ConfigRows = {
      ...emptyRows(),
      devicePools: [
        {
          name: 'geneva',
          description: '',
          region: null,
          callManagerGroup: [],
          mohSource: null,
          locale: null,
          toneRegion: null,
        },
      ],
    };
    const planned = planConfig(
      rows,
      validated(['devicePools:', '  - name: geneva', '    toneRegion: itu', ''].join('\n')),
    );
    expect(planned.ok && planned.plan.changes.map(formatChange)).toEqual(['~ device pool geneva toneRegion']);
  });

  it('keeps the region when the stored configuration is written back as a file (API edits)', () => {
    // Rows as the store reads them: each with its own array.
    const stored = (validated(pools).devicePools ?? []).map((pool) => ({
      ...pool,
      callManagerGroup: [...pool.callManagerGroup],
    }));
    const document = documentOf({ ...emptyRows(), devicePools: stored });
    expect(document.devicePools).toEqual([
      { name: 'geneva', description: '', callManagerGroup: [], toneRegion: 'itu' },
      { name: 'hq', description: '', callManagerGroup: [] },
    ]);
    expect(validated(stringify(document)).devicePools).toEqual(stored);
  });
});
