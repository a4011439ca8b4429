/**
 * The files phones fetch, as a TFTP `FileSource` the HTTP server shares: generated configuration
 * files by name, any case, then static files (firmware loads, ring lists, backgrounds) from the
 * configured folders, confined to them.
 */
import type { ConfigSnapshot } from '../admin/index.js';
import { directorySource, type FileSource } from '../tftp/index.js';
import { generateConfigFile } from './generated-files.js';
import {
  type ProvisioningSettings,
  type ProvisioningSettingsInput,
  resolveProvisioningSettings,
} from './settings.js';

export interface ProvisioningSourceOptions extends ProvisioningSettingsInput {
  /** Folders of static files, searched in order after the generated files. */
  readonly staticFolders?: readonly string[];
}

export interface ProvisioningSource extends FileSource {
  readonly settings: ProvisioningSettings;
}

export function provisioningSource(
  snapshot: () => ConfigSnapshot,
  options: ProvisioningSourceOptions = {},
): ProvisioningSource {
  const settings = resolveProvisioningSettings(options);
  const folders = directorySource(options.staticFolders ?? []);
  return {
    settings,
    async open(name, remote) {
      const generated = generateConfigFile(name, snapshot(), settings);
      if (generated === undefined) return folders.open(name, remote);
      return generated.found ? { data: generated.data } : undefined;
    },
  };
}
