/**
 * Configuration objects one at a time, spelled as `strowger.yaml` spells them (nested `forward:`
 * and `sip:`, unset keys left out), so that the API, the file and docs/configuration.md describe
 * the same objects with the same rules.
 */
import type { ConfigRows } from '../../store/index.js';

export interface PartitionResource {
  readonly name: string;
  readonly description: string;
}

export interface CallingSearchSpaceResource {
  readonly name: string;
  readonly description: string;
  /** Searched in this order. */
  readonly partitions: readonly string[];
}

export interface DevicePoolResource {
  readonly name: string;
  readonly description: string;
  /** Nodes its phones register to, in failover order. */
  readonly callManagerGroup: readonly string[];
  readonly region?: string;
  readonly mohSource?: string;
  readonly locale?: string;
  /** The call-progress tones its phones hear; the node's when unset. */
  readonly toneRegion?: 'north-america' | 'itu';
}

export interface UserResource {
  readonly userid: string;
  readonly name: string;
}

export interface LineForward {
  readonly all?: string;
  readonly busy?: string;
  readonly noAnswer?: string;
  readonly noAnswerTimeout?: number;
}

export interface LineResource {
  readonly dn: string;
  readonly partition: string;
  readonly displayName: string;
  readonly description: string;
  readonly forward?: LineForward;
  readonly voicemail?: string;
  readonly mwi: boolean;
}

export interface LineAppearanceResource {
  readonly button: number;
  readonly dn: string;
  readonly partition: string;
  readonly label?: string;
}

export interface PhoneResource {
  readonly name: string;
  readonly model: string;
  readonly protocol: 'sip' | 'sccp';
  readonly description: string;
  readonly devicePool?: string;
  readonly callingSearchSpace?: string;
  readonly owner?: string;
  /** The SIP password is write-only: never shown. */
  readonly sip?: { readonly username: string };
  readonly lines: readonly LineAppearanceResource[];
}

export interface Resources {
  partition: PartitionResource;
  callingSearchSpace: CallingSearchSpaceResource;
  devicePool: DevicePoolResource;
  user: UserResource;
  line: LineResource;
  phone: PhoneResource;
}

export type ResourceKind = keyof Resources;

/** What a client sends: every key the file may leave out is optional here too. */
export interface ResourceInputs {
  partition: { name: string; description?: string };
  callingSearchSpace: { name: string; description?: string; partitions: string[] };
  devicePool: {
    name: string;
    description?: string;
    callManagerGroup?: string[];
    region?: string;
    mohSource?: string;
    locale?: string;
    toneRegion?: 'north-america' | 'itu';
  };
  user: { userid: string; name?: string };
  line: {
    dn: string;
    partition: string;
    displayName?: string;
    description?: string;
    forward?: LineForward;
    voicemail?: string;
    mwi?: boolean;
  };
  phone: {
    name: string;
    model: string;
    protocol?: 'sip' | 'sccp';
    description?: string;
    devicePool?: string;
    callingSearchSpace?: string;
    owner?: string;
    /** On update, a missing password keeps the phone's current one. */
    sip?: { username: string; password?: string };
    lines?: { dn: string; partition?: string; button?: number; label?: string }[];
  };
}

/**
 * The whole configuration in file shape (the registrar aside, which one-object changes never
 * touch). Phones keep their SIP password here: this document is written back, never shown.
 */
export interface ConfigDocument {
  partitions: object[];
  callingSearchSpaces: object[];
  devicePools: object[];
  users: object[];
  lines: object[];
  phones: object[];
}

export type DocumentSection = keyof ConfigDocument;

/** Drops unset (null) keys, as the file leaves them out. */
function present<T extends Record<string, unknown>>(object: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== null && value !== undefined),
  ) as {
    [K in keyof T]?: NonNullable<T[K]>;
  };
}

/** The inverse of the validator's file-to-store mapping (`configuration()` in validate.ts). */
export function documentOf(rows: ConfigRows): ConfigDocument {
  const members = new Map<string, string[]>();
  for (const { callingSearchSpace, partition } of rows.callingSearchSpaceMembers) {
    const list = members.get(callingSearchSpace);
    if (list) list.push(partition);
    else members.set(callingSearchSpace, [partition]);
  }
  const appearances = new Map<string, LineAppearanceResource[]>();
  for (const { device, button, dn, partition, label } of rows.lineAppearances) {
    const appearance = { button, dn, partition, ...present({ label }) };
    const list = appearances.get(device);
    if (list) list.push(appearance);
    else appearances.set(device, [appearance]);
  }
  return {
    partitions: rows.partitions.map(({ name, description }) => ({ name, description })),
    callingSearchSpaces: rows.callingSearchSpaces.map(({ name, description }) => ({
      name,
      description,
      partitions: members.get(name) ?? [],
    })),
    devicePools: rows.devicePools.map(
      ({ name, description, callManagerGroup, region, mohSource, locale, toneRegion }) => ({
        name,
        description,
        callManagerGroup,
        ...present({ region, mohSource, locale, toneRegion }),
      }),
    ),
    users: rows.users.map(({ userid, name }) => ({ userid, name })),
    lines: rows.lines.map((line) => {
      const forward = present({
        all: line.forwardAll,
        busy: line.forwardBusy,
        noAnswer: line.forwardNoAnswer,
        noAnswerTimeout: line.noAnswerTimeout,
      });
      return {
        dn: line.dn,
        partition: line.partition,
        displayName: line.displayName,
        description: line.description,
        ...(Object.keys(forward).length > 0 ? { forward } : {}),
        ...present({
          voicemail: line.voicemailPilot,
          secondary: line.secondaryNumber,
          noReg: line.noRegistration,
          mwiControl: line.mwiControl,
        }),
        mwi: line.mwi,
        ...(line.dualLine ? { dualLine: true } : {}),
      };
    }),
    phones: rows.devices.map((device) => ({
      name: device.name,
      model: device.model,
      protocol: device.protocol,
      description: device.description,
      ...present({
        devicePool: device.devicePool,
        callingSearchSpace: device.callingSearchSpace,
        owner: device.owner,
      }),
      ...(device.sipUsername === null
        ? {}
        : { sip: { username: device.sipUsername, password: device.sipPassword ?? '' } }),
      lines: appearances.get(device.name) ?? [],
    })),
  };
}

const sectionNouns: { readonly [S in DocumentSection]: string } = {
  partitions: 'partition',
  callingSearchSpaces: 'calling search space',
  devicePools: 'device pool',
  users: 'user',
  lines: 'line',
  phones: 'phone',
};

/** `line 201 in internal`, `phone SEP0008A37128E9`: how messages name a document entry. */
export function describeEntry(section: DocumentSection, entry: object): string {
  const fields = entry as Record<string, unknown>;
  const name =
    section === 'lines'
      ? `${String(fields.dn)} in ${String(fields.partition)}`
      : String(section === 'users' ? fields.userid : fields.name);
  return `${sectionNouns[section]} ${name}`;
}

/** How each kind of resource sits in the document: its section, its key and how it is shown. */
export interface ResourceDescriptor<K extends ResourceKind> {
  readonly section: DocumentSection;
  /** The natural key; lines are `partition/dn` (names cannot contain `/`). */
  keyOf(object: ResourceInputs[K] | Resources[K]): string;
  /** The key fields of an object from its key, for naming it in messages. */
  keyFields(key: string): object;
  /** The document entry as a client may see it. */
  show(entry: object): Resources[K];
}

const asIs = <T>(entry: object) => entry as T;
const byName = (name: string) => ({ name });

export const descriptors: { readonly [K in ResourceKind]: ResourceDescriptor<K> } = {
  partition: { section: 'partitions', keyOf: (p) => p.name, keyFields: byName, show: asIs },
  callingSearchSpace: {
    section: 'callingSearchSpaces',
    keyOf: (c) => c.name,
    keyFields: byName,
    show: asIs,
  },
  devicePool: { section: 'devicePools', keyOf: (d) => d.name, keyFields: byName, show: asIs },
  user: { section: 'users', keyOf: (u) => u.userid, keyFields: (userid) => ({ userid }), show: asIs },
  line: {
    section: 'lines',
    keyOf: (l) => lineKey(l.partition, l.dn),
    keyFields: (key) => {
      const slash = key.indexOf('/');
      return { partition: key.slice(0, slash), dn: key.slice(slash + 1) };
    },
    show: asIs,
  },
  phone: {
    section: 'phones',
    keyOf: (p) => p.name,
    keyFields: byName,
    show: (entry) => {
      const { sip, ...phone } = entry as PhoneResource & { sip?: { username: string } };
      return sip ? { ...phone, sip: { username: sip.username } } : phone;
    },
  },
};

export function lineKey(partition: string, dn: string): string {
  return `${partition}/${dn}`;
}
