/**
 * Keeps the node's configuration snapshot current: reloaded when the API changes the
 * configuration, and when `strowger apply` (or another node sharing the database) moved the
 * version in the store, which is polled cheaply.
 */
import type { Logger } from 'pino';
import { type ConfigSnapshot, loadSnapshot } from '../admin/index.js';
import type { Store } from '../store/index.js';

export const CONFIG_POLL_MS = 5_000;

export class ConfigWatch {
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  private constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private current: ConfigSnapshot,
  ) {}

  static async start(store: Store, logger: Logger, pollMs = CONFIG_POLL_MS): Promise<ConfigWatch> {
    const watch = new ConfigWatch(store, logger, await loadSnapshot(store));
    watch.timer = setInterval(() => void watch.poll(), pollMs);
    watch.timer.unref();
    return watch;
  }

  get snapshot(): ConfigSnapshot {
    return this.current;
  }

  /** Loads the snapshot again; concurrent calls share one load. */
  reload(): Promise<void> {
    this.reloading ??= loadSnapshot(this.store)
      .then((snapshot) => {
        if (snapshot.version !== this.current.version) {
          this.logger.info({ from: this.current.version, to: snapshot.version }, 'configuration reloaded');
        }
        this.current = snapshot;
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  private async poll(): Promise<void> {
    try {
      const meta = await this.store.withTransaction((tx) => tx.configuration.readMeta(), { readOnly: true });
      if ((meta?.version ?? 0) !== this.current.version) await this.reload();
    } catch (error) {
      this.logger.warn({ err: error }, 'configuration version could not be read');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
