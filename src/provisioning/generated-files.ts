/**
 * Which generated file answers a name. Files are built on each request from the snapshot of the
 * moment, so they are never stale (R-REG-09) and every node can serve every phone's file
 * (R-REG-08). Names of per-phone and default files are reserved: when the database has no such
 * phone (R-REG-04, R-REG-10) or auto-registration is off (R-REG-05) the answer is "not found",
 * never a file someone left on disk.
 */
import type { ConfigSnapshot } from '../admin/index.js';
import { parseConfigFileName } from './config-file-name.js';
import { xmlDefaultConfig } from './default-config.js';
import { defaultDeviceConfigXml, phoneConfigXml } from './device-config.js';
import { legacyDeviceConfig, os79xxText } from './legacy-config.js';
import type { ProvisioningSettings } from './settings.js';

export type GeneratedFile =
  | { readonly found: true; readonly data: Buffer }
  | { readonly found: false; readonly reason: string };

/** The generated answer for `name`, or undefined when the name is not one this module generates. */
export function generateConfigFile(
  name: string,
  snapshot: ConfigSnapshot,
  settings: ProvisioningSettings,
): GeneratedFile | undefined {
  const request = parseConfigFileName(name);
  if (request === undefined) return undefined;
  switch (request.kind) {
    case 'device-xml': {
      const phone = snapshot.phones.get(request.device);
      return phone ? found(phoneConfigXml(snapshot, phone, settings)) : notInDatabase(request.device);
    }
    case 'device-legacy': {
      const phone = snapshot.phones.get(request.device);
      if (!phone) return notInDatabase(request.device);
      if (phone.protocol !== 'sccp') return { found: false, reason: `${request.device} is a SIP phone` };
      return found(legacyDeviceConfig(snapshot, settings, `${request.device}.cnf`, phone));
    }
    case 'default-device-xml':
      return settings.autoRegistration.enabled
        ? found(defaultDeviceConfigXml(snapshot, settings))
        : autoRegistrationOff;
    case 'default-device-legacy':
      return settings.autoRegistration.enabled
        ? found(
            legacyDeviceConfig(snapshot, settings, 'SEPDefault.cnf', {
              devicePool: settings.autoRegistration.devicePool,
              model: null,
            }),
          )
        : autoRegistrationOff;
    case 'xml-default':
      return found(xmlDefaultConfig(snapshot, settings));
    case 'os79xx': {
      // Without a configured 7940/7960 load, a file in the static folders may still answer.
      const text = os79xxText(settings);
      return text === undefined ? undefined : found(text);
    }
  }
}

const autoRegistrationOff: GeneratedFile = Object.freeze({
  found: false,
  reason: 'auto-registration is off',
});

function notInDatabase(device: string): GeneratedFile {
  return { found: false, reason: `${device} is not configured` };
}

function found(text: string): GeneratedFile {
  return { found: true, data: Buffer.from(text, 'utf8') };
}
