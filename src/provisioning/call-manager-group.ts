/**
 * The CallManager group as phones read it: the ordered nodes of the phone's device pool, each with
 * the ports of the protocols the phone speaks. The order is the failover order (R-REG-23): the
 * member with priority 0 is tried first.
 */
import type { ConfigSnapshot } from '../admin/index.js';
import { type ProvisioningSettings, portsOf } from './settings.js';
import { element, type XmlElement } from './xml-writer.js';

/** The protocols whose ports a member lists: one for a known phone, all for default files. */
export type PortProtocols = 'sip' | 'sccp' | 'all';

export interface CallManagerGroup {
  /** Named after its device pool. */
  readonly name: string;
  readonly nodes: readonly string[];
}

/** CUCM's name for the device pool and group a phone gets when none is configured. */
export const DEFAULT_POOL_NAME = 'Default';

export function callManagerGroupOf(
  snapshot: ConfigSnapshot,
  devicePool: string | null,
  settings: ProvisioningSettings,
): CallManagerGroup {
  const pool = devicePool === null ? undefined : snapshot.devicePools.get(devicePool);
  if (pool && pool.callManagerGroup.length > 0) return { name: pool.name, nodes: pool.callManagerGroup };
  return { name: pool?.name ?? DEFAULT_POOL_NAME, nodes: settings.defaultCallManagerGroup };
}

export function callManagerGroupElement(
  group: CallManagerGroup,
  settings: ProvisioningSettings,
  protocols: PortProtocols,
): XmlElement {
  return element('callManagerGroup', [
    element('name', group.name),
    element(
      'members',
      group.nodes.map((node, priority) => {
        const ports = portsOf(settings, node);
        const sccp = protocols !== 'sip';
        const sip = protocols !== 'sccp';
        return element(
          'member',
          [
            element('callManager', [
              element('name', node),
              element('ports', [
                sccp ? element('ethernetPhonePort', ports.sccp) : undefined,
                sip ? element('sipPort', ports.sip) : undefined,
                sip ? element('securedSipPort', ports.securedSip) : undefined,
              ]),
              element('processNodeName', node),
            ]),
          ],
          { priority },
        );
      }),
    ),
  ]);
}
