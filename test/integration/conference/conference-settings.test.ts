/**
 * `node.media.conference` as strowger.yaml, environment and flags give it: CME's defaults
 * (`max-conferences 12 gain -6`), every field read, bad values reported with line and column.
 */
import { describe, expect, it } from 'vitest';
import { resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';

function settingsOf(yaml: string) {
  const validated = validateConfigText(yaml, 'strowger.yaml');
  if (!validated.ok) throw new Error(validated.errors.map((error) => error.message).join('; '));
  const resolved = resolveNodeSettings({ file: validated.file.node });
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return resolved.settings.media.conference;
}

describe('node.media.conference', () => {
  it('defaults to CME max-conferences 12 gain -6, rooms *801…, no factory number', () => {
    expect(settingsOf('node: {}\n')).toEqual({
      maxConferences: 12,
      gainDb: -6,
      factoryNumber: null,
      roomPrefix: '*8',
      callingSearchSpace: null,
    });
  });

  it('reads every field from the file, and the environment and flags win over it', () => {
    const yaml = [
      'node:',
      '  media:',
      '    conference:',
      '      maxConferences: 4',
      '      gainDb: -3',
      '      factoryNumber: "8800"',
      '      roomPrefix: "88"',
      '      callingSearchSpace: internal-css',
      '',
    ].join('\n');
    expect(settingsOf(yaml)).toEqual({
      maxConferences: 4,
      gainDb: -3,
      factoryNumber: '8800',
      roomPrefix: '88',
      callingSearchSpace: 'internal-css',
    });
    const validated = validateConfigText(yaml, 'strowger.yaml');
    if (!validated.ok) throw new Error('valid above');
    const resolved = resolveNodeSettings({
      file: validated.file.node,
      env: { STROWGER_CONFERENCE_GAIN_DB: '-9' },
      flags: { conferenceMax: '6' },
    });
    expect(resolved.ok && resolved.settings.media.conference).toMatchObject({
      maxConferences: 6,
      gainDb: -9,
    });
  });

  it('reports bad values with line and column', () => {
    const yaml = [
      'node:',
      '  media:',
      '    conference:',
      '      maxConferences: 0',
      '      gainDb: 40',
      '      factoryNumber: "88a"',
      '',
    ].join('\n');
    const validated = validateConfigText(yaml, 'strowger.yaml');
    expect(validated.ok).toBe(false);
    if (validated.ok) return;
    expect(validated.errors.map(({ line, column, message }) => ({ line, column, message }))).toEqual([
      { line: 4, column: 23, message: '0 is out of range 1–999' },
      { line: 5, column: 15, message: '40 is out of range -60–20' },
      { line: 6, column: 22, message: '"88a" is not a number of digits, * and #' },
    ]);
    const flags = resolveNodeSettings({ flags: { conferenceGainDb: '-61' } });
    expect(flags).toEqual({
      ok: false,
      errors: ['--conference-gain-db: expected an integer -60–20, got "-61"'],
    });
  });
});
