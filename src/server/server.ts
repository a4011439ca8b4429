/**
 * One Strowger node: the store, the configuration snapshot, the SIP stack and the adapters on
 * it, the phone provisioning servers and the management API, started in order and stopped in
 * reverse.
 */
import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  type ConferenceBridge,
  createRecordingService,
  type RecordingService,
} from '../adapters/media/index.js';
import {
  createSipLineAdapter,
  DEFAULT_LOCKOUT,
  type SipLineAdapter,
  SourceLockout,
} from '../adapters/sip-line/index.js';
import { createTrunkAdapter, type TrunkAdapter } from '../adapters/sip-trunk/index.js';
import {
  applyConfig,
  type ConfigFile,
  type ConfigSnapshot,
  createConfigService,
  type NodeSettings,
  type PhoneAdmissionInput,
} from '../admin/index.js';
import { type ApiServer, createApiServer, type MediaSource } from '../api/index.js';
import {
  type AutoRegistrationSettings,
  createAutoRegistration,
} from '../features/auto-registration/index.js';
import { DeviceStatusTracker } from '../features/device-status/index.js';
import { createMediaEngine } from '../media/index.js';
import {
  createProvisioningService,
  type ProvisioningService,
  type ProvisioningSettingsInput,
} from '../provisioning/index.js';
import { createSipStack, type SipStack } from '../sip/index.js';
import type { ListenerOptions } from '../sip/transport/types.js';
import { openStore, type Store } from '../store/index.js';
import {
  checkAnnouncement,
  demoMusicOnHold,
  type NodeCallMedia,
  type NodeCalls,
  startCallMedia,
  startCalls,
} from './calls.js';
import { ConfigWatch } from './config-watch.js';
import { EventHub } from './event-hub.js';
import { SipMessageCounters } from './sip-counters.js';
import { type DeviceAddressBook, SipTrace } from './sip-trace.js';

export const PRODUCT = { name: 'Strowger', version: '0.1.0' };
/** Digest realm of the phones' credentials and domain of their AORs. */
export const DEFAULT_REALM = 'strowger';

export interface StartOptions {
  settings: NodeSettings;
  /** A validated configuration file to apply before serving. */
  config?: ConfigFile;
  logger?: Logger;
  /** Which phones the node takes, until the configuration carries it: auto-registration off, no limit. */
  phones?: PhoneAdmission;
}

export interface PhoneAdmission {
  readonly autoRegistration?: AutoRegistrationSettings;
  /** Phones registered at once on this node. */
  readonly maxPhones?: number;
  /** StationKeepaliveInterval per device pool in seconds (default 30, R-REG-21). */
  readonly keepaliveSeconds?: (devicePool: string | null) => number;
}

export interface RunningServer {
  readonly settings: NodeSettings;
  readonly store: Store;
  readonly sip: SipStack;
  readonly lines: SipLineAdapter;
  readonly calls: NodeCalls;
  /** Call recording; undefined when media is not anchored. */
  readonly recordings: RecordingService | undefined;
  readonly trunks: TrunkAdapter;
  readonly trace: SipTrace;
  readonly provisioning: ProvisioningService;
  /** Real-time status of every phone (show phones, diagnose phone). */
  readonly devices: DeviceStatusTracker;
  /** Where the management API listens; null when its port is off. */
  readonly api: { readonly address: string; readonly port: number } | null;
  readonly logger: Logger;
  snapshot(): ConfigSnapshot;
  stop(): Promise<void>;
}

function sipListeners(settings: NodeSettings): ListenerOptions[] {
  const listeners: ListenerOptions[] = [];
  if (settings.sip.udp !== false)
    listeners.push({ protocol: 'UDP', address: settings.bind, port: settings.sip.udp });
  if (settings.sip.tcp !== false)
    listeners.push({ protocol: 'TCP', address: settings.bind, port: settings.sip.tcp });
  return listeners;
}

/** Undoes what has been started so far, latest first, whatever fails along the way. */
class Teardown {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.unshift(step);
  }

  async run(logger: Logger): Promise<void> {
    for (const step of this.steps.splice(0)) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'a part of the node did not stop cleanly');
      }
    }
  }
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { settings } = options;
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { node: 'strowger' } });
  const teardown = new Teardown();
  try {
    // Before the store: a start that fails here leaves it untouched.
    const { notInService } = settings.media.callFailure;
    if (settings.media.anchor && notInService !== null)
      await checkAnnouncement('node.media.callFailure.notInService', notInService);
    const store = await openStoreFor(settings);
    teardown.add(() => store.close());
    if (options.config) {
      const applied = await applyConfig(store, options.config);
      if (!applied.ok) throw new Error(`the configuration was not applied: ${applied.errors.join('; ')}`);
      logger.info(
        { version: applied.version, changes: applied.changes.length },
        applied.changes.length ? 'configuration applied' : 'configuration unchanged',
      );
    }
    const config = await ConfigWatch.start(store, logger);
    teardown.add(() => config.stop());
    const snapshot = () => config.snapshot;

    const sip = await createSipStack({
      transports: sipListeners(settings),
      logger: logger.child({ module: 'sip' }),
      userAgent: `${PRODUCT.name}/${PRODUCT.version}`,
    });
    teardown.add(() => sip.close());
    // Start options win over the file's node.phones (tests set them directly).
    const phones: PhoneAdmission | undefined = options.phones ?? admissionOf(options.config?.phones);
    const autoRegistration = phones?.autoRegistration;
    let provisioning: ProvisioningService | undefined;
    const devices = new DeviceStatusTracker({
      node: nodeName(settings, sip),
      configuration: snapshot,
      fetches: (name) => provisioning?.fetches(name) ?? [],
      keepaliveSeconds: phones?.keepaliveSeconds,
      autoRegistration: autoRegistration?.enabled ?? false,
    });
    // One brute-force table for REGISTER and INVITE: ten wrong passwords from a source, either way, lock it out.
    const sourceLockout = new SourceLockout(DEFAULT_LOCKOUT);
    const lines = createSipLineAdapter({
      stack: sip,
      store,
      // Written back: stopping the adapter (before the store closes) writes what waits.
      persistence: settings.registrar.persistence,
      snapshot,
      realm: DEFAULT_REALM,
      algorithms: settings.sip.digestAlgorithms,
      sourceLockout,
      logger: logger.child({ module: 'sip-line' }),
      admission: {
        maxPhones: phones?.maxPhones ?? Number.POSITIVE_INFINITY,
        autoRegistration: autoRegistration?.enabled
          ? createAutoRegistration({
              settings: autoRegistration,
              writer: createConfigService({ store, onConfigChanged: () => config.reload() }),
              configuration: snapshot,
            })
          : undefined,
      },
    });
    lines.on('attempt', ({ attempt }) => devices.attempt(attempt));
    lines.on('registered', ({ registration, refresh }) => {
      if (!refresh) devices.registered(registration);
    });
    lines.on('unregistered', ({ registration, reason }) => devices.unregistered(registration, reason));
    await lines.start();
    teardown.add(() => lines.stop());
    for (const registration of lines.registrations()) devices.registered(registration);

    const trunks = createTrunkAdapter({
      stack: sip,
      trunks: () => [...snapshot().trunks.values()],
      logger: logger.child({ module: 'sip-trunk' }),
    });
    await trunks.start();
    teardown.add(() => trunks.stop());
    config.onChange(() => void trunks.reload());

    const events = new EventHub();
    lines.on('registered', (event) => events.emit(event));
    lines.on('unregistered', (event) => events.emit(event));
    // Trunk events share names with the phones' (registered…): the stream tells them apart.
    trunks.onEvent((event) => events.emit({ ...event, type: `trunk-${event.type}` }));
    const media = settings.media.anchor ? await startMedia(settings, snapshot, logger) : undefined;
    if (media) teardown.add(() => media.stop());
    const calls = startCalls({
      stack: sip,
      store,
      snapshot,
      locations: lines,
      trunks,
      realm: DEFAULT_REALM,
      digestAlgorithms: settings.sip.digestAlgorithms,
      sourceLockout,
      events,
      logger,
      ...(media
        ? {
            media: media.calls.media,
            conferences: {
              engine: media.calls.engine,
              settings: settings.media.conference,
              mediaTimeoutMs: settings.media.mediaTimeoutSeconds * 1000,
              ...(media.calls.address === undefined ? {} : { address: media.calls.address }),
            },
          }
        : {}),
    });
    // SIGTERM: calls are cleared (and their records written) before the SIP stack goes.
    teardown.add(() => calls.stop());
    // Recordings follow connections, which the core keeps across transfers; the engine completes
    // any file still open when it closes.
    const recordings =
      media &&
      createRecordingService({
        engine: media.calls.engine,
        anchor: media.calls.anchor,
        folder: settings.media.recordings ?? join(resolve(settings.dataDir), 'recordings'),
        callOf: (connectionId) => calls.core.callOf(connectionId)?.id,
        logger: logger.child({ module: 'recording' }),
      });
    if (recordings) teardown.add(() => recordings.close());
    const counters = new SipMessageCounters();
    const trace = new SipTrace(deviceAddressBook(snapshot, lines));
    sip.transport.observe((direction, message, bytes, remote) => {
      counters.count(direction, message);
      trace.deliver(direction, message, bytes, remote);
    });
    for (const endpoint of sip.listening()) {
      logger.info(
        { protocol: endpoint.protocol, address: endpoint.address, port: endpoint.port },
        'SIP listening',
      );
    }

    const started = await startProvisioning(settings, snapshot, logger, {
      autoRegistration: {
        enabled: autoRegistration?.enabled ?? false,
        devicePool: autoRegistration?.devicePool,
        protocol: 'sip',
      },
    });
    provisioning = started;
    teardown.add(() => started.stop());

    let api: ApiServer | undefined;
    const bridge = calls.conferences;
    let apiAddress: RunningServer['api'] = null;
    if (settings.http.port !== false) {
      api = await createApiServer({
        store,
        onConfigChanged: () => config.reload(),
        views: {
          registrations: () => lines.registrations(),
          trunks: () => trunks.status(),
          snapshot,
          calls: () => calls.core.calls(),
          configVersion: () => config.snapshot.version,
          listeners: () => sip.listening(),
          devices,
        },
        events,
        trace,
        ...(bridge ? { conferences: bridge } : {}),
        ...(recordings ? { recordings } : {}),
        ...(media ? { media: mediaSource(media.calls, bridge) } : {}),
        metrics: {
          sipStats: () => counters.stats(),
          transactionStats: () => sip.transactions.stats(),
          registrationCount: () => lines.stats().bindings,
          activeCalls: () => calls.core.activeCalls,
          callsByCause: () => calls.callsByCause(),
          ...(bridge ? { conferences: () => bridge.counts } : {}),
          ...(recordings ? { recordings: () => recordings.count } : {}),
          ...(media ? { media: () => media.calls.engine.stats() } : {}),
        },
        token: settings.adminToken,
        bind: settings.http.bind,
        port: settings.http.port,
        logger,
        product: PRODUCT,
      });
      teardown.add(() => api?.close());
      apiAddress = await api.listen();
      logger.info(apiAddress, 'management API listening');
    }

    return {
      settings,
      store,
      sip,
      lines,
      calls,
      recordings,
      trunks,
      trace,
      provisioning: started,
      devices,
      api: apiAddress,
      logger,
      snapshot,
      stop: async () => {
        await teardown.run(logger);
        logger.info('stopped');
      },
    };
  } catch (error) {
    await teardown.run(logger);
    throw error;
  }
}

/**
 * What `/media` reads: the engine's figures and who each endpoint serves, asked of the anchor
 * (calls, announcements), then of the conference bridge (participants in a room's mix).
 */
function mediaSource({ engine, anchor }: NodeCallMedia, bridge: ConferenceBridge | undefined): MediaSource {
  return {
    stats: () => engine.stats(),
    ownerOf: (endpointId) => anchor.endpointOwner(endpointId) ?? bridge?.endpointOwner(endpointId) ?? null,
  };
}

/** The RTP engine and the media anchor of the node's calls. */
async function startMedia(
  settings: NodeSettings,
  snapshot: () => ConfigSnapshot,
  logger: Logger,
): Promise<{ readonly calls: NodeCallMedia; stop(): Promise<void> }> {
  const { media } = settings;
  const address = media.address ?? settings.bind;
  const mediaTimeoutMs = media.mediaTimeoutSeconds * 1000;
  const mediaLogger = logger.child({ module: 'media' });
  const engine = await createMediaEngine({
    address,
    portRange: [media.portRange[0], media.portRange[1]],
    ...(media.workers === null ? {} : { workers: media.workers }),
    mediaTimeoutMs,
    maxConferences: media.conference.maxConferences,
    logger: mediaLogger,
  });
  try {
    const musicOnHold = media.musicOnHold ?? (await demoMusicOnHold(join(resolve(settings.dataDir), 'moh')));
    // Endpoints bound to every interface are announced on one that others can reach.
    const announced = address === '0.0.0.0' ? outwardAddress() : undefined;
    const calls = startCallMedia({
      engine,
      snapshot,
      mediaTimeoutMs,
      musicOnHold: { default: musicOnHold },
      ...(media.musicOnHoldG729 === undefined ? {} : { musicOnHoldG729: { default: media.musicOnHoldG729 } }),
      ...(announced === undefined ? {} : { address: announced }),
      toneRegion: media.toneRegion,
      callFailure: media.callFailure,
      logger: mediaLogger,
    });
    logger.info(
      {
        address: announced ?? address,
        ports: media.portRange,
        musicOnHold,
        musicOnHoldG729: media.musicOnHoldG729 ?? null,
        toneRegion: media.toneRegion,
        callFailureInband: media.callFailure.inband,
      },
      'media anchored in Strowger',
    );
    return {
      calls,
      stop: async () => {
        calls.anchor.close();
        await engine.close();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The first IPv4 address of this host that is not loopback; loopback when there is none. */
function outwardAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const entry of addresses ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  return '127.0.0.1';
}

/** `node.phones` of the file as the node takes it; the keepalive applies to every device pool. */
function admissionOf(input: PhoneAdmissionInput | undefined): PhoneAdmission | undefined {
  if (!input) return undefined;
  const { keepaliveSeconds, ...rest } = input;
  return keepaliveSeconds === undefined ? rest : { ...rest, keepaliveSeconds: () => keepaliveSeconds };
}

/** What the per-device SIP trace needs: a phone's registered addresses and its numbers. */
function deviceAddressBook(snapshot: () => ConfigSnapshot, lines: SipLineAdapter): DeviceAddressBook {
  return {
    device: (name) => {
      const phone = snapshot().phones.get(name);
      if (!phone) return undefined;
      const addresses = new Set<string>();
      for (const registration of lines.registrations()) {
        if (registration.phone === name)
          addresses.add(`${registration.source.address}:${registration.source.port}`);
      }
      return { addresses, numbers: new Set(phone.lines.map((appearance) => appearance.line.dn)) };
    },
  };
}

/**
 * Phones fetch their files over TFTP and HTTP; a node that cannot bind those ports (UDP 69
 * needs privileges) still serves calls, and says how to fix it.
 */
async function startProvisioning(
  settings: NodeSettings,
  snapshot: () => ConfigSnapshot,
  logger: Logger,
  provisioningSettings: ProvisioningSettingsInput,
): Promise<ProvisioningService> {
  const { tftpPort, httpPort, files } = settings.provisioning;
  const listener = (port: number | false) => (port === false ? false : { address: settings.bind, port });
  const options = {
    snapshot,
    logger: logger.child({ module: 'provisioning' }),
    settings: provisioningSettings,
    staticFolders: files === null ? [] : [resolve(files)],
  };
  const provisioning = createProvisioningService({
    ...options,
    tftp: listener(tftpPort),
    http: listener(httpPort),
  });
  try {
    await provisioning.start();
    return provisioning;
  } catch (error) {
    logger.error(
      { err: error, tftpPort, httpPort },
      'phone configuration files are not served: the TFTP or HTTP port cannot be bound (set node.provisioning ports, --tftp-port, or run with the privilege to bind port 69)',
    );
    const disabled = createProvisioningService({ ...options, tftp: false, http: false });
    await disabled.start();
    return disabled;
  }
}

/** How this node names itself in device status: its first SIP listener. */
function nodeName(settings: NodeSettings, sip: SipStack): string {
  const listener = sip.listening()[0];
  return listener === undefined ? settings.bind : `${listener.address}:${listener.port}`;
}

async function openStoreFor(settings: NodeSettings): Promise<Store> {
  if (settings.databaseUrl) return openStore({ url: settings.databaseUrl });
  const dataDir = resolve(settings.dataDir);
  await mkdir(dataDir, { recursive: true });
  return openStore({ dataDir });
}
