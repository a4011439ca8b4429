import { describe, expect, it } from 'vitest';
import { resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';

const YAML = [
  'node:',
  '  media:',
  '    musicOnHold:',
  '      default: /srv/moh.wav',
  '      g729: /srv/moh.g729',
  '',
];

describe('node.media.musicOnHold.g729', () => {
  it('reaches the media settings from the file, the environment and the flags, in that order', () => {
    const checked = validateConfigText(YAML.join('\n'), 'strowger.yaml');
    if (!checked.ok) throw new Error(JSON.stringify(checked));
    const fromFile = resolveNodeSettings({ file: checked.file.node });
    expect(fromFile.ok && fromFile.settings.media).toMatchObject({
      musicOnHold: '/srv/moh.wav',
      musicOnHoldG729: '/srv/moh.g729',
    });
    const fromEnv = resolveNodeSettings({
      file: checked.file.node,
      env: { STROWGER_MUSIC_ON_HOLD_G729: '/env/moh.g729' },
    });
    expect(fromEnv.ok && fromEnv.settings.media.musicOnHoldG729).toBe('/env/moh.g729');
    const fromFlag = resolveNodeSettings({
      file: checked.file.node,
      flags: { musicOnHoldG729: '/flag/moh.wav' },
    });
    expect(fromFlag.ok && fromFlag.settings.media.musicOnHoldG729).toBe('/flag/moh.wav');
  });

  it('is absent unless configured: G.729 legs keep today’s behaviour', () => {
    const resolved = resolveNodeSettings({});
    expect(resolved.ok && 'musicOnHoldG729' in resolved.settings.media).toBe(false);
  });

  it('refuses a value that is no file name, with its line', () => {
    const checked = validateConfigText(
      ['node:', '  media:', '    musicOnHold:', '      g729: [a, b]', ''].join('\n'),
      'strowger.yaml',
    );
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).toMatch(/g729/);
  });
});
