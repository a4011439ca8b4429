/**
 * What the server serves: a FileSource opens files by the name a client asked for. Files may come
 * from disk or be generated in memory.
 */

export interface RemoteEndpoint {
  address: string;
  port: number;
}

/** A file held in memory; the server slices it without copying. */
export interface MemoryFile {
  data: Buffer;
}

/** A file read piece by piece, e.g. from disk. */
export interface ReadableFile {
  /** Octets in the file, when known up front; reported in the tsize option (RFC 2349). */
  size?: number;
  /** Up to `length` octets from `offset`; fewer only at the end of the file. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Called once when the transfer ends, whatever the outcome. */
  close?(): void | Promise<void>;
}

export type SourceFile = MemoryFile | ReadableFile;

export interface FileSource {
  /**
   * The file for `name`, or undefined when there is none (TFTP error 1). To refuse with another
   * TFTP error, reject with a TftpError, e.g. code 2 (access violation).
   */
  open(name: string, remote: RemoteEndpoint): Promise<SourceFile | undefined>;
}

/** A refusal a FileSource reports to the client as a TFTP ERROR packet. */
export class TftpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TftpError';
  }
}
