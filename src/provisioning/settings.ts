/**
 * Provisioning settings that the configuration snapshot does not (yet) carry: node ports, the
 * auto-registration switch, date/time and locale defaults, firmware loads and phone service URLs.
 * Everything has a default, so `resolveProvisioningSettings()` alone gives working files.
 */

/** Where a phone reaches one node of its CallManager group. */
export interface NodePorts {
  /** SIP over UDP/TCP (CUCM default 5060). */
  readonly sip: number;
  /** SIP over TLS (CUCM default 5061). */
  readonly securedSip: number;
  /** SCCP over TCP (CUCM default 2000, R-REG-17). */
  readonly sccp: number;
}

export interface DateTimeSettings {
  /** The date/time group's name. */
  readonly name: string;
  /** Cisco date template, e.g. `M/D/Y` or `D/M/YA` (A: 12-hour clock). */
  readonly dateTemplate: string;
  /** Cisco time-zone name, e.g. `Greenwich Standard Time`. */
  readonly timeZone: string;
  readonly ntpServers: readonly string[];
}

export interface LocaleSettings {
  /** Cisco user locale name, e.g. `English_United_States`. */
  readonly userLocale: string;
  /** Its language code, e.g. `en_US`. */
  readonly languageCode: string;
  /** Cisco network locale (tones and cadences), e.g. `United_States`. */
  readonly networkLocale: string;
}

/** The phone's XML service URLs; an empty string leaves the phone's feature unconfigured. */
export interface PhoneServiceUrls {
  readonly authentication: string;
  readonly directory: string;
  readonly idle: string;
  readonly information: string;
  readonly messages: string;
  readonly proxyServer: string;
  readonly services: string;
}

export interface AutoRegistrationSettings {
  /** Off by default (R-REG-02): unknown phones then get File Not Found for SEPDefault (R-REG-05). */
  readonly enabled: boolean;
  /** Device pool whose CallManager group unknown phones are sent to. */
  readonly devicePool: string | null;
  /** Protocol unknown phones are provisioned for (CUCM's auto-registration default is SCCP). */
  readonly protocol: 'sip' | 'sccp';
}

export interface ProvisioningSettings {
  /** Nodes given to phones whose device pool names none (in failover order). */
  readonly defaultCallManagerGroup: readonly string[];
  /** Ports per node; nodes not listed use `defaultPorts`. */
  readonly nodePorts: ReadonlyMap<string, NodePorts>;
  readonly defaultPorts: NodePorts;
  readonly autoRegistration: AutoRegistrationSettings;
  readonly dateTime: DateTimeSettings;
  readonly locale: LocaleSettings;
  /** Default firmware load per phone model (R-REG-11), keyed by `modelKey(model)`. */
  readonly loads: ReadonlyMap<string, string>;
  readonly urls: PhoneServiceUrls;
}

type Input<T> = { readonly [K in keyof T]?: T[K] };

export interface ProvisioningSettingsInput {
  readonly defaultCallManagerGroup?: readonly string[];
  readonly nodePorts?: Readonly<Record<string, Input<NodePorts>>>;
  readonly defaultPorts?: Input<NodePorts>;
  readonly autoRegistration?: Input<AutoRegistrationSettings>;
  readonly dateTime?: Input<DateTimeSettings>;
  readonly locale?: Input<LocaleSettings>;
  /** Model (as configured, e.g. `Cisco 7960` or `7960`) → load name (e.g. `P00308010200`). */
  readonly loads?: Readonly<Record<string, string>>;
  readonly urls?: Input<PhoneServiceUrls>;
}

export const DEFAULT_NODE_PORTS: NodePorts = Object.freeze({ sip: 5060, securedSip: 5061, sccp: 2000 });

const DEFAULT_DATE_TIME: DateTimeSettings = Object.freeze({
  name: 'CMLocal',
  dateTemplate: 'M/D/Y',
  timeZone: 'Greenwich Standard Time',
  ntpServers: Object.freeze([]),
});

const DEFAULT_LOCALE: LocaleSettings = Object.freeze({
  userLocale: 'English_United_States',
  languageCode: 'en_US',
  networkLocale: 'United_States',
});

const NO_URLS: PhoneServiceUrls = Object.freeze({
  authentication: '',
  directory: '',
  idle: '',
  information: '',
  messages: '',
  proxyServer: '',
  services: '',
});

/**
 * The key firmware loads are looked up by: `Cisco 7960`, `CP-7960G`, `7960` and `IP Phone 7960`
 * name the same phone. Case and these decorations are ignored; `7961G-GE` stays distinct from
 * `7961` (they are different phones, R-REG-25).
 */
export function modelKey(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/^(cisco\s+)?(ip\s+phone\s+)?(cp-)?/, '')
    .replace(/^(\d{4})g$/, '$1');
}

export function resolveProvisioningSettings(input: ProvisioningSettingsInput = {}): ProvisioningSettings {
  const defaultPorts = { ...DEFAULT_NODE_PORTS, ...defined(input.defaultPorts) };
  return {
    defaultCallManagerGroup: [...(input.defaultCallManagerGroup ?? [])],
    nodePorts: new Map(
      Object.entries(input.nodePorts ?? {}).map(([node, ports]) => [
        node,
        { ...defaultPorts, ...defined(ports) },
      ]),
    ),
    defaultPorts,
    autoRegistration: {
      enabled: input.autoRegistration?.enabled ?? false,
      devicePool: input.autoRegistration?.devicePool ?? null,
      protocol: input.autoRegistration?.protocol ?? 'sccp',
    },
    dateTime: { ...DEFAULT_DATE_TIME, ...defined(input.dateTime) },
    locale: { ...DEFAULT_LOCALE, ...defined(input.locale) },
    loads: new Map(Object.entries(input.loads ?? {}).map(([model, load]) => [modelKey(model), load])),
    urls: { ...NO_URLS, ...defined(input.urls) },
  };
}

/** The input without keys set to undefined, so spreading it never erases a default. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function portsOf(settings: ProvisioningSettings, node: string): NodePorts {
  return settings.nodePorts.get(node) ?? settings.defaultPorts;
}
