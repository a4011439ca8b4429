/** A pino logger satisfies this. */
export interface TftpLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: TftpLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
