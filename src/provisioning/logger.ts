/** A pino logger satisfies this (the TFTP server takes the same shape). */
export type { TftpLogger as ProvisioningLogger } from '../tftp/index.js';
export { silentLogger } from '../tftp/index.js';
