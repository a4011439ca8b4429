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
  private readonly listeners: ((snapshot: ConfigSnapshot) => void)[] = [];

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

  /** Called with each new configuration version (not for a reload that found the same one). */
  onChange(listener: (snapshot: ConfigSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the snapshot again; concurrent calls share one load. */
  reload(): Promise<void> {
    this.reloading ??= loadSnapshot(this.store)
      .then((snapshot) => {
        const changed = snapshot.version !== this.current.version;
        this.current = snapshot;
        if (!changed) return;
        this.logger.info({ version: snapshot.version }, 'configuration reloaded');
        for (const listener of this.listeners) {
          try {
            listener(snapshot);
          } catch (error) {
            this.logger.error({ err: error }, 'a part of the node failed to take the new configuration');
          }
        }
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
