/**
 * A registrar under test without sockets or a database: a fake stack that hands REGISTERs
 * straight to the adapter's handler, bindings kept in a map, and a fake clock.
 */

import {
  createSipLineAdapter,
  type RegistrationPersistence,
  type RegistrationRows,
  type SipLineAdapter,
  type SipLineAdapterOptions,
} from '../../../../src/adapters/sip-line/index.js';
import { buildSnapshot, type ConfigSnapshot } from '../../../../src/admin/index.js';
import {
  authorizeRequest,
  createRequest,
  createResponse,
  FakeClock,
  generateCallId,
  type IncomingRequest,
  type ReplyOptions,
  type RequestHandler,
  reasonPhrase,
  type SipLogger,
  type SipRequest,
  type SipResponse,
} from '../../../../src/sip/index.js';
import type { ConfigRows, RegistrationBinding } from '../../../../src/store/index.js';
import { emptyRows, lineRow, sipPhoneRow } from '../../../helpers/config-rows.js';

/** Epoch of the fake wall clock: wall time = EPOCH + fake clock time. */
export const EPOCH = Date.UTC(2030, 0, 1);

/**
 * Phones 201 and 202 as in examples/demo.yaml (demo credentials), phone 201 also showing line
 * 205, and phone 203 whose password is not set.
 */
export function demoSnapshot(
  registrar = { expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 },
): ConfigSnapshot {
  const rows: ConfigRows = {
    ...emptyRows(),
    registrar,
    partitions: [{ name: 'internal', description: '' }],
    lines: [lineRow('201'), lineRow('202'), lineRow('203'), lineRow('205')],
    devices: [
      sipPhoneRow('phone-201', { sipUsername: '201', sipPassword: 'demo-201' }),
      sipPhoneRow('phone-202', { sipUsername: '202', sipPassword: 'demo-202' }),
      sipPhoneRow('phone-203', { sipUsername: '203' }),
    ],
    lineAppearances: [
      { device: 'phone-201', button: 1, dn: '201', partition: 'internal', label: null },
      { device: 'phone-201', button: 2, dn: '205', partition: 'internal', label: null },
      { device: 'phone-202', button: 1, dn: '202', partition: 'internal', label: null },
      { device: 'phone-203', button: 1, dn: '203', partition: 'internal', label: null },
    ],
  };
  return buildSnapshot(rows);
}

/**
 * Registration rows in a map; `failing` makes every write reject (a lost database). `batches`
 * records each write's size, to see group commit at work.
 */
export class MemoryRegistrations implements RegistrationPersistence, RegistrationRows {
  readonly rows = new Map<string, RegistrationBinding>();
  readonly batches: { upserts: number; deletes: number }[] = [];
  failing = false;
  readonly registrations = this;

  async applyBatch(
    upserts: readonly RegistrationBinding[],
    deletes: readonly Pick<RegistrationBinding, 'aor' | 'contactUri'>[],
  ): Promise<void> {
    if (this.failing) throw new Error('database unavailable');
    this.batches.push({ upserts: upserts.length, deletes: deletes.length });
    for (const key of deletes) this.rows.delete(`${key.aor} ${key.contactUri}`);
    for (const row of upserts) this.rows.set(`${row.aor} ${row.contactUri}`, row);
  }

  async list(): Promise<RegistrationBinding[]> {
    return [...this.rows.values()];
  }

  async expire(now: Date): Promise<RegistrationBinding[]> {
    const expired = [...this.rows.entries()].filter(([, row]) => row.expiresAt <= now);
    for (const [key] of expired) this.rows.delete(key);
    return expired.map(([, row]) => row);
  }
}

export class RecordingLogger implements SipLogger {
  readonly lines: { level: string; message: string; fields: object }[] = [];
  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

export interface RegisterInit {
  /** The line (To user). */
  dn: string;
  /** Contact header values; none makes a query. */
  contacts?: string[];
  expires?: number;
  callId?: string;
  cseq?: number;
  extraHeaders?: [string, string][];
}

export interface Account {
  username: string;
  password: string;
}

export class RegistrarHarness {
  readonly clock = new FakeClock();
  readonly store = new MemoryRegistrations();
  readonly logger = new RecordingLogger();
  snapshot = demoSnapshot();
  /** Responses the adapter asked to send statelessly (RFC 3261 §8.2.7). */
  readonly stateless = new WeakSet<SipResponse>();
  adapter: SipLineAdapter;
  private handler: RequestHandler | undefined;

  constructor(options: Partial<SipLineAdapterOptions> = {}) {
    this.adapter = this.createAdapter(options);
  }

  /** A fresh adapter over the same store and clock, as after a restart. */
  createAdapter(options: Partial<SipLineAdapterOptions> = {}): SipLineAdapter {
    return createSipLineAdapter({
      stack: { onRequest: (_method, handler) => (this.handler = handler) },
      store: this.store,
      snapshot: () => this.snapshot,
      clock: this.clock,
      wallClock: () => EPOCH + this.clock.now(),
      logger: this.logger,
      realm: 'strowger.test',
      ...options,
    });
  }

  /** Hands one request to the adapter as the stack would and resolves with its final response. */
  async send(request: SipRequest, source = '192.0.2.10'): Promise<SipResponse> {
    let final: SipResponse | undefined;
    const stateless = this.stateless;
    const incoming: IncomingRequest = {
      request,
      info: {
        source: { protocol: 'UDP', address: source, port: 5060 },
        local: { protocol: 'UDP', address: '192.0.2.1', port: 5060 },
        receivedAt: this.clock.now(),
      },
      dialog: undefined,
      get answered() {
        return final !== undefined;
      },
      reply(status: number, reason?: string, options: ReplyOptions = {}) {
        const response = createResponse(request, status, reason ?? reasonPhrase(status), {
          headers: options.headers,
        });
        if (status >= 200 && final === undefined) final = response;
        if (options.stateless === true) stateless.add(response);
        return response;
      },
      accept() {
        throw new Error('REGISTER creates no dialog');
      },
      onCancel() {},
    };
    if (this.handler === undefined) throw new Error('the adapter installed no REGISTER handler');
    await this.handler(incoming);
    if (final === undefined) throw new Error('the REGISTER was not answered');
    return final;
  }

  /** REGISTER, then (on 401) the same REGISTER with credentials: the final response. */
  async register(init: RegisterInit, account?: Account, source?: string): Promise<SipResponse> {
    const callId = init.callId ?? generateCallId();
    const cseq = init.cseq ?? 1;
    const first = await this.send(registerRequest({ ...init, callId, cseq }), source);
    if (first.status !== 401 || account === undefined) return first;
    return this.send(this.authorized(first, { ...init, callId, cseq: cseq + 1 }, account), source);
  }

  /** A REGISTER carrying credentials for the challenge in `challenge`. */
  authorized(challenge: SipResponse, init: RegisterInit, account: Account): SipRequest {
    const unsigned = registerRequest(init);
    const authorization = authorizeRequest({ response: challenge, request: unsigned, account });
    if (!authorization.ok) throw new Error(authorization.error.message);
    return registerRequest({
      ...init,
      extraHeaders: [
        ...(init.extraHeaders ?? []),
        ...authorization.value.values.map((value): [string, string] => [authorization.value.name, value]),
      ],
    });
  }
}

export function registerRequest(init: RegisterInit): SipRequest {
  const headers: [string, string][] = [];
  for (const contact of init.contacts ?? []) headers.push(['Contact', contact]);
  if (init.expires !== undefined) headers.push(['Expires', String(init.expires)]);
  headers.push(...(init.extraHeaders ?? []));
  return createRequest({
    method: 'REGISTER',
    uri: 'sip:192.0.2.1',
    from: `<sip:${init.dn}@192.0.2.1>;tag=registrar-test`,
    to: `<sip:${init.dn}@192.0.2.1>`,
    callId: init.callId ?? generateCallId(),
    cseq: init.cseq ?? 1,
    headers,
  });
}

export const PHONE_201: Account = { username: '201', password: 'demo-201' };
export const PHONE_202: Account = { username: '202', password: 'demo-202' };

/** The Contact values of a response. */
export function contactsOf(response: SipResponse): string[] {
  return response.headers.getAll('Contact');
}
