/**
 * Calls on the node: the call core routing by the dial plan (the callers' calling search spaces,
 * translations, dial-peers) to registered lines, trunks and pilots, the B2BUAs for SIP phones and
 * SIP trunks, call records written to the store, and what `/metrics` and the events stream need.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ALL_AUDIO_CODECS,
  type AudioCodec,
  type ConferenceBridge,
  createConferenceBridge,
  createMediaAnchor,
  type LegPolicy,
  type MediaAnchor,
} from '../adapters/media/index.js';
import {
  type CallDevice,
  type CallMedia,
  callSignalling,
  createCallMedia,
} from '../adapters/sip-common/index.js';
import { createSipCallHandler, type LineLocations, SIP_LINE } from '../adapters/sip-line/calls/index.js';
import type { SourceLockout } from '../adapters/sip-line/index.js';
import { createSipTrunkCallHandler, encodingsOf, SIP_TRUNK } from '../adapters/sip-trunk/calls/index.js';
import type { TrunkAdapter } from '../adapters/sip-trunk/index.js';
import type {
  CallFailureSettings,
  ConferenceSettings,
  ConfigSnapshot,
  ToneRegionSetting,
} from '../admin/index.js';
import { type CallCore, type CallRecord, createCallCore } from '../core/index.js';
import { createForwardingRouter } from '../features/forwarding/index.js';
import { createConferenceRouter, createDialPlanRouter } from '../features/routing/index.js';
import { createCarrierNumbering } from '../features/transfer/index.js';
import { decodeAudioFile, encodeWav, type MediaEngine } from '../media/index.js';
import { createDigestServer, type DigestAlgorithm, type SipStack, systemClock } from '../sip/index.js';
import type { Store } from '../store/index.js';
import type { EventHub } from './event-hub.js';

export interface NodeCalls {
  readonly core: CallCore;
  /** The conference bridge; undefined when media is not anchored (the bridge mixes in the engine). */
  readonly conferences: ConferenceBridge | undefined;
  /** Calls ended since start, by cause. */
  callsByCause(): Record<string, number>;
  /** Clears every call in progress (BYE or CANCEL on each leg) and waits for their records. */
  stop(): Promise<void>;
}

/** How long a stopping node waits for its calls to clear before it goes anyway. */
const CLEAR_TIMEOUT_MS = 5_000;

export function startCalls(options: {
  stack: SipStack;
  store: Store;
  snapshot: () => ConfigSnapshot;
  locations: LineLocations;
  trunks: TrunkAdapter;
  realm: string;
  digestAlgorithms: readonly DigestAlgorithm[];
  sourceLockout: SourceLockout;
  events: EventHub;
  logger: Logger;
  /** Anchors every call's media; without it session descriptions pass through (`anchor: off`). */
  media?: CallMedia;
  /** The conference bridge's engine and settings; no conferences without. */
  conferences?: {
    readonly engine: MediaEngine;
    readonly settings: ConferenceSettings;
    /** No RTP from a participant for this long hangs it up; 0 never. */
    readonly mediaTimeoutMs: number;
    /** Address written in SDP when it is not the engine's own. */
    readonly address?: string;
  };
}): NodeCalls {
  const { store, logger } = options;
  const causes: Record<string, number> = {};
  const writes = new Set<Promise<void>>();
  const record = (callRecord: CallRecord) => {
    causes[callRecord.cause] = (causes[callRecord.cause] ?? 0) + 1;
    const write = store.callRecords
      .insert(callRecord)
      .then(() => undefined)
      .catch((error: unknown) =>
        logger.error({ err: error, callId: callRecord.callId }, 'call record not stored'),
      )
      .finally(() => writes.delete(write));
    writes.add(write);
  };
  // The bridge needs the core and the core's router needs the bridge's numbers.
  let conferences: ConferenceBridge | undefined;
  const core = createCallCore({
    clock: systemClock,
    // Conference numbers first, then call forward all/busy/no answer on top of the dial plan.
    router: createConferenceRouter({
      conferences: { deviceFor: (dialed) => conferences?.deviceFor(dialed) },
      router: createForwardingRouter({
        router: createDialPlanRouter({
          snapshot: options.snapshot,
          locations: options.locations,
          logger: logger.child({ module: 'routing' }),
        }),
        snapshot: options.snapshot,
        logger: logger.child({ module: 'forwarding' }),
      }),
    }),
    logger: logger.child({ module: 'core' }),
    onCallRecord: record,
  });
  createSipCallHandler({
    stack: options.stack,
    core,
    snapshot: options.snapshot,
    // Same realm and challenges as the registrar: a phone answers both alike.
    digest: createDigestServer({ realm: options.realm, algorithms: options.digestAlgorithms }),
    lockout: options.sourceLockout,
    logger: logger.child({ module: 'sip-calls' }),
    ...(options.media ? { media: options.media } : {}),
  });
  createSipTrunkCallHandler({
    stack: options.stack,
    core,
    trunks: options.trunks,
    // 302 Contacts and REFER targets toward the carrier as DIDs (redirect profiles).
    numbering: createCarrierNumbering(options.snapshot),
    logger: logger.child({ module: 'sip-trunk-calls' }),
    ...(options.media ? { media: options.media } : {}),
  });
  core.events.on((event) => options.events.emit(event));
  if (options.conferences)
    conferences = createConferenceBridge({
      ...options.conferences.settings,
      engine: options.conferences.engine,
      mediaTimeoutMs: options.conferences.mediaTimeoutMs,
      core,
      ...(options.media ? { anchor: options.media.anchor } : {}),
      ...(options.conferences.address === undefined ? {} : { address: options.conferences.address }),
      logger: logger.child({ module: 'conference' }),
    });

  return {
    core,
    conferences,
    callsByCause: () => ({ ...causes }),
    stop: async () => {
      await conferences?.close();
      // A caller hearing a failure tone is owed its final response before the stack goes.
      callSignalling({ stack: options.stack, core }).finishAnnouncements();
      for (const call of core.calls()) {
        for (const connection of call.connections) core.clear(connection.id, 'normalClearing');
      }
      const deadline = Date.now() + CLEAR_TIMEOUT_MS;
      while (core.activeCalls > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (core.activeCalls > 0) logger.warn({ calls: core.activeCalls }, 'calls still up at stop');
      await Promise.all(writes);
    },
  };
}

export interface CallMediaSettings {
  readonly engine: MediaEngine;
  /** Trunks' `codecs` and `dtmfRelay`, device pools' MOH sources. */
  readonly snapshot: () => ConfigSnapshot;
  /** No RTP for this long from a party that should send clears its call; 0 never. */
  readonly mediaTimeoutMs: number;
  /** MOH files by class (a device pool's MOH source); `default` for every other class. */
  readonly musicOnHold: Readonly<Record<string, string>>;
  /** G.729 MOH files by class, for held legs whose codec is G.729; none: they hear G.711 MOH or silence. */
  readonly musicOnHoldG729?: Readonly<Record<string, string>>;
  /** Address written in SDP when it is not the engine's own (a node bound to 0.0.0.0). */
  readonly address?: string;
  /** Generated tones: North American (default) or ITU-T. */
  readonly toneRegion?: ToneRegionSetting;
  /** Tones for callers whose call fails before an answer; none when undefined. */
  readonly callFailure?: CallFailureSettings;
  readonly logger: Logger;
}

export interface NodeCallMedia {
  readonly anchor: MediaAnchor;
  readonly engine: MediaEngine;
  /** Address written in SDP when it is not the engine's own. */
  readonly address: string | undefined;
  /** For the call handlers (`startCalls`). */
  readonly media: CallMedia;
}

/** Name of the codec list that allows every codec: it is never registered, so the anchor allows all. */
const ANY_CODEC = 'any';

/**
 * The media anchor of the node's calls with each device's policy: phones offer every codec and
 * relay DTMF as RFC 4733 events, hearing their device pool's MOH class and tones; a trunk's party
 * gets the trunk's `codecs` preference and `dtmfRelay`; pilots (SIP addresses) are treated as phones.
 */
export function startCallMedia(settings: CallMediaSettings): NodeCallMedia {
  // The anchor reads its lists on every offer: trunk lists are added as the configuration names them.
  const codecLists: Record<string, readonly AudioCodec[]> = {};
  const listOf = (codecs: readonly string[] | undefined): string => {
    const known = encodingsOf(codecs).filter((name): name is AudioCodec =>
      (ALL_AUDIO_CODECS as readonly string[]).includes(name),
    );
    if (known.length === 0) return ANY_CODEC;
    const name = `codecs:${known.join(',')}`;
    codecLists[name] ??= known;
    return name;
  };
  const devicePoolOf = (device: CallDevice) => {
    if (device.kind !== SIP_LINE) return undefined;
    const config = settings.snapshot();
    const pool = config.phones.get(device.id)?.devicePool;
    return pool ? config.devicePools.get(pool) : undefined;
  };
  // A phone hears its device pool's tones; a trunk carries no device pool, so its party hears the node's.
  const policyOf = (device: CallDevice): LegPolicy => {
    const trunk = device.kind === SIP_TRUNK ? settings.snapshot().trunks.get(device.id) : undefined;
    if (trunk !== undefined) return { codecs: listOf(trunk.codecs), dtmfRelay: trunk.dtmfRelay };
    const toneRegion = devicePoolOf(device)?.toneRegion;
    return { codecs: ANY_CODEC, dtmfRelay: 'rtp-nte', ...(toneRegion ? { toneRegion } : {}) };
  };
  const mohClassOf = (device: CallDevice): string | undefined => devicePoolOf(device)?.mohSource ?? undefined;
  let media: CallMedia | undefined;
  const anchor = createMediaAnchor({
    engine: settings.engine,
    codecs: codecLists,
    mediaTimeoutMs: settings.mediaTimeoutMs,
    musicOnHold: settings.musicOnHold,
    ...(settings.musicOnHoldG729 === undefined ? {} : { musicOnHoldG729: settings.musicOnHoldG729 }),
    ...(settings.address === undefined ? {} : { address: settings.address }),
    ...(settings.toneRegion === undefined ? {} : { toneRegion: settings.toneRegion }),
    logger: settings.logger,
    onDtmfSignal: (callId, legId, message) => media?.dtmfSignal(callId, legId, message),
    onMediaTimeout: (timeout) => media?.mediaTimeout(timeout),
  });
  const failure = settings.callFailure;
  const failureTones =
    failure === undefined || failure.inband === 'off'
      ? undefined
      : {
          appliesTo: (caller: CallDevice) => failure.inband === 'all' || caller.kind === SIP_TRUNK,
          maxMs: failure.seconds * 1000,
          ...(failure.notInService === null ? {} : { notInService: failure.notInService }),
        };
  media = createCallMedia({ anchor, policyOf, mohClassOf, ...(failureTones ? { failureTones } : {}) });
  return { anchor, media, engine: settings.engine, address: settings.address };
}

/**
 * Reads and decodes an announcement file once at start, so a missing or unplayable file stops
 * the start with its name instead of failing the first call that needs it.
 */
export async function checkAnnouncement(setting: string, path: string): Promise<void> {
  try {
    decodeAudioFile(await readFile(path));
  } catch (error) {
    throw new Error(`${setting}: ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The demo melody: a few seconds of a slow arpeggio, as G.711-quality 8 kHz audio. */
const DEMO_NOTES_HZ = [392, 523.25, 659.25, 783.99, 659.25, 523.25];
const DEMO_NOTE_SAMPLES = 4000;
const SAMPLE_RATE = 8000;

/**
 * The MOH file of a node configured with none: a short generated melody written once into
 * `folder` (a file already there is kept). Returns its path.
 */
export async function demoMusicOnHold(folder: string): Promise<string> {
  const file = join(folder, 'demo-moh.wav');
  try {
    await access(file);
    return file;
  } catch {
    // Not written yet.
  }
  const samples = new Int16Array(DEMO_NOTES_HZ.length * DEMO_NOTE_SAMPLES);
  DEMO_NOTES_HZ.forEach((frequency, note) => {
    for (let i = 0; i < DEMO_NOTE_SAMPLES; i++) {
      // A soft attack and release per note keeps the joins free of clicks.
      const envelope = Math.min(1, i / 400, (DEMO_NOTE_SAMPLES - i) / 400);
      const value = 6000 * envelope * Math.sin((2 * Math.PI * frequency * i) / SAMPLE_RATE);
      samples[note * DEMO_NOTE_SAMPLES + i] = Math.round(value);
    }
  });
  await mkdir(folder, { recursive: true });
  await writeFile(file, encodeWav(samples, SAMPLE_RATE, 1));
  return file;
}
