/**
 * The real-time status of a device (R-REG-30, CUCM's Find and List Phones with RIS): what this
 * node saw of it, as plain data for the API, `show phones` and `diagnose phone`. Times are ISO
 * 8601 strings so that the views are the JSON the API serves.
 */

/** `unknown`: configured, but nothing seen since the node started (CUCM "Not Found"). */
export type DeviceState = 'registered' | 'unregistered' | 'rejected' | 'unknown';

export interface EndpointView {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
}

/** One file request of the phone's boot (seed §2.6–§2.8). */
export interface FetchView {
  readonly at: string;
  readonly file: string;
  readonly found: boolean;
  readonly via: 'tftp' | 'http';
  readonly address: string;
}

/** One REGISTER's final outcome. */
export interface AttemptView {
  readonly at: string;
  readonly result: 'accepted' | 'rejected' | 'added';
  readonly status: number;
  /** A registrar rejection reason (`version-error`, `unknown-device`…), null when accepted. */
  readonly reason: string | null;
  readonly detail: string;
  readonly source: EndpointView;
  readonly line: string | null;
}

/** A change of state, or of node or address while registered (failover, R-REG-37). */
export interface TransitionView {
  readonly at: string;
  readonly status: DeviceState;
  readonly reason: string | null;
  readonly node: string;
  readonly address: EndpointView | null;
}

export interface DeviceStatus {
  readonly name: string;
  /** Whether the configuration has the device. */
  readonly configured: boolean;
  readonly status: DeviceState;
  /** Why it is in that status, for people (null when registered). */
  readonly reason: string | null;
  /** The registrar's reason code of the last rejection while rejected (`version-error`…). */
  readonly reasonCode: string | null;
  /** Where its last REGISTER came from. */
  readonly address: EndpointView | null;
  /** The node this status was seen on. */
  readonly node: string;
  readonly protocol: 'sip' | 'sccp' | null;
  readonly model: { readonly configured: string | null; readonly seen: string | null };
  /** Firmware load reported by the phone (User-Agent). */
  readonly load: string | null;
  readonly userAgent: string | null;
  readonly devicePool: string | null;
  /** StationKeepaliveInterval of its device pool (R-REG-21). */
  readonly keepaliveSeconds: number;
  readonly lastFetch: FetchView | null;
  readonly lastRegistration: AttemptView | null;
  /** Oldest first, at most the tracker's history length. */
  readonly history: readonly TransitionView[];
}

/** Everything one node knows about one device: what `diagnose phone` reasons over. */
export interface DeviceEvidence {
  readonly status: DeviceStatus;
  /** The device's file requests on this node, oldest first. */
  readonly fetches: readonly FetchView[];
  /** Its last REGISTER outcomes on this node, oldest first. */
  readonly attempts: readonly AttemptView[];
  /** Whether this node adds unconfigured phones (R-REG-01). */
  readonly autoRegistration: boolean;
}
