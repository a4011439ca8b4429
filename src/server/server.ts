/**
 * One Strowger node: the store, the configuration snapshot, the SIP stack and the adapters on
 * it, started in order and stopped in reverse.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { createSipLineAdapter, type SipLineAdapter } from '../adapters/sip-line/index.js';
import {
  applyConfig,
  type ConfigFile,
  type ConfigSnapshot,
  loadSnapshot,
  type NodeSettings,
} from '../admin/index.js';
import { createProvisioningService, type ProvisioningService } from '../provisioning/index.js';
import { createSipStack, type SipStack } from '../sip/index.js';
import type { ListenerOptions } from '../sip/transport/types.js';
import { openStore, type Store } from '../store/index.js';
import { type DeviceAddressBook, SipTrace } from './sip-trace.js';

export const PRODUCT = 'Strowger/0.1';
/** Digest realm of the phones' credentials and domain of their AORs. */
export const DEFAULT_REALM = 'strowger';

export interface StartOptions {
  settings: NodeSettings;
  /** A validated configuration file to apply before serving. */
  config?: ConfigFile;
  logger?: Logger;
}

export interface RunningServer {
  readonly settings: NodeSettings;
  readonly store: Store;
  readonly sip: SipStack;
  readonly lines: SipLineAdapter;
  readonly trace: SipTrace;
  readonly provisioning: ProvisioningService;
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

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { settings } = options;
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { node: 'strowger' } });
  const store = await openStoreFor(settings);
  try {
    if (options.config) {
      const applied = await applyConfig(store, options.config);
      if (!applied.ok) throw new Error(`the configuration was not applied: ${applied.errors.join('; ')}`);
      logger.info(
        { version: applied.version, changes: applied.changes.length },
        applied.changes.length ? 'configuration applied' : 'configuration unchanged',
      );
    }
    const snapshot = await loadSnapshot(store);
    const sip = await createSipStack({
      transports: sipListeners(settings),
      logger: logger.child({ module: 'sip' }),
      userAgent: PRODUCT,
    });
    const lines = createSipLineAdapter({
      stack: sip,
      store,
      snapshot: () => snapshot,
      realm: DEFAULT_REALM,
      // RFC 8760 §2.4 lets clients take the first challenge they support, and deployed phones
      // (and sipp) answer only the first one, in MD5: offering MD5 first keeps them working.
      algorithms: ['MD5', 'SHA-256'],
      logger: logger.child({ module: 'sip-line' }),
    });
    await lines.start();
    const devices: DeviceAddressBook = {
      device: (name) => {
        const phone = snapshot.phones.get(name);
        if (!phone) return undefined;
        const addresses = new Set<string>();
        for (const registration of lines.registrations()) {
          if (registration.phone === name)
            addresses.add(`${registration.source.address}:${registration.source.port}`);
        }
        return { addresses, numbers: new Set(phone.lines.map((appearance) => appearance.line.dn)) };
      },
    };
    const trace = new SipTrace(sip.transport, devices);
    const provisioning = await startProvisioning(settings, () => snapshot, logger);
    for (const endpoint of sip.listening()) {
      logger.info(
        { protocol: endpoint.protocol, address: endpoint.address, port: endpoint.port },
        'SIP listening',
      );
    }
    return {
      settings,
      store,
      sip,
      lines,
      trace,
      provisioning,
      logger,
      snapshot: () => snapshot,
      stop: async () => {
        await provisioning.stop();
        await lines.stop();
        await sip.close();
        await store.close();
        logger.info('stopped');
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Phones fetch their files over TFTP and HTTP; a node that cannot bind those ports (UDP 69
 * needs privileges) still serves calls, and says how to fix it.
 */
async function startProvisioning(
  settings: NodeSettings,
  snapshot: () => ConfigSnapshot,
  logger: Logger,
): Promise<ProvisioningService> {
  const { tftpPort, httpPort } = settings.provisioning;
  const listener = (port: number | false) => (port === false ? false : { address: settings.bind, port });
  const options = { snapshot, logger: logger.child({ module: 'provisioning' }) };
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

async function openStoreFor(settings: NodeSettings): Promise<Store> {
  if (settings.databaseUrl) return openStore({ url: settings.databaseUrl });
  const dataDir = resolve(settings.dataDir);
  await mkdir(dataDir, { recursive: true });
  return openStore({ dataDir });
}
