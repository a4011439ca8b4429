/**
 * TFTP server library (read-only), for phone provisioning: Cisco phones fetch SEP<MAC>.cnf.xml,
 * XMLDefault.cnf.xml and firmware over TFTP at boot.
 *
 * - `createTftpServer({ source, address, port, … })` serves RRQ in octet and netascii (RFC 1350)
 *   with blksize (RFC 2348), timeout and tsize (RFC 2349) and windowsize (RFC 7440), negotiated as
 *   RFC 2347 says. Each transfer runs on its own ephemeral port (its TID).
 * - A `FileSource` supplies the files: `directorySource(folders)` from disk (case-insensitive,
 *   confined to its folders), or any object whose `open(name, remote)` returns `{ data }` or a
 *   readable file, undefined for "not found", or rejects with `TftpError` to refuse.
 * - `server.onTransfer(report => …)` reports every ended request; `server.stats()` counts them.
 *
 * Choices where the RFCs leave room:
 * - WRQ is refused with error 2: phones never write to a PBX's provisioning server.
 * - Past block 65535 the block number rolls over to 0, as tftp-hpa, curl and atftp expect, so
 *   files of any size can be sent (RFC 1350 does not define the case).
 * - Retransmission: every `timeoutMs` (default 1 s, or the client's RFC 2349 timeout), at most
 *   `maxRetries` (default 5) times; duplicate ACKs never cause a resend (RFC 1123 §4.2.3.1).
 * - tsize is answered for octet mode, and for netascii only when the file is in memory (the size
 *   after conversion is otherwise unknown until the end).
 * - Requests beyond `maxTransfers` are dropped unanswered, so clients retry instead of failing.
 * - A request repeated from the same client port before the first ACK is a retransmission and
 *   does not start a second transfer.
 */
export type { TftpClock } from './clock.js';
export { systemClock } from './clock.js';
export { type DirectorySourceOptions, directorySource } from './directory-source.js';
export type { FileSource, MemoryFile, ReadableFile, RemoteEndpoint, SourceFile } from './file-source.js';
export { TftpError } from './file-source.js';
export type { TftpLogger } from './logger.js';
export { silentLogger } from './logger.js';
export { encodeNetascii, type NetasciiCursor, NOTHING_OWED, netasciiLength } from './netascii.js';
export { type Negotiated, type NegotiationLimits, negotiateOptions } from './options.js';
export {
  ackBlock,
  allocateData,
  decodePacket,
  ErrorCode,
  encodeAck,
  encodeData,
  encodeError,
  encodeOptionAck,
  encodeRequest,
  MAX_REQUEST_SIZE,
  Opcode,
  type OptionList,
  type TftpPacket,
  type TransferMode,
} from './packet.js';
export {
  type PacketSender,
  ReadTransfer,
  type ReadTransferSetup,
  type TransferOutcome,
  type TransferStatus,
} from './read-transfer.js';
export { parseRequestPath, type RequestPath } from './request-path.js';
export {
  createTftpServer,
  type TftpServer,
  type TftpServerOptions,
  type TftpStats,
  type TransferReport,
} from './server.js';
