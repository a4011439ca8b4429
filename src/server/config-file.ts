/** Reading and validating a strowger.yaml for the CLI and the server start. */
import { readFile } from 'node:fs/promises';
import { type ConfigFile, formatConfigError, validateConfigText } from '../admin/index.js';

export type LoadedConfig = { ok: true; file: ConfigFile } | { ok: false; errors: string[] };

export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, errors: [`${path}: ${(error as NodeJS.ErrnoException).message}`] };
  }
  const result = validateConfigText(text, path);
  if (!result.ok) return { ok: false, errors: result.errors.map(formatConfigError) };
  return { ok: true, file: result.file };
}
