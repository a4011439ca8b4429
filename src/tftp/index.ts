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
