/**
 * `SEP<MAC>.cnf.xml` (a configured phone) and `SEPDefault.cnf.xml` (a phone being
 * auto-registered), with the element names and nesting of the files CUCM writes: device pool
 * (date/time group, CallManager group), the SIP profile with the phone's lines for SIP firmware,
 * load information, version stamp, locales and service URLs. SCCP phones learn their lines from
 * the registration itself, so their file has no lines.
 */
import type { ConfigSnapshot, LineAppearanceSnapshot, PhoneSnapshot } from '../admin/index.js';
import {
  type CallManagerGroup,
  callManagerGroupElement,
  callManagerGroupOf,
  type PortProtocols,
} from './call-manager-group.js';
import { modelKey, type ProvisioningSettings, portsOf } from './settings.js';
import { element, serializeXml, type XmlElement } from './xml-writer.js';

/** What a device file describes; a configured phone or the auto-registration default. */
interface DeviceProfile {
  readonly protocol: 'sip' | 'sccp';
  readonly devicePool: string | null;
  readonly model: string | null;
  readonly lines: readonly LineAppearanceSnapshot[];
  readonly sipUsername: string | null;
  readonly sipPassword: string | null;
}

export function phoneConfigXml(
  snapshot: ConfigSnapshot,
  phone: PhoneSnapshot,
  settings: ProvisioningSettings,
): string {
  return deviceConfigXml(snapshot, settings, phone);
}

/** The file for phones that are not in the database; served only with auto-registration on (R-REG-05). */
export function defaultDeviceConfigXml(snapshot: ConfigSnapshot, settings: ProvisioningSettings): string {
  return deviceConfigXml(snapshot, settings, {
    protocol: settings.autoRegistration.protocol,
    devicePool: settings.autoRegistration.devicePool,
    model: null,
    lines: [],
    sipUsername: null,
    sipPassword: null,
  });
}

/** The version stamp phones compare to decide whether their configuration changed (R-REG-09). */
export function versionStamp(snapshot: ConfigSnapshot): string {
  return String(snapshot.version);
}

export function loadFor(settings: ProvisioningSettings, model: string | null): string {
  return model === null ? '' : (settings.loads.get(modelKey(model)) ?? '');
}

function deviceConfigXml(
  snapshot: ConfigSnapshot,
  settings: ProvisioningSettings,
  device: DeviceProfile,
): string {
  const group = callManagerGroupOf(snapshot, device.devicePool, settings);
  const pool = device.devicePool === null ? undefined : snapshot.devicePools.get(device.devicePool);
  const userLocale = pool?.locale ?? settings.locale.userLocale;
  return serializeXml(
    element('device', [
      element('fullConfig', true),
      element('deviceProtocol', device.protocol === 'sip' ? 'SIP' : 'SCCP'),
      devicePoolElement(group, settings, device.protocol),
      device.protocol === 'sip' ? sipProfileElement(device, group, settings) : undefined,
      element('loadInformation', loadFor(settings, device.model)),
      element('versionStamp', versionStamp(snapshot)),
      element('userLocale', [
        element('name', userLocale),
        element('uid', 1),
        // The language code belongs to the default locale; a device pool's own locale carries its own.
        element('langCode', userLocale === settings.locale.userLocale ? settings.locale.languageCode : ''),
        element('winCharSet', 'utf-8'),
      ]),
      element('networkLocale', settings.locale.networkLocale),
      element('networkLocaleInfo', [element('name', settings.locale.networkLocale)]),
      // 1: non-secure; encrypted configuration and TLS signalling need certificates (CAPF).
      element('deviceSecurityMode', 1),
      ...serviceUrlElements(settings),
    ]),
  );
}

export function serviceUrlElements(settings: ProvisioningSettings): XmlElement[] {
  const urls = settings.urls;
  return [
    element('authenticationURL', urls.authentication),
    element('directoryURL', urls.directory),
    element('idleURL', urls.idle),
    element('informationURL', urls.information),
    element('messagesURL', urls.messages),
    element('proxyServerURL', urls.proxyServer),
    element('servicesURL', urls.services),
  ];
}

function devicePoolElement(
  group: CallManagerGroup,
  settings: ProvisioningSettings,
  protocols: PortProtocols,
) {
  const { dateTime } = settings;
  return element('devicePool', [
    element('name', group.name),
    element('dateTimeSetting', [
      element('name', dateTime.name),
      element('dateTemplate', dateTime.dateTemplate),
      element('timeZone', dateTime.timeZone),
      dateTime.ntpServers.length === 0
        ? undefined
        : element(
            'ntps',
            dateTime.ntpServers.map((server) =>
              element('ntp', [element('name', server), element('ntpMode', 'Unicast')]),
            ),
          ),
    ]),
    callManagerGroupElement(group, settings, protocols),
  ]);
}

function sipProfileElement(device: DeviceProfile, group: CallManagerGroup, settings: ProvisioningSettings) {
  const primary = group.nodes[0];
  const sipPort = primary === undefined ? settings.defaultPorts.sip : portsOf(settings, primary).sip;
  const first = device.lines[0];
  return element('sipProfile', [
    element('sipProxies', [element('registerWithProxy', true)]),
    element('phoneLabel', first ? labelOf(first) : ''),
    element(
      'sipLines',
      device.lines.map((appearance, index) =>
        element(
          'line',
          [
            // 9: a line key (the other feature IDs are speed dials, service URLs …).
            element('featureID', 9),
            element('featureLabel', labelOf(appearance)),
            // The phone registers to the CallManager group members in order.
            element('proxy', 'USECALLMANAGER'),
            element('port', sipPort),
            element('name', appearance.line.dn),
            element('displayName', appearance.line.displayName),
            element('contact', appearance.line.dn),
            element('authName', device.sipUsername ?? ''),
            element('authPassword', device.sipPassword ?? ''),
            element('messagesNumber', appearance.line.voicemailPilot ?? ''),
          ],
          { button: appearance.button, lineIndex: index + 1 },
        ),
      ),
    ),
    element('voipControlPort', sipPort),
  ]);
}

function labelOf(appearance: LineAppearanceSnapshot): string {
  return appearance.label ?? (appearance.line.displayName || appearance.line.dn);
}
