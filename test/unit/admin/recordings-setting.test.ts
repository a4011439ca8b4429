import { describe, expect, it } from 'vitest';
import { resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';

describe('node.media.recordings', () => {
  it('reaches the media settings from the file, the environment and the flags, in that order', () => {
    const checked = validateConfigText('node:\n  media:\n    recordings: /srv/rec\n', 'strowger.yaml');
    if (!checked.ok) throw new Error(JSON.stringify(checked));
    const fromFile = resolveNodeSettings({ file: checked.file.node });
    expect(fromFile.ok && fromFile.settings.media.recordings).toBe('/srv/rec');
    const fromEnv = resolveNodeSettings({
      file: checked.file.node,
      env: { STROWGER_MEDIA_RECORDINGS: '/env/rec' },
    });
    expect(fromEnv.ok && fromEnv.settings.media.recordings).toBe('/env/rec');
    const fromFlag = resolveNodeSettings({
      file: checked.file.node,
      env: { STROWGER_MEDIA_RECORDINGS: '/env/rec' },
      flags: { mediaRecordings: '/flag/rec' },
    });
    expect(fromFlag.ok && fromFlag.settings.media.recordings).toBe('/flag/rec');
  });

  it('is absent unless configured: the node records under its data directory', () => {
    const resolved = resolveNodeSettings({});
    expect(resolved.ok && 'recordings' in resolved.settings.media).toBe(false);
  });

  it('refuses a value that is no folder name, with its line and column', () => {
    const checked = validateConfigText('node:\n  media:\n    recordings: [a, b]\n', 'strowger.yaml');
    expect(checked).toMatchObject({
      ok: false,
      errors: [{ file: 'strowger.yaml', line: 3, column: 17, path: 'node.media.recordings' }],
    });
  });
});
