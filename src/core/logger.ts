/** The logging the core needs; a pino logger fits it. */
export interface CoreLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export const silentCoreLogger: CoreLogger = {
  error: () => {},
  warn: () => {},
  debug: () => {},
};
