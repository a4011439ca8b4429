/**
 * `XMLDefault.cnf.xml`: what a phone reads when it has no file of its own or needs its model's
 * default load: the default CallManager group (all protocols' ports, the phone's protocol being
 * unknown) and one `loadInformation<device type>` per model with a configured default load.
 */
import type { ConfigSnapshot } from '../admin/index.js';
import { callManagerGroupElement, callManagerGroupOf } from './call-manager-group.js';
import { serviceUrlElements, versionStamp } from './device-config.js';
import { deviceTypeOf } from './device-types.js';
import type { ProvisioningSettings } from './settings.js';
import { element, serializeXml, type XmlElement } from './xml-writer.js';

export function xmlDefaultConfig(snapshot: ConfigSnapshot, settings: ProvisioningSettings): string {
  const group = callManagerGroupOf(snapshot, settings.autoRegistration.devicePool, settings);
  const loads: XmlElement[] = [];
  for (const [model, load] of settings.loads) {
    const known = deviceTypeOf(model);
    if (known) loads.push(element(`loadInformation${known.type}`, load, { model: known.model }));
  }
  return serializeXml(
    element('Default', [
      callManagerGroupElement(group, settings, 'all'),
      element('versionStamp', versionStamp(snapshot)),
      ...serviceUrlElements(settings),
      // Last, so a schema can accept the open-ended `loadInformation<type>` names with one wildcard.
      ...loads,
    ]),
  );
}
