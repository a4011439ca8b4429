/**
 * Phone provisioning: the files Cisco phones fetch at boot, generated on each request from the
 * current configuration snapshot, and the servers that hand them out.
 *
 * - Generators: `SEP<MAC>.cnf.xml`, `SEPDefault.cnf.xml` (auto-registration only),
 *   `XMLDefault.cnf.xml`, the legacy `SEP<MAC>.cnf` / `SEPDefault.cnf` and `OS79XX.TXT`.
 * - `provisioningSource(snapshot, options)`: a TFTP FileSource with generated files first, then
 *   static files from folders.
 * - `createProvisioningHttpServer`: the same files over HTTP (CUCM port 6970).
 * - `createProvisioningService`: TFTP + HTTP + the per-phone fetch log.
 * - `dhcpSnippet` and `registerProvisioningCommands`: DHCP configuration with options 150 and 66.
 *
 * Boot flow, options and file names: docs/provisioning.md.
 */
export { type CallManagerGroup, callManagerGroupOf, DEFAULT_POOL_NAME } from './call-manager-group.js';
export { type CommandOutput, registerProvisioningCommands } from './cli.js';
export { type ConfigFileName, deviceOfFileName, parseConfigFileName } from './config-file-name.js';
export { xmlDefaultConfig } from './default-config.js';
export { defaultDeviceConfigXml, loadFor, phoneConfigXml, versionStamp } from './device-config.js';
export { deviceTypeOf } from './device-types.js';
export {
  DHCP_SERVER_KINDS,
  type DhcpServerKind,
  type DhcpSnippetOptions,
  type DhcpSnippetResult,
  dhcpSnippet,
} from './dhcp-snippet.js';
export { FetchLog, type FetchLogOptions, type FetchRecord } from './fetch-log.js';
export { type GeneratedFile, generateConfigFile } from './generated-files.js';
export {
  createProvisioningHttpServer,
  type HttpFetch,
  type HttpStats,
  type ProvisioningHttpServer,
  type ProvisioningHttpServerOptions,
} from './http-server.js';
export { legacyDeviceConfig, os79xxText } from './legacy-config.js';
export type { ProvisioningLogger } from './logger.js';
export {
  type ProvisioningSource,
  type ProvisioningSourceOptions,
  provisioningSource,
} from './provisioning-source.js';
export {
  createProvisioningService,
  type ListenerOptions,
  type ProvisioningService,
  type ProvisioningServiceOptions,
  type ProvisioningStats,
} from './service.js';
export {
  type AutoRegistrationSettings,
  type DateTimeSettings,
  DEFAULT_NODE_PORTS,
  type LocaleSettings,
  modelKey,
  type NodePorts,
  type PhoneServiceUrls,
  type ProvisioningSettings,
  type ProvisioningSettingsInput,
  resolveProvisioningSettings,
} from './settings.js';
