/**
 * The provisioning service the server starts: TFTP (UDP 69) and HTTP (TCP 6970) over one
 * provisioning source, with a per-phone fetch log fed by both.
 */
import net from 'node:net';
import type { ConfigSnapshot } from '../admin/index.js';
import {
  createTftpServer,
  ErrorCode,
  type RemoteEndpoint,
  type TftpServer,
  type TftpStats,
  type TransferReport,
} from '../tftp/index.js';
import { FetchLog, type FetchLogOptions, type FetchRecord } from './fetch-log.js';
import { createProvisioningHttpServer, type HttpStats, type ProvisioningHttpServer } from './http-server.js';
import { type ProvisioningLogger, silentLogger } from './logger.js';
import { provisioningSource } from './provisioning-source.js';
import type { ProvisioningSettingsInput } from './settings.js';

export interface ListenerOptions {
  /** Default 0.0.0.0. */
  readonly address?: string;
  /** 0 picks an ephemeral port. */
  readonly port: number;
}

export interface ProvisioningServiceOptions {
  readonly snapshot: () => ConfigSnapshot;
  /** TFTP listener (CUCM: UDP 69); `false` runs without it. */
  readonly tftp: ListenerOptions | false;
  /** HTTP listener (CUCM: TCP 6970); `false` runs without it. */
  readonly http: ListenerOptions | false;
  readonly staticFolders?: readonly string[];
  readonly settings?: ProvisioningSettingsInput;
  readonly fetchLog?: FetchLogOptions;
  readonly logger?: ProvisioningLogger;
  /** Called for every fetch after it is logged, e.g. for metrics. */
  readonly onFetch?: (fetch: FetchRecord) => void;
}

export interface ProvisioningStats {
  readonly tftp: TftpStats | null;
  readonly http: HttpStats | null;
}

export interface ProvisioningService {
  /** Opens the listeners; rejects (having closed what it opened) if one cannot bind. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The phone's last fetches, oldest first (see FetchLog). */
  fetches(deviceName: string): readonly FetchRecord[];
  stats(): ProvisioningStats;
  /** Where each listener is bound, once started. */
  addresses(): { readonly tftp: RemoteEndpoint | null; readonly http: RemoteEndpoint | null };
}

export function createProvisioningService(options: ProvisioningServiceOptions): ProvisioningService {
  const logger = options.logger ?? silentLogger;
  const log = new FetchLog(options.fetchLog);
  const source = provisioningSource(options.snapshot, {
    ...options.settings,
    defaultCallManagerGroup: options.settings?.defaultCallManagerGroup ?? ownAddress(options),
    staticFolders: options.staticFolders,
  });
  let tftp: TftpServer | undefined;
  let httpServer: ProvisioningHttpServer | undefined;
  let unsubscribe: (() => void) | undefined;

  const record = (fetch: FetchRecord) => {
    log.record(fetch);
    options.onFetch?.(fetch);
  };

  async function stop(): Promise<void> {
    unsubscribe?.();
    unsubscribe = undefined;
    const closing = [tftp?.close(), httpServer?.close()];
    tftp = undefined;
    httpServer = undefined;
    await Promise.all(closing);
  }

  return {
    async start() {
      if (tftp || httpServer) return;
      try {
        if (options.tftp) {
          tftp = await createTftpServer({ ...options.tftp, source, logger });
          unsubscribe = tftp.onTransfer((report) =>
            record({
              file: report.file,
              found: wasFound(report),
              remote: report.remote,
              at: new Date(),
              via: 'tftp',
            }),
          );
        }
        if (options.http) {
          httpServer = await createProvisioningHttpServer({
            ...options.http,
            source,
            logger,
            onFetch: (fetch) => record({ ...fetch, at: new Date(), via: 'http' }),
          });
        }
      } catch (error) {
        await stop();
        throw error;
      }
      logger.info(
        { tftp: tftp?.address() ?? null, http: httpServer?.address() ?? null },
        'provisioning service listening',
      );
    },
    stop,
    fetches: (deviceName) => log.lastFetches(deviceName),
    stats: () => ({ tftp: tftp?.stats() ?? null, http: httpServer?.stats() ?? null }),
    addresses: () => ({ tftp: tftp?.address() ?? null, http: httpServer?.address() ?? null }),
  };
}

/**
 * Whether the request's file was there: refusals before the transfer (not found, access
 * violation, a source that failed or timed out opening) say no; a transfer that failed later
 * still found its file.
 */
function wasFound(report: TransferReport): boolean {
  return !(report.status === 'error-sent' && report.bytes === 0 && REFUSALS.has(report.errorCode ?? -1));
}

const REFUSALS: ReadonlySet<number> = new Set([
  ErrorCode.notDefined,
  ErrorCode.fileNotFound,
  ErrorCode.accessViolation,
]);

/**
 * With no node list configured, phones are sent to this node: the address its listeners are
 * bound to, if that is one a phone can reach (not a wildcard).
 */
function ownAddress(options: ProvisioningServiceOptions): readonly string[] {
  for (const listener of [options.tftp, options.http]) {
    const address = listener ? listener.address : undefined;
    if (address && net.isIP(address) && address !== '0.0.0.0' && address !== '::') return [address];
  }
  return [];
}
