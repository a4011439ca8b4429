/**
 * The lines' bindings: kept in memory for routing, persisted to the store so that a restart
 * keeps them, restored from it at start, and removed by their expiry timers.
 *
 * Two ways to persist (`PersistenceMode`):
 * - `write-through`: a REGISTER's row changes are committed before it is answered, so every
 *   200 OK survives a crash. Store writes of different lines are grouped (`WriteBatcher`); a
 *   line's changes stay one after another (`KeyedQueue`).
 * - `write-back` (Kamailio usrloc `db_mode 2`): the REGISTER is answered from memory at once and
 *   its row changes are written within a bounded interval (`WriteBack`) and at a clean stop. A
 *   crash loses at most the last interval's changes; their phones register again.
 *
 * The store is there so that bindings survive a restart, not as a journal of refreshes. New
 * bindings, removals and any change a restart must see (contact, instance, path, source,
 * device, User-Agent) are written. A refresh that only moves the expiry (and
 * the Call-ID and CSeq, which only order the REGISTERs of a binding) is written only when the
 * stored expiry would fall short: when it is less than half the granted interval away, or
 * later than the new expiry. A binding restored after a crash may therefore end up to half an
 * interval early; the phone registers again then, as it does after any lost binding (RFC 3261
 * §10.2.4). Its stored Call-ID and CSeq may lag as well, which after such a restart only lets
 * a late copy of an older REGISTER for the same binding through (RFC 3261 §10.3 step 7).
 *
 * Every row update or delete leaves a dead row behind, and the embedded store has no
 * autovacuum: when the store offers `vacuum`, it runs once every `vacuumEveryRows` rows
 * written, after the write that crossed the mark, and is logged.
 */
import type { ConfigSnapshot } from '../../admin/index.js';
import {
  type Clock,
  type Endpoint,
  ownedText,
  parseUri,
  type SipLogger,
  type TransportProtocol,
} from '../../sip/index.js';
import type { RegistrationBinding, RegistrationRepository } from '../../store/index.js';
import type { Binding, LineRef } from './binding.js';
import type { BindingRequest, RequestedContact } from './binding-request.js';
import { contactKey } from './binding-request.js';
import { BindingTable } from './binding-table.js';
import { KeyedQueue } from './keyed-queue.js';
import type { PersistenceMode, RegistrationPersistence } from './persistence.js';
import { WriteBack, type WriteBackLimits } from './write-back.js';
import { type RowChange, WriteBatcher, type WriteBatcherLimits } from './write-batcher.js';

export type BindingEvent =
  | { readonly type: 'registered'; readonly binding: Binding; readonly refresh: boolean }
  | { readonly type: 'unregistered'; readonly binding: Binding; readonly reason: 'removed' | 'expired' };

/** A REGISTER's change to one line, after authentication and authorisation. */
export interface BindingChange {
  readonly line: LineRef;
  readonly phone: string;
  readonly request: Exclude<BindingRequest, { kind: 'reject' }>;
  readonly callId: string;
  readonly cseq: number;
  readonly userAgent: string | null;
  readonly path: readonly string[];
  readonly source: Endpoint;
}

export type ChangeResult =
  | { readonly ok: true; readonly bindings: readonly Binding[] }
  | {
      readonly ok: false;
      readonly status: number;
      readonly reason: string;
      /** Seconds after which the phone may try again (RFC 3261 §20.33), for a passing overload. */
      readonly retryAfter?: number;
    };

export interface LocationServiceOptions {
  readonly persistence: RegistrationPersistence;
  readonly clock: Clock;
  /** Wall time in epoch milliseconds, for the expiry instants kept in the store. */
  readonly wallClock: () => number;
  readonly logger: SipLogger;
  /** Host part of the AOR under which a line's bindings are stored: `sip:<dn>@<domain>`. */
  readonly domain: string;
  readonly maxBindingsPerLine: number;
  /** When a REGISTER's rows reach the store. Default `write-through`. */
  readonly mode?: PersistenceMode;
  /** Flush interval and backlog of `write-back` (default 1 s, 50,000 bindings). */
  readonly writeBack?: Partial<WriteBackLimits>;
  /** REGISTERs of one line waiting for the store at once (`write-through`); more are refused with 503. */
  readonly maxPendingPerLine: number;
  /** Size of one store write and of the backlog behind it; more is refused with 503. */
  readonly writeLimits?: WriteBatcherLimits;
  /** Rows written between two VACUUMs of the store's registrations (default 50,000). */
  readonly vacuumEveryRows?: number;
  readonly emit: (event: BindingEvent) => void;
}

/**
 * 500 rows keep one multi-row statement well under PostgreSQL's 65,535 parameters; ten batches
 * of backlog are about as much as a store write every few milliseconds drains within a UDP
 * client's first retransmission interval (RFC 3261 §17.1.2.2, T1 = 500 ms).
 */
const DEFAULT_WRITE_LIMITS: WriteBatcherLimits = { maxBatch: 500, maxQueued: 5000 };

/**
 * A second at most between a change and its row (Kamailio's usrloc writes back every
 * `timer_interval`, 60 s by default): a crash loses little, and a second of new bindings still
 * makes batches of hundreds of rows under load. The backlog holds five times a 10,000-line node's
 * bindings, about 15 MB of rows at worst.
 */
const DEFAULT_WRITE_BACK: WriteBackLimits = { intervalMs: 1000, maxPending: 50_000 };

const BUSY_RETRY_AFTER_SECONDS = 1;

/** About five rewrites of a 10,000-line node's table: dead rows never outnumber live ones much. */
const DEFAULT_VACUUM_EVERY_ROWS = 50_000;

/** The registration rows, and their VACUUM when the store has one. */
type MaintainedRows = RegistrationPersistence['registrations'] &
  Partial<Pick<RegistrationRepository, 'vacuum'>>;

/** A REGISTER's effect on its line, checked but not yet applied. */
interface ChangePlan {
  readonly removed: readonly Binding[];
  readonly added: readonly {
    readonly binding: Binding;
    readonly previous: Binding | undefined;
    readonly stored: boolean;
  }[];
  /** The row changes that persist it. */
  readonly rows: readonly RowChange[];
}

const TRANSPORTS: ReadonlySet<string> = new Set<TransportProtocol>(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

export class LocationService {
  private readonly table: BindingTable;
  private readonly queue: KeyedQueue;
  private readonly writer: WriteBatcher;
  /** Present in `write-back` mode. */
  private readonly writeBack: WriteBack | undefined;
  private readonly rows: MaintainedRows;
  private rowsSinceVacuum = 0;
  private vacuuming = false;

  constructor(private readonly options: LocationServiceOptions) {
    this.table = new BindingTable(options.clock, (binding) => this.expire(binding));
    this.queue = new KeyedQueue(options.maxPendingPerLine);
    this.rows = options.persistence.registrations;
    const writeLimits = options.writeLimits ?? DEFAULT_WRITE_LIMITS;
    this.writer = new WriteBatcher(async (upserts, deletes) => {
      await this.rows.applyBatch(upserts, deletes);
      this.rowsWritten(upserts.length + deletes.length);
    }, writeLimits);
    this.writeBack =
      options.mode === 'write-back'
        ? new WriteBack(
            this.writer,
            { ...DEFAULT_WRITE_BACK, ...options.writeBack },
            options.clock,
            options.logger,
            writeLimits.maxBatch,
          )
        : undefined;
  }

  get size(): number {
    return this.table.size;
  }

  all(): IterableIterator<Binding> {
    return this.table.all();
  }

  /** Live bindings of a DN (in one partition, or every one). */
  lookup(dn: string, partition?: string): Binding[] {
    return this.table.live(dn, partition, this.options.clock.now());
  }

  /**
   * Applies a REGISTER to its line, all or nothing (RFC 3261 §10.3 steps 6–8). Never rejects:
   * a store failure is a 500 answer. In write-back mode nothing waits, so the result comes at
   * once, not as a promise: the change is whole before another can start.
   */
  change(change: BindingChange): ChangeResult | Promise<ChangeResult> {
    if (this.writeBack !== undefined) return this.changeNow(change, this.writeBack);
    const queued = this.queue.tryRun(lineKey(change.line), () => this.changeWrittenThrough(change));
    return queued ?? Promise.resolve(busy());
  }

  /** Row changes waiting for a write-back flush. */
  get unwritten(): number {
    return this.writeBack?.size ?? 0;
  }

  /**
   * Loads the stored bindings: expired ones and those whose phone no longer shows the line
   * are deleted, the others are armed with the time they have left. Rejects when the store does.
   */
  async restore(snapshot: ConfigSnapshot): Promise<{ restored: number; dropped: number }> {
    const { persistence, clock, wallClock } = this.options;
    const expired = (await persistence.registrations.expire(new Date(wallClock()))).length;
    const drops: Promise<void>[] = [];
    let restored = 0;
    for (const row of await persistence.registrations.list()) {
      const binding = this.fromRow(row, snapshot, clock.now(), wallClock());
      if (binding === undefined) {
        // One submission per row: the batcher cuts them into statements of bounded size.
        drops.push(this.writer.submit([{ kind: 'delete', aor: row.aor, contactUri: row.contactUri }]));
        continue;
      }
      this.table.set(binding);
      restored++;
    }
    await Promise.all(drops);
    return { restored, dropped: expired + drops.length };
  }

  /**
   * Waits for changes in progress, disarms every timer and writes what waits for a write-back.
   * The store keeps the bindings. Rejects when that last write fails.
   */
  async stop(): Promise<void> {
    await this.queue.idle();
    this.table.clear();
    await this.writeBack?.close();
  }

  private async changeWrittenThrough(change: BindingChange): Promise<ChangeResult> {
    const plan = this.plan(change);
    if (!('rows' in plan)) return plan;
    if (plan.rows.length > 0) {
      const written = this.writer.tryWrite(plan.rows);
      if (written === undefined) return busy();
      try {
        await written;
      } catch (error) {
        this.options.logger.error({ err: error, dn: change.line.dn }, 'registration could not be stored');
        return { ok: false, status: 500, reason: 'Registration Not Stored' };
      }
    }
    return this.commit(change, plan);
  }

  private changeNow(change: BindingChange, writeBack: WriteBack): ChangeResult {
    const plan = this.plan(change);
    if (!('rows' in plan)) return plan;
    if (plan.rows.length > 0 && !writeBack.tryQueue(plan.rows)) return busy();
    return this.commit(change, plan);
  }

  /**
   * What a REGISTER does to its line (RFC 3261 §10.3 steps 6–7), all or nothing, and the row
   * changes that persist it; or the answer when it changes nothing.
   */
  private plan(change: BindingChange): ChangePlan | ChangeResult {
    const { clock, maxBindingsPerLine } = this.options;
    const now = clock.now();
    const current = this.table.live(change.line.dn, change.line.partition, now);
    if (change.request.kind === 'query') return { ok: true, bindings: current };

    const removed: Binding[] = [];
    const added: { binding: Binding; previous: Binding | undefined; stored: boolean }[] = [];
    if (change.request.kind === 'remove-all') {
      if (current.some((binding) => isOutOfOrder(binding, change))) return outOfOrder();
      removed.push(...current);
    } else {
      for (const requested of change.request.contacts) {
        // A line has a handful of bindings at most (maxBindingsPerLine): a scan beats a map.
        const previous = current.find((binding) => binding.contactKey === requested.contactKey);
        if (previous !== undefined && isOutOfOrder(previous, change)) return outOfOrder();
        if (requested.expires === 0) {
          if (previous !== undefined) removed.push(previous);
          continue;
        }
        const expiresAt = now + requested.expires * 1000;
        if (previous !== undefined && rowStillHolds(previous, change, requested, expiresAt, now)) {
          // The stored row stays as it is: only the ordering and the expiry in memory move.
          const callId = previous.callId === change.callId ? previous.callId : ownedText(change.callId);
          const binding: Binding = { ...previous, callId, cseq: change.cseq, expiresAt };
          added.push({ binding, previous, stored: true });
          continue;
        }
        const binding: Binding = {
          line: change.line,
          phone: change.phone,
          contact: ownedText(requested.contact),
          contactKey: ownedText(requested.contactKey),
          instanceId: requested.instanceId === null ? null : ownedText(requested.instanceId),
          path: change.path.length === 0 ? NO_PATH : change.path.map(ownedText),
          callId: ownedText(change.callId),
          cseq: change.cseq,
          userAgent: change.userAgent === null ? null : ownedText(change.userAgent),
          source: { ...change.source },
          expiresAt,
          storedUntil: expiresAt,
        };
        added.push({ binding, previous, stored: false });
      }
      let fresh = 0;
      for (const entry of added) if (entry.previous === undefined) fresh++;
      if (current.length - removed.length + fresh > maxBindingsPerLine)
        return { ok: false, status: 403, reason: 'Too Many Contacts' };
    }

    const rows: RowChange[] = [];
    for (const binding of removed) rows.push(this.deletion(binding));
    for (const { binding, previous, stored } of added) {
      if (stored) continue;
      // One contact spelled differently (same key, other text) is one binding: drop the old row.
      if (previous !== undefined && previous.contact !== binding.contact) rows.push(this.deletion(previous));
      rows.push({ kind: 'upsert', row: this.toRow(binding, now) });
    }
    return { removed, added, rows };
  }

  /** Applies a planned change to memory and tells of it. */
  private commit(change: BindingChange, { removed, added }: ChangePlan): ChangeResult {
    for (const binding of removed) {
      if (this.table.remove(binding)) this.options.emit({ type: 'unregistered', binding, reason: 'removed' });
    }
    for (const { binding, previous } of added) {
      this.table.set(binding);
      this.options.emit({ type: 'registered', binding, refresh: previous !== undefined });
    }
    return { ok: true, bindings: this.lookup(change.line.dn, change.line.partition) };
  }

  /** Counts written rows and starts a VACUUM once enough of them have left dead rows behind. */
  private rowsWritten(count: number): void {
    this.rowsSinceVacuum += count;
    const limit = this.options.vacuumEveryRows ?? DEFAULT_VACUUM_EVERY_ROWS;
    if (this.rowsSinceVacuum < limit || this.vacuuming || this.rows.vacuum === undefined) return;
    const { clock, logger } = this.options;
    const rows = this.rowsSinceVacuum;
    const started = clock.now();
    this.rowsSinceVacuum = 0;
    this.vacuuming = true;
    this.rows
      .vacuum()
      .then(
        () => logger.info({ rows, ms: Math.round(clock.now() - started) }, 'registrations table vacuumed'),
        (error: unknown) => logger.warn({ err: error }, 'registrations table could not be vacuumed'),
      )
      .finally(() => {
        this.vacuuming = false;
      });
  }

  private expire(binding: Binding): void {
    if (this.writeBack !== undefined) {
      if (!this.table.remove(binding)) return;
      this.options.emit({ type: 'unregistered', binding, reason: 'expired' });
      this.writeBack.queue([this.deletion(binding)]);
      return;
    }
    this.queue
      .run(lineKey(binding.line), async () => {
        if (!this.table.remove(binding)) return;
        this.options.emit({ type: 'unregistered', binding, reason: 'expired' });
        // A row left behind by a failing store is dropped by the next restore.
        await this.writer.submit([this.deletion(binding)]);
      })
      .catch((error: unknown) => {
        this.options.logger.warn(
          { err: error, dn: binding.line.dn },
          'expired registration not deleted from the store',
        );
      });
  }

  private deletion(binding: Binding): RowChange {
    return { kind: 'delete', aor: this.aorOf(binding.line), contactUri: binding.contact };
  }

  private aorOf(line: LineRef): string {
    return `sip:${line.dn}@${this.options.domain}`;
  }

  private toRow(binding: Binding, now: number): RegistrationBinding {
    return {
      aor: this.aorOf(binding.line),
      contactUri: binding.contact,
      device: binding.phone,
      line: binding.line.dn,
      path: binding.path,
      expiresAt: new Date(this.options.wallClock() + (binding.expiresAt - now)),
      instanceId: binding.instanceId,
      callId: binding.callId,
      cseq: binding.cseq,
      userAgent: binding.userAgent,
      sourceAddress: binding.source.address,
      sourcePort: binding.source.port,
      transport: binding.source.protocol,
    };
  }

  /** The binding a stored row stands for, or undefined when it no longer applies. */
  private fromRow(
    row: RegistrationBinding,
    snapshot: ConfigSnapshot,
    now: number,
    wallNow: number,
  ): Binding | undefined {
    const left = row.expiresAt.getTime() - wallNow;
    if (!(left > 0) || row.device === null || row.line === null || !TRANSPORTS.has(row.transport))
      return undefined;
    const appearance = snapshot.phones
      .get(row.device)
      ?.lines.find((candidate) => candidate.line.dn === row.line);
    const uri = parseUri(row.contactUri);
    if (appearance === undefined || !uri.ok || row.aor !== this.aorOf(appearance.line)) return undefined;
    return {
      line: { dn: appearance.line.dn, partition: appearance.line.partition },
      phone: row.device,
      contact: row.contactUri,
      contactKey: contactKey(uri.value),
      instanceId: row.instanceId,
      path: row.path,
      callId: row.callId,
      cseq: row.cseq,
      userAgent: row.userAgent,
      source: {
        address: row.sourceAddress,
        port: row.sourcePort,
        protocol: row.transport as TransportProtocol,
      },
      expiresAt: now + left,
      storedUntil: now + left,
    };
  }
}

/**
 * Whether a refresh of `previous` to `expiresAt` can leave its stored row alone: everything a
 * restart needs but the request's ordering is unchanged, and the stored expiry is neither later than the new one nor
 * less than half the granted interval away (the rule in the header of this file).
 */
function rowStillHolds(
  previous: Binding,
  change: BindingChange,
  requested: RequestedContact,
  expiresAt: number,
  now: number,
): boolean {
  const stored = previous.storedUntil;
  return (
    stored <= expiresAt &&
    2 * (stored - now) >= expiresAt - now &&
    previous.contact === requested.contact &&
    previous.instanceId === requested.instanceId &&
    previous.phone === change.phone &&
    previous.userAgent === change.userAgent &&
    sameEndpoint(previous.source, change.source) &&
    samePath(previous.path, change.path)
  );
}

const NO_PATH: readonly string[] = Object.freeze([]);

function sameEndpoint(a: Readonly<Endpoint>, b: Readonly<Endpoint>): boolean {
  return a.address === b.address && a.port === b.port && a.protocol === b.protocol;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function lineKey(line: LineRef): string {
  return `${line.partition}\u0000${line.dn}`;
}

/**
 * RFC 3261 §10.3 step 7: within one Call-ID a binding only moves forward in CSeq; an older or
 * repeated request aborts the whole update. The RFC names no status; 500 is what §12.2.2 uses
 * for a request out of order.
 */
function isOutOfOrder(binding: Binding, change: BindingChange): boolean {
  return binding.callId === change.callId && change.cseq <= binding.cseq;
}

/**
 * The line's queue or the store's backlog is full (RFC 3261 §21.5.4). Both drain within a
 * store write or two, so the phone is told to come back in a second rather than fail over.
 */
function busy(): ChangeResult {
  return { ok: false, status: 503, reason: 'Registrar Busy', retryAfter: BUSY_RETRY_AFTER_SECONDS };
}

function outOfOrder(): ChangeResult {
  return { ok: false, status: 500, reason: 'Request Out of Order' };
}
