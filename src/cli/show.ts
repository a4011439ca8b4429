/**
 * `strowger show registrations|phones|lines|device-pools|calls|conferences|recordings|media|cdr`:
 * the running server's state as tables in the manner of IOS `show sip-ua register status`, `show
 * ephone registered`, `show call active voice brief` and `show voip rtp connections`, read through
 * the management API. `--json` prints the API's own JSON instead.
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { DevicePoolResource, LineResource, PhoneResource } from '../admin/index.js';
import type {
  CallView,
  ConferenceRoomView,
  MediaStateView,
  RecordingFileView,
  RecordingView,
  RegistrationView,
  TrunkView,
} from '../api/index.js';
import type { DeviceStatus } from '../features/device-status/index.js';
import { type ApiClient, ApiClientError, createApiClient } from './api-client.js';

/** A call detail record as `GET /api/v1/cdrs` answers it. */
export interface CdrJson {
  readonly callId: string;
  readonly calling: string;
  readonly called: string;
  readonly originalCalled: string | null;
  readonly setupAt: string;
  readonly answerAt: string | null;
  readonly endAt: string;
  readonly duration: number;
  readonly cause: string;
}

const DEFAULT_API = 'http://127.0.0.1:8080';
/** Longer cell values are cut, so that one odd value does not break the table. */
const MAX_CELL = 60;

/**
 * Values come from the network (user agents, contacts): control characters are replaced so that
 * they cannot drive the terminal, and long values are cut.
 */
function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const text = String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

/** Columns two spaces apart, headings underlined with `=` as IOS does. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const output = new Table({
    head: [...head],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  output.push(
    widths.map((width) => '='.repeat(width)),
    ...rows.map((row) => [...row]),
  );
  return output
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `01:02:03`, as IOS shows call durations. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(whole / 3600))}:${two(Math.floor((whole % 3600) / 60))}:${two(whole % 60)}`;
}

function endpoint(source: RegistrationView['source']): string {
  const host = source.address.includes(':') ? `[${source.address}]` : source.address;
  return `${source.protocol} ${host}:${source.port}`;
}

/** Like `show sip-ua register status`: one row per binding. */
export function formatRegistrations(registrations: readonly RegistrationView[]): string {
  const rows = registrations.map((r) => [
    cell(r.dn),
    cell(r.partition),
    cell(r.phone),
    cell(r.contact),
    cell(endpoint(r.source)),
    cell(r.expiresIn),
    cell(r.userAgent),
  ]);
  const head = ['Line', 'Partition', 'Phone', 'Contact', 'Source', 'Expires(sec)', 'User agent'];
  return `${table(head, rows)}\n${plural(registrations.length, 'registration')}\n`;
}

/** Like `show ephone registered`: every configured phone with its real-time status. */
export function formatPhones(
  phones: readonly PhoneResource[],
  registrations: readonly RegistrationView[],
): string {
  const byPhone = new Map<string, RegistrationView>();
  for (const registration of registrations) {
    if (!byPhone.has(registration.phone)) byPhone.set(registration.phone, registration);
  }
  const rows = phones.map((phone) => {
    const registration = byPhone.get(phone.name);
    return [
      cell(phone.name),
      cell(phone.model),
      phone.protocol.toUpperCase(),
      registration ? 'Registered' : 'Unregistered',
      cell(registration && endpoint(registration.source)),
      cell(phone.lines.map((line) => line.dn).join(',')),
      cell(phone.description),
    ];
  });
  const registered = phones.filter((phone) => byPhone.has(phone.name)).length;
  const head = ['Name', 'Model', 'Protocol', 'Status', 'Address', 'Lines', 'Description'];
  return `${table(head, rows)}\n${plural(phones.length, 'phone')}, ${registered} registered\n`;
}

function modelCell(status: DeviceStatus): string {
  const { configured, seen } = status.model;
  if (configured === null) return cell(seen);
  return seen === null ? cell(configured) : cell(`${configured} (seen ${seen})`);
}

/**
 * Like CUCM's Find and List Phones with real-time status (R-REG-30): every configured phone and
 * every device seen that is not configured, with why it is in its status, where it registered
 * from, its load, and its last file request and REGISTER.
 */
export function formatPhoneStatus(statuses: readonly DeviceStatus[]): string {
  const rows = statuses.map((status) => [
    cell(status.name),
    modelCell(status),
    cell(status.protocol?.toUpperCase()),
    status.status,
    cell(status.reason),
    cell(status.address && endpoint(status.address)),
    cell(status.node),
    cell(status.load),
    cell(
      status.lastFetch &&
        `${status.lastFetch.file} ${status.lastFetch.found ? 'served' : 'not found'} ${utc(status.lastFetch.at)}`,
    ),
    cell(
      status.lastRegistration &&
        `${status.lastRegistration.status} ${status.lastRegistration.result} ${utc(status.lastRegistration.at)}`,
    ),
  ]);
  const count = (state: DeviceStatus['status']) =>
    statuses.filter((status) => status.status === state).length;
  const head = [
    'Name',
    'Model',
    'Protocol',
    'Status',
    'Reason',
    'Address',
    'Node',
    'Load',
    'Last file',
    'Last REGISTER',
  ];
  return `${table(head, rows)}\n${plural(statuses.length, 'phone')}, ${count('registered')} registered, ${count('unregistered')} unregistered, ${count('rejected')} rejected, ${count('unknown')} unknown\n`;
}

function forwards(line: LineResource): string {
  const forward = line.forward;
  if (!forward) return '';
  const parts: string[] = [];
  if (forward.all) parts.push(`CFA ${forward.all}`);
  if (forward.busy) parts.push(`CFB ${forward.busy}`);
  if (forward.noAnswer) {
    const timeout = forward.noAnswerTimeout === undefined ? '' : `/${forward.noAnswerTimeout}s`;
    parts.push(`CFNA ${forward.noAnswer}${timeout}`);
  }
  return parts.join(' ');
}

/** Every directory number: where it appears, how many contacts it has, where it forwards. */
export function formatLines(
  lines: readonly LineResource[],
  phones: readonly PhoneResource[],
  registrations: readonly RegistrationView[],
): string {
  const key = (partition: string, dn: string) => `${partition}\u0000${dn}`;
  const appearsOn = new Map<string, string[]>();
  for (const phone of phones) {
    for (const appearance of phone.lines) {
      const at = key(appearance.partition, appearance.dn);
      appearsOn.set(at, [...(appearsOn.get(at) ?? []), phone.name]);
    }
  }
  const contacts = new Map<string, number>();
  for (const r of registrations)
    contacts.set(key(r.partition, r.dn), (contacts.get(key(r.partition, r.dn)) ?? 0) + 1);
  const rows = lines.map((line) => [
    cell(line.dn),
    cell(line.partition),
    cell(line.displayName),
    cell(appearsOn.get(key(line.partition, line.dn))?.join(',')),
    String(contacts.get(key(line.partition, line.dn)) ?? 0),
    cell(forwards(line)),
    cell(line.voicemail),
  ]);
  const head = ['DN', 'Partition', 'Display name', 'Phones', 'Registered', 'Forward', 'Voicemail'];
  return `${table(head, rows)}\n${plural(lines.length, 'line')}\n`;
}

/**
 * Every device pool with its CallManager group, the tones its phones hear (`node`: the node's
 * `media.toneRegion`) and how many phones it has.
 */
export function formatDevicePools(
  pools: readonly DevicePoolResource[],
  phones: readonly PhoneResource[],
): string {
  const members = new Map<string, number>();
  for (const phone of phones)
    if (phone.devicePool !== undefined)
      members.set(phone.devicePool, (members.get(phone.devicePool) ?? 0) + 1);
  const rows = pools.map((pool) => [
    cell(pool.name),
    cell(pool.callManagerGroup.join(',')),
    cell(pool.region),
    cell(pool.mohSource),
    cell(pool.locale),
    cell(pool.toneRegion ?? 'node'),
    String(members.get(pool.name) ?? 0),
    cell(pool.description),
  ]);
  const head = ['Name', 'CallManager group', 'Region', 'MOH', 'Locale', 'Tones', 'Phones', 'Description'];
  return `${table(head, rows)}
${plural(pools.length, 'device pool')}
`;
}

/** Like `show call active voice brief`: each call with its legs and how long it has lasted. */
export function formatCalls(calls: readonly CallView[], now: number): string {
  const rows = calls.map((call) => [
    cell(call.id),
    cell(call.phase),
    cell(call.calling),
    cell(call.called),
    formatDuration((now - call.startedAt) / 1000),
    call.answeredAt === null ? '-' : formatDuration((now - call.answeredAt) / 1000),
    cell(call.connections.map((c) => `${c.deviceId}(${c.number}) ${c.state}`).join(', ')),
  ]);
  const head = ['Call', 'State', 'Calling', 'Called', 'Age', 'Connected', 'Connections'];
  return `${table(head, rows)}\n${plural(calls.length, 'active call')}\n`;
}

/** Each conference room with its number, age and participants (one row per participant). */
export function formatConferences(rooms: readonly ConferenceRoomView[], now: number): string {
  const rows: string[][] = [];
  let participants = 0;
  for (const room of rooms) {
    const age = formatDuration((now - room.createdAt) / 1000);
    if (room.participants.length === 0)
      rows.push([cell(room.id), cell(room.number), age, '-', '-', '-', '-']);
    for (const [index, participant] of room.participants.entries()) {
      participants++;
      rows.push([
        index === 0 ? cell(room.id) : '',
        index === 0 ? cell(room.number) : '',
        index === 0 ? age : '',
        cell(participant.number),
        cell(participant.direction),
        cell(participant.state),
        cell(participant.connectionId),
      ]);
    }
  }
  const head = ['Room', 'Number', 'Age', 'Participant', 'Way', 'State', 'Connection'];
  return `${table(head, rows)}
${plural(rooms.length, 'conference')}, ${plural(participants, 'participant')}
`;
}

/** `GET /api/v1/recordings`. */
export interface RecordingListJson {
  readonly active: readonly (RecordingView & { readonly seconds: number; readonly bytes: number })[];
  readonly files: readonly RecordingFileView[];
  readonly truncated: boolean;
}

/** Recordings in progress, then the finished files in the recordings folder. */
export function formatRecordings(list: RecordingListJson): string {
  const active = list.active.map((recording) => [
    cell(recording.id),
    cell(recording.connectionId),
    cell(recording.callId),
    formatDuration(recording.seconds),
    cell(recording.bytes),
    cell(recording.file),
  ]);
  const files = list.files.map((file) => [
    cell(file.name),
    file.durationSeconds === null ? '-' : formatDuration(file.durationSeconds),
    cell(file.size),
  ]);
  const more = list.truncated ? ' (the folder holds more)' : '';
  return (
    `${table(['Recording', 'Connection', 'Call', 'Length', 'Bytes', 'File'], active)}
${plural(active.length, 'active recording')}

` +
    `${table(['File', 'Length', 'Bytes'], files)}
${plural(files.length, 'recording file')}${more}
`
  );
}

/** A share of 0–1 as `12.5%`; `-` when not known. */
function percent(share: number | null): string {
  return share === null || !Number.isFinite(share) ? '-' : `${(share * 100).toFixed(1)}%`;
}

/**
 * Like `show voip rtp connections` with CUCM's RTP statistics: the engine's workers, ports and
 * conference mixes, then one row per stream with its call, packets each way, loss (RFC 3550
 * A.3), jitter (A.8) and the packets it refused (malformed or from a foreign source).
 */
export function formatMedia(state: MediaStateView): string {
  if (!state.anchored) return 'Media is not anchored on this node (node.media.anchor: off)\n';
  const { ports } = state;
  const busy =
    state.workerUtilization.length === 0 ? '' : ` (busy ${state.workerUtilization.map(percent).join(', ')})`;
  const summary = [
    `RTP workers: ${cell(state.workers)}${busy}`,
    `RTP ports: ${cell(ports.used)} used of ${cell(ports.capacity)} (${cell(ports.available)} available)`,
    `Conferences: ${cell(state.conferences)}`,
  ];
  const rows = state.streams.map((stream) => [
    cell(stream.endpointId),
    cell(stream.kind),
    cell(stream.conferenceId),
    cell(stream.callId),
    cell(stream.connectionId),
    cell(stream.packetsReceived),
    cell(stream.packetsSent),
    cell(stream.packetsLost),
    Number.isFinite(stream.jitterMs) ? stream.jitterMs.toFixed(1) : '-',
    cell(stream.malformed + stream.foreignSource),
  ]);
  const head = [
    'Endpoint',
    'Kind',
    'Room',
    'Call',
    'Connection',
    'Pkts in',
    'Pkts out',
    'Lost',
    'Jitter(ms)',
    'Refused',
  ];
  const shown = state.streams.length < state.totalStreams ? `, ${state.streams.length} shown` : '';
  return `${summary.join('\n')}\n\n${table(head, rows)}\n${plural(state.totalStreams, 'stream')}${shown}\n`;
}

/** `2030-01-01 12:02:32`, in UTC so that every node and reader agrees. */
function utc(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? cell(iso) : date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Call detail records, newest first. */
export function formatCdrs(records: readonly CdrJson[]): string {
  const rows = records.map((record) => [
    utc(record.endAt),
    cell(record.calling),
    cell(record.called),
    cell(record.originalCalled),
    record.answerAt === null ? '-' : formatDuration(record.duration),
    cell(record.cause),
  ]);
  const head = ['Ended (UTC)', 'Calling', 'Called', 'Dialled', 'Duration', 'Cause'];
  return `${table(head, rows)}\n${plural(records.length, 'record')}\n`;
}

interface ShowOptions {
  api?: string;
  token?: string;
  json?: boolean;
  limit?: string;
}

interface View {
  readonly description: string;
  /** `--limit`'s help, for a view whose resource takes `?limit=`. */
  readonly limit?: string;
  /** The API resource the view shows; `--json` prints it as is. */
  path(options: ShowOptions): string;
  /** The table; may read more of the API (registrations for phones, say). */
  format(primary: unknown, client: ApiClient): Promise<string>;
  /** Shown instead when the node does not serve `path` (404): a node of an older release. */
  readonly fallback?: View;
}

/** Like `show sip-ua register status` followed by each trunk's service state. */
export function formatTrunks(trunks: readonly TrunkView[]): string {
  const numbers = trunks.flatMap((trunk) =>
    trunk.numbers
      .filter((number) => number.register)
      .map((number) => [
        cell(number.number),
        cell(trunk.name),
        cell(number.expiresIn ?? 0),
        number.state === 'registered' ? 'yes' : 'no',
        cell(
          number.state === 'failed' ? `${number.status ?? ''} ${number.reason ?? ''}`.trim() : number.state,
        ),
      ]),
  );
  const service = trunks.map((trunk) => [
    cell(trunk.name),
    trunk.state,
    cell(trunk.target && `${trunk.target.protocol} ${trunk.target.address}:${trunk.target.port}`),
    cell(
      trunk.lastOptions &&
        `${trunk.lastOptions.status} ${trunk.lastOptions.rttMs} ms, ${trunk.lastOptions.secondsAgo} s ago`,
    ),
    cell(trunk.consecutiveFailures),
  ]);
  return (
    `${table(['Line', 'Peer', 'Expires(sec)', 'Registered', 'State'], numbers)}\n${plural(numbers.length, 'number')} to register\n\n` +
    `${table(['Trunk', 'Service', 'Target', 'Last OPTIONS', 'Failures'], service)}\n${plural(trunks.length, 'trunk')}\n`
  );
}

function withLimit(path: string, options: ShowOptions): string {
  return options.limit === undefined ? path : `${path}?limit=${encodeURIComponent(options.limit)}`;
}

const views: Record<string, View> = {
  registrations: {
    description: 'live registration bindings (show sip-ua register status)',
    path: () => '/registrations',
    format: async (registrations) => formatRegistrations(registrations as RegistrationView[]),
  },
  phones: {
    description:
      'real-time status of every phone: registered, unregistered, rejected or unknown, with the reason (show ephone registered)',
    path: () => '/phones/status',
    format: async (statuses) => formatPhoneStatus(statuses as DeviceStatus[]),
    fallback: {
      description: 'configured phones and whether they are registered',
      path: () => '/phones',
      format: async (phones, client) =>
        formatPhones(phones as PhoneResource[], await client.get<RegistrationView[]>('/registrations')),
    },
  },
  lines: {
    description: 'directory numbers, the phones that show them and their forwards',
    path: () => '/lines',
    format: async (lines, client) => {
      const [phones, registrations] = await Promise.all([
        client.get<PhoneResource[]>('/phones'),
        client.get<RegistrationView[]>('/registrations'),
      ]);
      return formatLines(lines as LineResource[], phones, registrations);
    },
  },
  'device-pools': {
    description: 'device pools: CallManager group, region, MOH source, locale, tones and phones',
    path: () => '/device-pools',
    format: async (pools, client) =>
      formatDevicePools(pools as DevicePoolResource[], await client.get<PhoneResource[]>('/phones')),
  },
  trunks: {
    description: 'SIP trunks: registration of their numbers and service state (show sip-ua register status)',
    path: () => '/trunks',
    format: async (trunks) => formatTrunks(trunks as TrunkView[]),
  },
  calls: {
    description: 'calls in progress (show call active voice brief)',
    path: () => '/calls',
    format: async (calls) => formatCalls(calls as CallView[], Date.now()),
  },
  conferences: {
    description: 'conference rooms and their participants',
    path: () => '/conferences',
    format: async (rooms) => formatConferences(rooms as ConferenceRoomView[], Date.now()),
  },
  recordings: {
    description: 'call recordings in progress and finished recording files',
    path: () => '/recordings',
    format: async (list) => formatRecordings(list as RecordingListJson),
  },
  media: {
    description: 'the RTP engine: workers, ports, conferences and every stream (show voip rtp connections)',
    limit: 'at most this many streams (1–10000, default 1000)',
    path: (options) => withLimit('/media', options),
    format: async (state) => formatMedia(state as MediaStateView),
  },
  cdr: {
    description: 'call detail records, newest first',
    limit: 'at most this many records (1–1000, default 100)',
    path: (options) => withLimit('/cdrs', options),
    format: async (records) => formatCdrs(records as CdrJson[]),
  },
};

export function registerShowCommands(program: Command): void {
  const show = program.command('show').description("the running server's state, read through its API");
  for (const [name, view] of Object.entries(views)) {
    const command = show
      .command(name)
      .description(view.description)
      .option('--api <url>', `management API of the server (env STROWGER_API; default ${DEFAULT_API})`)
      .option('--token <token>', 'admin token (env STROWGER_TOKEN)')
      .option('--json', "print the API's JSON");
    if (view.limit) command.option('--limit <n>', view.limit);
    command.action(async (options: ShowOptions) => {
      const client = createApiClient({
        baseUrl: options.api ?? process.env.STROWGER_API ?? DEFAULT_API,
        token: options.token ?? process.env.STROWGER_TOKEN,
      });
      try {
        let shown = view;
        let primary: unknown;
        try {
          primary = await client.get<unknown>(view.path(options));
        } catch (error) {
          if (!(error instanceof ApiClientError && error.status === 404 && view.fallback)) throw error;
          shown = view.fallback;
          primary = await client.get<unknown>(shown.path(options));
        }
        process.stdout.write(
          options.json ? `${JSON.stringify(primary, null, 2)}\n` : await shown.format(primary, client),
        );
      } catch (error) {
        if (!(error instanceof ApiClientError)) throw error;
        process.stderr.write(`strowger show ${name}: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
  }
}
