/**
 * The one relational schema of Strowger, shared by the embedded store (PGlite) and PostgreSQL.
 * `drizzle-kit generate` turns it into the SQL migrations in `drizzle/`; keep every construct
 * within PostgreSQL 15 (Debian's server) even though PGlite is newer.
 *
 * Configuration tables use natural keys (names, DN + partition) so that configuration as code
 * can be applied idempotently. Foreign keys are restrictive unless a row is owned by its parent
 * (CSS members, line appearances), so removing something still in use fails loudly.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

export const partitions = pgTable('partitions', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
});

export const callingSearchSpaces = pgTable('calling_search_spaces', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
});

/** A CSS is an ordered list of partitions: digit analysis searches them in `position` order. */
export const callingSearchSpaceMembers = pgTable(
  'calling_search_space_members',
  {
    callingSearchSpace: text('calling_search_space').notNull(),
    position: integer('position').notNull(),
    partition: text('partition').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.callingSearchSpace, t.position] }),
    unique('calling_search_space_members_partition_once').on(t.callingSearchSpace, t.partition),
    foreignKey({
      name: 'calling_search_space_members_css_fk',
      columns: [t.callingSearchSpace],
      foreignColumns: [callingSearchSpaces.name],
    }).onDelete('cascade'),
    foreignKey({
      name: 'calling_search_space_members_partition_fk',
      columns: [t.partition],
      foreignColumns: [partitions.name],
    }),
  ],
);

export const devicePools = pgTable('device_pools', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  region: text('region'),
  /** The CallManager group: nodes a phone registers to, in failover order. */
  callManagerGroup: text('call_manager_group').array().notNull().default(sql`'{}'::text[]`),
  mohSource: text('moh_source'),
  locale: text('locale'),
  /** Call-progress tones the pool's phones hear from the node; null: the node's `toneRegion`. */
  toneRegion: text('tone_region', { enum: ['north-america', 'itu'] }),
});

export const users = pgTable('users', {
  userid: text('userid').primaryKey(),
  name: text('name').notNull().default(''),
  /** Reserved for end-user credentials (extension mobility PIN, self-care password); never plain text. */
  pinHash: text('pin_hash'),
  passwordHash: text('password_hash'),
});

/** Directory numbers. A DN is unique within its partition, not globally. */
export const lines = pgTable(
  'lines',
  {
    dn: text('dn').notNull(),
    partition: text('partition').notNull(),
    displayName: text('display_name').notNull().default(''),
    description: text('description').notNull().default(''),
    forwardAll: text('forward_all'),
    forwardBusy: text('forward_busy'),
    forwardNoAnswer: text('forward_no_answer'),
    noAnswerTimeout: integer('no_answer_timeout'),
    voicemailPilot: text('voicemail_pilot'),
    mwi: boolean('mwi').notNull().default(true),
    /** CME `number <dn> secondary <number>`: a second number that rings the same line. */
    secondaryNumber: text('secondary_number'),
    /** CME `no-reg primary|both`: which numbers are not registered with a trunk's registrar. */
    noRegistration: text('no_registration', { enum: ['primary', 'both'] }),
    /** CME ephone-dn `dual-line`: two calls at once on one button. */
    dualLine: boolean('dual_line').notNull().default(false),
    /** CME ephone-dn `mwi on|off`: a call to this DN switches the indicator of the DN in its trailing digits. */
    mwiControl: text('mwi_control', { enum: ['on', 'off'] }),
  },
  (t) => [
    check('lines_no_registration_check', sql`${t.noRegistration} in ('primary', 'both')`),
    check('lines_mwi_control_check', sql`${t.mwiControl} in ('on', 'off')`),
    primaryKey({ columns: [t.partition, t.dn] }),
    index('lines_dn').on(t.dn),
    foreignKey({ name: 'lines_partition_fk', columns: [t.partition], foreignColumns: [partitions.name] }),
  ],
);

/** Phones (Cisco `SEP<MAC>` names or free SIP device names). */
export const devices = pgTable(
  'devices',
  {
    name: text('name').primaryKey(),
    model: text('model').notNull(),
    protocol: text('protocol', { enum: ['sip', 'sccp'] }).notNull(),
    description: text('description').notNull().default(''),
    devicePool: text('device_pool'),
    callingSearchSpace: text('calling_search_space'),
    owner: text('owner'),
    sipUsername: text('sip_username').unique('devices_sip_username_unique'),
    /** Digest auth needs the secret or HA1 (RFC 8760 §3); kept as configured. */
    sipPassword: text('sip_password'),
  },
  (t) => [
    check('devices_protocol_check', sql`${t.protocol} in ('sip', 'sccp')`),
    foreignKey({
      name: 'devices_device_pool_fk',
      columns: [t.devicePool],
      foreignColumns: [devicePools.name],
    }),
    foreignKey({
      name: 'devices_calling_search_space_fk',
      columns: [t.callingSearchSpace],
      foreignColumns: [callingSearchSpaces.name],
    }),
    foreignKey({ name: 'devices_owner_fk', columns: [t.owner], foreignColumns: [users.userid] }),
  ],
);

export const lineAppearances = pgTable(
  'line_appearances',
  {
    device: text('device').notNull(),
    button: integer('button').notNull(),
    dn: text('dn').notNull(),
    partition: text('partition').notNull(),
    label: text('label'),
  },
  (t) => [
    primaryKey({ columns: [t.device, t.button] }),
    unique('line_appearances_line_once').on(t.device, t.partition, t.dn),
    foreignKey({
      name: 'line_appearances_device_fk',
      columns: [t.device],
      foreignColumns: [devices.name],
    }).onDelete('cascade'),
    foreignKey({
      name: 'line_appearances_line_fk',
      columns: [t.partition, t.dn],
      foreignColumns: [lines.partition, lines.dn],
    }),
    index('line_appearances_line').on(t.partition, t.dn),
  ],
);

/** A single row (id = 1): the SIP registrar's expiry policy, as CME `registrar server expires`. */
export const registrarSettings = pgTable(
  'registrar_settings',
  {
    id: integer('id').primaryKey().default(1),
    expiresDefault: integer('expires_default').notNull(),
    expiresMin: integer('expires_min').notNull(),
    expiresMax: integer('expires_max').notNull(),
  },
  (t) => [check('registrar_settings_single_row', sql`${t.id} = 1`)],
);

/**
 * Registration bindings persisted so that a restart does not lose them (RFC 3261 §10.3).
 * A binding is identified by its AOR and contact URI; `callId`/`cseq` let the registrar order
 * REGISTER requests (RFC 3261 §10.3 step 7). No foreign key to devices: runtime state must not
 * block configuration changes.
 */
export const registrations = pgTable(
  'registrations',
  {
    aor: text('aor').notNull(),
    contactUri: text('contact_uri').notNull(),
    device: text('device'),
    line: text('line'),
    path: text('path').array().notNull().default(sql`'{}'::text[]`),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    instanceId: text('instance_id'),
    callId: text('call_id').notNull(),
    cseq: bigint('cseq', { mode: 'number' }).notNull(),
    userAgent: text('user_agent'),
    sourceAddress: text('source_address').notNull(),
    sourcePort: integer('source_port').notNull(),
    transport: text('transport').notNull(),
  },
  (t) => [primaryKey({ columns: [t.aor, t.contactUri] }), index('registrations_expires_at').on(t.expiresAt)],
);

/** Call detail records. `duration` is the connected time in seconds (0 for unanswered calls). */
export const callRecords = pgTable(
  'call_records',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    callId: text('call_id').notNull(),
    calling: text('calling').notNull(),
    called: text('called').notNull(),
    originalCalled: text('original_called'),
    setupAt: timestamp('setup_at', { withTimezone: true, mode: 'date' }).notNull(),
    answerAt: timestamp('answer_at', { withTimezone: true, mode: 'date' }),
    endAt: timestamp('end_at', { withTimezone: true, mode: 'date' }).notNull(),
    cause: text('cause').notNull(),
    duration: integer('duration').notNull(),
  },
  (t) => [index('call_records_end_at').on(t.endAt)],
);

/** A single row (id = 1): which configuration is in the store, for idempotent apply. */
export const configMeta = pgTable(
  'config_meta',
  {
    id: integer('id').primaryKey().default(1),
    version: integer('version').notNull(),
    sha256: text('sha256'),
    appliedAt: timestamp('applied_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [check('config_meta_single_row', sql`${t.id} = 1`)],
);

// ---------------------------------------------------------------------------------------------
// Dial plan and trunks. Numbers and patterns are stored as written; `src/admin` checks their
// syntax with `src/dialplan` before they get here.
// ---------------------------------------------------------------------------------------------

/** CUCM called/calling party transformation, as `src/dialplan` reads it. */
export interface PartyTransformColumn {
  discard?: 'predot';
  mask?: string;
  prefix?: string;
}

/** IOS `voice translation-rule <id>`; its rules are owned rows. */
export const translationRuleSets = pgTable('translation_rule_sets', {
  id: integer('id').primaryKey(),
});

/** `rule <precedence> /match/ /replace/` or `rule <precedence> reject /match/`. */
export const translationRules = pgTable(
  'translation_rules',
  {
    ruleSet: integer('rule_set').notNull(),
    precedence: integer('precedence').notNull(),
    match: text('match').notNull(),
    replace: text('replace'),
    reject: boolean('reject').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.ruleSet, t.precedence] }),
    foreignKey({
      name: 'translation_rules_rule_set_fk',
      columns: [t.ruleSet],
      foreignColumns: [translationRuleSets.id],
    }).onDelete('cascade'),
  ],
);

/** IOS `voice translation-profile <name>`: a rule set per number. */
export const translationProfiles = pgTable(
  'translation_profiles',
  {
    name: text('name').primaryKey(),
    called: integer('called'),
    calling: integer('calling'),
    redirectTarget: integer('redirect_target'),
    redirectCalled: integer('redirect_called'),
  },
  (t) => [
    foreignKey({
      name: 'translation_profiles_called_fk',
      columns: [t.called],
      foreignColumns: [translationRuleSets.id],
    }),
    foreignKey({
      name: 'translation_profiles_calling_fk',
      columns: [t.calling],
      foreignColumns: [translationRuleSets.id],
    }),
    foreignKey({
      name: 'translation_profiles_redirect_target_fk',
      columns: [t.redirectTarget],
      foreignColumns: [translationRuleSets.id],
    }),
    foreignKey({
      name: 'translation_profiles_redirect_called_fk',
      columns: [t.redirectCalled],
      foreignColumns: [translationRuleSets.id],
    }),
  ],
);

/**
 * A SIP trunk to a carrier. Its carrier-facing settings (proxy, registrar, credentials, numbers,
 * keepalive …) are one document in the shape the trunk adapter reads; only what other rows refer
 * to is a column.
 */
export const trunks = pgTable(
  'trunks',
  {
    name: text('name').primaryKey(),
    description: text('description').notNull().default(''),
    /** What calls arriving on the trunk may reach. */
    callingSearchSpace: text('calling_search_space'),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    foreignKey({
      name: 'trunks_calling_search_space_fk',
      columns: [t.callingSearchSpace],
      foreignColumns: [callingSearchSpaces.name],
    }),
  ],
);

/** Voicemail and auto-attendant services reached over SIP (CUE). */
export const pilots = pgTable(
  'pilots',
  {
    name: text('name').primaryKey(),
    kind: text('kind', { enum: ['voicemail', 'auto-attendant'] }).notNull(),
    number: text('number').notNull(),
    /** SIP URI or IOS session target of the service. */
    destination: text('destination').notNull(),
    description: text('description').notNull().default(''),
  },
  (t) => [check('pilots_kind_check', sql`${t.kind} in ('voicemail', 'auto-attendant')`)],
);

/** IOS `dial-peer voice <tag> voip|pots`. */
export const dialPeers = pgTable(
  'dial_peers',
  {
    tag: integer('tag').primaryKey(),
    kind: text('kind', { enum: ['voip', 'pots'] }).notNull(),
    description: text('description').notNull().default(''),
    destinationPattern: text('destination_pattern'),
    incomingCalledNumber: text('incoming_called_number'),
    answerAddress: text('answer_address'),
    preference: integer('preference').notNull().default(0),
    sessionTarget: text('session_target'),
    /** The trunk a `session target sip-server` peer uses. */
    trunk: text('trunk'),
    port: text('port'),
    translationProfileIncoming: text('translation_profile_incoming'),
    translationProfileOutgoing: text('translation_profile_outgoing'),
    digitStrip: boolean('digit_strip').notNull().default(true),
    forwardDigits: integer('forward_digits'),
    prefix: text('prefix'),
    codecs: text('codecs').array().notNull().default(sql`'{}'::text[]`),
    dtmfRelay: text('dtmf_relay').array().notNull().default(sql`'{}'::text[]`),
    b2bua: boolean('b2bua').notNull().default(false),
    vad: boolean('vad').notNull().default(true),
  },
  (t) => [
    check('dial_peers_kind_check', sql`${t.kind} in ('voip', 'pots')`),
    foreignKey({ name: 'dial_peers_trunk_fk', columns: [t.trunk], foreignColumns: [trunks.name] }),
    foreignKey({
      name: 'dial_peers_profile_incoming_fk',
      columns: [t.translationProfileIncoming],
      foreignColumns: [translationProfiles.name],
    }),
    foreignKey({
      name: 'dial_peers_profile_outgoing_fk',
      columns: [t.translationProfileOutgoing],
      foreignColumns: [translationProfiles.name],
    }),
  ],
);

/** CUCM route patterns; a pattern is unique within its partition (null: the <None> partition). */
export const routePatterns = pgTable(
  'route_patterns',
  {
    pattern: text('pattern').notNull(),
    partition: text('partition'),
    description: text('description').notNull().default(''),
    trunk: text('trunk'),
    pilot: text('pilot'),
    /** Set when the pattern blocks: the reason given to the caller. */
    blockReason: text('block_reason'),
    called: jsonb('called').$type<PartyTransformColumn>(),
    calling: jsonb('calling').$type<PartyTransformColumn>(),
  },
  (t) => [
    unique('route_patterns_pattern_once').on(t.partition, t.pattern).nullsNotDistinct(),
    check('route_patterns_one_target', sql`num_nonnulls(${t.trunk}, ${t.pilot}, ${t.blockReason}) = 1`),
    foreignKey({
      name: 'route_patterns_partition_fk',
      columns: [t.partition],
      foreignColumns: [partitions.name],
    }),
    foreignKey({ name: 'route_patterns_trunk_fk', columns: [t.trunk], foreignColumns: [trunks.name] }),
    foreignKey({ name: 'route_patterns_pilot_fk', columns: [t.pilot], foreignColumns: [pilots.name] }),
  ],
);

/** CUCM translation patterns: rewrite, then analyse again (with `css` when set). */
export const translationPatterns = pgTable(
  'translation_patterns',
  {
    pattern: text('pattern').notNull(),
    partition: text('partition'),
    description: text('description').notNull().default(''),
    callingSearchSpace: text('calling_search_space'),
    blocked: boolean('blocked').notNull().default(false),
    called: jsonb('called').$type<PartyTransformColumn>(),
    calling: jsonb('calling').$type<PartyTransformColumn>(),
  },
  (t) => [
    unique('translation_patterns_pattern_once').on(t.partition, t.pattern).nullsNotDistinct(),
    foreignKey({
      name: 'translation_patterns_partition_fk',
      columns: [t.partition],
      foreignColumns: [partitions.name],
    }),
    foreignKey({
      name: 'translation_patterns_calling_search_space_fk',
      columns: [t.callingSearchSpace],
      foreignColumns: [callingSearchSpaces.name],
    }),
  ],
);
