/**
 * Store rows built by hand for snapshot tests: an empty configuration, and a line or a SIP phone
 * with every column at its default so that a test names only what it is about.
 */
import type { ConfigRows, DeviceRow, LineRow } from '../../src/store/index.js';

/** A configuration with nothing in it; fresh arrays on each call, so a test may fill them. */
export function emptyRows(): ConfigRows {
  return {
    registrar: null,
    meta: null,
    partitions: [],
    callingSearchSpaces: [],
    callingSearchSpaceMembers: [],
    devicePools: [],
    users: [],
    lines: [],
    devices: [],
    lineAppearances: [],
  };
}

/** Directory number `dn` in partition `internal`, no forwarding, MWI on. */
export function lineRow(dn: string, fields: Partial<LineRow> = {}): LineRow {
  return {
    dn,
    partition: 'internal',
    displayName: '',
    description: '',
    forwardAll: null,
    forwardBusy: null,
    forwardNoAnswer: null,
    noAnswerTimeout: null,
    voicemailPilot: null,
    mwi: true,
    ...fields,
  };
}

/** A SIP phone of model `SIP phone` in no device pool, without credentials unless given. */
export function sipPhoneRow(name: string, fields: Partial<DeviceRow> = {}): DeviceRow {
  return {
    name,
    model: 'SIP phone',
    protocol: 'sip',
    description: '',
    devicePool: null,
    callingSearchSpace: null,
    owner: null,
    sipUsername: null,
    sipPassword: null,
    ...fields,
  };
}
