/**
 * The stack logs through this interface; a pino logger satisfies it. The stack itself imports
 * no logging library.
 */
export interface SipLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: SipLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * Hostile input must not flood the log: at most one line per `key` per interval, with the
 * count of lines suppressed since the last one.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: SipLogger,
    private readonly now: () => number,
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 1024,
  ) {}

  warn(key: string, fields: object, message: string): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    if (!entry && this.last.size >= this.maxKeys) this.last.clear();
    this.logger.warn({ ...fields, suppressed: entry?.suppressed ?? 0 }, message);
    this.last.set(key, { at: t, suppressed: 0 });
  }
}
