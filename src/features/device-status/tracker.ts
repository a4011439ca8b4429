/**
 * The per-device status tracker (R-REG-30, R-REG-37): fed by the line adapter's registration
 * attempts and binding events, joined at read time with the configuration and the provisioning
 * fetch log. A phone goes `registered` with its first live binding and `unregistered` when the
 * last one goes: removed by the phone, or expired because no refresh came in time (its
 * keepalive is lost). Memory is bounded: configured phones one record each, devices that are
 * not configured at most `maxStrangers` (least recently seen first out), and per device the last
 * `historyLength` transitions and `attemptsKept` attempts.
 */
import type {
  AttemptView,
  DeviceEvidence,
  DeviceState,
  DeviceStatus,
  EndpointView,
  FetchView,
  TransitionView,
} from './device-status.js';

/** The configuration as far as the tracker reads it (the admin snapshot fits). */
export interface ConfiguredDevices {
  readonly phones: ReadonlyMap<
    string,
    {
      readonly name: string;
      readonly model: string;
      readonly protocol: 'sip' | 'sccp';
      readonly devicePool: string | null;
    }
  >;
}

/** A REGISTER's outcome as the line adapter reports it. */
export interface AttemptInput {
  readonly at: number;
  readonly device: string | null;
  readonly identity: {
    readonly model: string | null;
    readonly load: string | null;
    readonly userAgent: string | null;
  };
  readonly source: EndpointView;
  readonly line: string | null;
  readonly result: 'accepted' | 'rejected' | 'added';
  readonly status: number;
  readonly reason: string | null;
  readonly detail: string;
}

/** A binding that appeared or went, as the line adapter reports it. */
export interface BindingInput {
  readonly phone: string;
  readonly source: EndpointView;
  readonly userAgent: string | null;
}

/** A file request as the provisioning fetch log records it. */
export interface FetchInput {
  readonly file: string;
  readonly found: boolean;
  readonly remote: { readonly address: string };
  readonly at: Date;
  readonly via: 'tftp' | 'http';
}

export interface DeviceStatusTrackerOptions {
  /** This node's name or address, shown with every status and transition. */
  readonly node: string;
  readonly configuration: () => ConfiguredDevices;
  /** The device's file requests, oldest first (the provisioning service's `fetches`). */
  readonly fetches: (device: string) => readonly FetchInput[];
  /** StationKeepaliveInterval of a device pool in seconds (R-REG-21: default 30, at most 1000). */
  readonly keepaliveSeconds?: (devicePool: string | null) => number;
  readonly autoRegistration?: boolean;
  /** Epoch milliseconds. Default Date.now. */
  readonly wallClock?: () => number;
  /** Devices that are not configured remembered at once (default 10,000). */
  readonly maxStrangers?: number;
  /** Transitions kept per device (default 32). */
  readonly historyLength?: number;
  /** Attempts kept per device (default 16). */
  readonly attemptsKept?: number;
}

/** CUCM's StationKeepaliveInterval default (R-REG-21). */
export const DEFAULT_KEEPALIVE_SECONDS = 30;

interface DeviceRecord {
  state: DeviceState;
  reason: string | null;
  reasonCode: string | null;
  address: EndpointView | null;
  /** Live bindings on this node. */
  bindings: number;
  modelSeen: string | null;
  load: string | null;
  userAgent: string | null;
  readonly attempts: AttemptLog;
  readonly history: TransitionView[];
}

/** An attempt as kept: a slot of its device's log, rewritten in place when the log is full. */
interface AttemptSlot {
  at: number;
  result: AttemptView['result'];
  status: number;
  reason: string | null;
  detail: string;
  source: EndpointView;
  line: string | null;
}

/**
 * A device's last attempts, oldest first, in slots reused once `capacity` are written: a phone
 * refreshing for months costs no allocation per REGISTER, and nothing here ages into the old
 * generation of the heap only to die there. Times stay numbers until a view is read.
 */
class AttemptLog {
  private readonly slots: AttemptSlot[] = [];
  /** The oldest slot once the log is full. */
  private oldest = 0;

  constructor(private readonly capacity: number) {}

  add(input: AttemptInput): AttemptSlot {
    const full = this.slots.length === this.capacity;
    const slot = full ? (this.slots[this.oldest] as AttemptSlot) : blankSlot();
    if (full) this.oldest = (this.oldest + 1) % this.capacity;
    else this.slots.push(slot);
    slot.at = input.at;
    slot.result = input.result;
    slot.status = input.status;
    slot.reason = input.reason;
    slot.detail = input.detail;
    slot.line = input.line;
    // The address the slot held (a phone refreshing from where it was) is kept, not copied again.
    if (!sameEndpoint(slot.source, input.source)) slot.source = copyEndpoint(input.source);
    return slot;
  }

  latest(): AttemptView | null {
    const count = this.slots.length;
    return count === 0 ? null : attemptView(this.slots[(this.oldest + count - 1) % count] as AttemptSlot);
  }

  views(): AttemptView[] {
    const views: AttemptView[] = [];
    const count = this.slots.length;
    for (let i = 0; i < count; i++)
      views.push(attemptView(this.slots[(this.oldest + i) % count] as AttemptSlot));
    return views;
  }
}

function blankSlot(): AttemptSlot {
  return {
    at: 0,
    result: 'rejected',
    status: 0,
    reason: null,
    detail: '',
    source: { protocol: '', address: '', port: 0 },
    line: null,
  };
}

function attemptView(slot: AttemptSlot): AttemptView {
  return {
    at: iso(slot.at),
    result: slot.result,
    status: slot.status,
    reason: slot.reason,
    detail: slot.detail,
    source: slot.source,
    line: slot.line,
  };
}

const KEEPALIVE_LOST = 'keepalive lost: no refresh before the registration expired';
const REMOVED = 'unregistered by the phone';
const NOT_SEEN = 'not seen since the node started';
const ADDED = 'added by auto-registration: waiting for it to fetch its file and register';

export class DeviceStatusTracker {
  private readonly known = new Map<string, DeviceRecord>();
  /** Devices that are not configured, least recently seen first. */
  private readonly strangers = new Map<string, DeviceRecord>();
  private readonly wallClock: () => number;
  private readonly maxStrangers: number;
  private readonly historyLength: number;
  private readonly attemptsKept: number;

  constructor(private readonly options: DeviceStatusTrackerOptions) {
    this.wallClock = options.wallClock ?? Date.now;
    this.maxStrangers = Math.max(1, options.maxStrangers ?? 10_000);
    this.historyLength = Math.max(1, options.historyLength ?? 32);
    this.attemptsKept = Math.max(1, options.attemptsKept ?? 16);
  }

  /** A REGISTER answered for good. Attempts naming no device are not attributable and are dropped. */
  attempt(input: AttemptInput): void {
    if (input.device === null) return;
    const record = this.recordOf(input.device);
    record.address = record.attempts.add(input).source;
    record.modelSeen = input.identity.model ?? record.modelSeen;
    record.load = input.identity.load ?? record.load;
    record.userAgent = input.identity.userAgent ?? record.userAgent;
    // A rejected REGISTER (say a stray device with this phone's credentials) does not undo a
    // registration that is still live.
    if (record.bindings > 0) return;
    if (input.result === 'rejected')
      this.transition(record, 'rejected', input.detail, input.reason, input.at);
    else if (input.result === 'added') this.transition(record, 'unregistered', ADDED, null, input.at);
  }

  /** A binding appeared (a refresh is not a new binding). */
  registered(binding: BindingInput): void {
    const record = this.recordOf(binding.phone);
    record.bindings++;
    const address = copyEndpoint(binding.source);
    const moved = record.address !== null && !sameEndpoint(record.address, address);
    record.address = address;
    record.userAgent = binding.userAgent ?? record.userAgent;
    if (record.state !== 'registered' || moved)
      this.transition(record, 'registered', null, null, this.wallClock(), moved);
  }

  /** A binding went: `expired` means the phone did not refresh it in time. */
  unregistered(binding: BindingInput, reason: 'removed' | 'expired'): void {
    const record = this.recordOf(binding.phone);
    record.bindings = Math.max(0, record.bindings - 1);
    if (record.bindings > 0) return;
    this.transition(
      record,
      'unregistered',
      reason === 'expired' ? KEEPALIVE_LOST : REMOVED,
      null,
      this.wallClock(),
    );
  }

  /** Every configured phone and every device seen that is not configured, by name. */
  list(): DeviceStatus[] {
    const configuration = this.options.configuration();
    const names = new Set<string>(configuration.phones.keys());
    for (const name of this.strangers.keys()) names.add(name);
    for (const name of this.known.keys()) names.add(name);
    return [...names].sort().map((name) => this.view(name, configuration));
  }

  /** One device's status; undefined for a device neither configured nor seen. */
  status(name: string): DeviceStatus | undefined {
    const configuration = this.options.configuration();
    if (!configuration.phones.has(name) && !this.known.has(name) && !this.strangers.has(name))
      return undefined;
    return this.view(name, configuration);
  }

  /** What `diagnose phone` needs from this node; undefined for a device neither configured nor seen. */
  evidence(name: string): DeviceEvidence | undefined {
    const status = this.status(name);
    if (status === undefined && this.options.fetches(name).length === 0) return undefined;
    const record = this.known.get(name) ?? this.strangers.get(name);
    return {
      status: status ?? this.view(name, this.options.configuration()),
      fetches: this.options.fetches(name).map(fetchView),
      attempts: record ? record.attempts.views() : [],
      autoRegistration: this.options.autoRegistration ?? false,
    };
  }

  private view(name: string, configuration: ConfiguredDevices): DeviceStatus {
    const phone = configuration.phones.get(name);
    const record = this.known.get(name) ?? this.strangers.get(name);
    const fetches = this.options.fetches(name);
    const lastFetch = fetches[fetches.length - 1];
    const devicePool = phone?.devicePool ?? null;
    return {
      name,
      configured: phone !== undefined,
      status: record?.state ?? 'unknown',
      reason: record === undefined ? NOT_SEEN : record.reason,
      reasonCode: record?.reasonCode ?? null,
      address: record?.address ?? null,
      node: this.options.node,
      protocol: phone?.protocol ?? null,
      model: { configured: phone?.model ?? null, seen: record?.modelSeen ?? null },
      load: record?.load ?? null,
      userAgent: record?.userAgent ?? null,
      devicePool,
      keepaliveSeconds: this.options.keepaliveSeconds?.(devicePool) ?? DEFAULT_KEEPALIVE_SECONDS,
      lastFetch: lastFetch === undefined ? null : fetchView(lastFetch),
      lastRegistration: record?.attempts.latest() ?? null,
      history: record ? [...record.history] : [],
    };
  }

  private transition(
    record: DeviceRecord,
    state: DeviceState,
    reason: string | null,
    reasonCode: string | null,
    at: number,
    force = false,
  ): void {
    if (!force && record.state === state && record.reason === reason) return;
    record.state = state;
    record.reason = reason;
    record.reasonCode = reasonCode;
    push(
      record.history,
      { at: iso(at), status: state, reason, node: this.options.node, address: record.address },
      this.historyLength,
    );
  }

  /**
   * The record of a device, created on first sight. A device that becomes configured (added by
   * auto-registration) keeps what was seen of it; one no longer configured joins the strangers.
   */
  private recordOf(name: string): DeviceRecord {
    const configured = this.options.configuration().phones.has(name);
    const from = configured ? this.strangers : this.known;
    const to = configured ? this.known : this.strangers;
    let record = to.get(name);
    // A configured phone seen before (every REGISTER of a running node) stays where it is.
    if (record !== undefined && configured) return record;
    if (record === undefined) {
      record = from.get(name) ?? newRecord(this.attemptsKept);
      from.delete(name);
    } else {
      // A stranger re-inserted: the strangers stay ordered by last sight.
      to.delete(name);
    }
    to.set(name, record);
    if (this.strangers.size > this.maxStrangers) {
      const oldest = this.strangers.keys().next();
      if (!oldest.done) this.strangers.delete(oldest.value);
    }
    return record;
  }
}

function newRecord(attemptsKept: number): DeviceRecord {
  return {
    state: 'unknown',
    reason: null,
    reasonCode: null,
    address: null,
    bindings: 0,
    modelSeen: null,
    load: null,
    userAgent: null,
    attempts: new AttemptLog(attemptsKept),
    history: [],
  };
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.shift();
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function copyEndpoint(endpoint: EndpointView): EndpointView {
  return { protocol: endpoint.protocol, address: endpoint.address, port: endpoint.port };
}

function sameEndpoint(a: EndpointView, b: EndpointView): boolean {
  return a.address === b.address && a.port === b.port && a.protocol === b.protocol;
}

function fetchView(fetch: FetchInput): FetchView {
  return {
    at: fetch.at.toISOString(),
    file: fetch.file,
    found: fetch.found,
    via: fetch.via,
    address: fetch.remote.address,
  };
}
