/**
 * The pre-XML files of CallManager 3.x, still read by old SCCP phones (7910, 12 SP+, 30 VIP, and
 * 7940/7960 on SCCP loads before 5.0): `SEP<MAC>.cnf` / `SEPDefault.cnf` in `key: value` lines,
 * and `OS79XX.TXT`, the single line naming the image a 7940/7960 runs.
 */
import type { ConfigSnapshot } from '../admin/index.js';
import { callManagerGroupOf } from './call-manager-group.js';
import { loadFor, versionStamp } from './device-config.js';
import { type ProvisioningSettings, portsOf } from './settings.js';

/** Values end at the line; a configured value must not start a line of its own. */
const LINE_BREAKS = /[\r\n\u0000]/g;

/**
 * `callManagerN: <SCCP port>, <MGCP listen>, <MGCP keepalive>, <reserved>, <address>` per node in
 * failover order, then the load (blank: the phone keeps the image it runs, R-REG-11).
 */
export function legacyDeviceConfig(
  snapshot: ConfigSnapshot,
  settings: ProvisioningSettings,
  fileName: string,
  device: { readonly devicePool: string | null; readonly model: string | null },
): string {
  const group = callManagerGroupOf(snapshot, device.devicePool, settings);
  const lines = [`# ${fileName}, version ${versionStamp(snapshot)}`];
  group.nodes.forEach((node, index) => {
    lines.push(`callManager${index + 1}: ${portsOf(settings, node).sccp}, , , ,${node}`);
  });
  const load = loadFor(settings, device.model);
  if (load !== '') lines.push(`loadInformation: ${load}`);
  return `${lines.map((line) => line.replace(LINE_BREAKS, ' ')).join('\n')}\n`;
}

/** The 7940/7960 image name, or undefined when no load is configured for those models. */
export function os79xxText(settings: ProvisioningSettings): string | undefined {
  const load = loadFor(settings, '7960') || loadFor(settings, '7940');
  return load === '' ? undefined : `${load.replace(LINE_BREAKS, '')}\n`;
}
