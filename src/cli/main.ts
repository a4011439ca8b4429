#!/usr/bin/env node
/**
 * The `strowger` command: start a node, validate and apply configuration files.
 */
import { Command } from 'commander';
import { applyConfig, formatChange, type NodeSettingsFlags, resolveNodeSettings } from '../admin/index.js';
import { registerProvisioningCommands } from '../provisioning/index.js';
import { loadConfigFile } from '../server/config-file.js';
import { startServer } from '../server/server.js';
import { openStore } from '../store/index.js';
import { registerDiagnoseCommand } from './diagnose.js';
import { registerDnaCommand } from './dna.js';
import { registerRecordCommands } from './record.js';
import { registerShowCommands } from './show.js';
import { registerTraceCommand } from './trace.js';

function fail(lines: readonly string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(1);
}

const program = new Command('strowger')
  .description('Strowger call-control server')
  .showHelpAfterError()
  .version('0.1.0');

program
  .command('start')
  .description('start the server (SIP and management) on the embedded store or PostgreSQL')
  .option('-c, --config <file>', 'strowger.yaml to apply at start (an invalid file stops the start)')
  .option('--data-dir <dir>', 'data directory for the embedded store')
  .option('--database-url <url>', 'PostgreSQL instead of the embedded store')
  .option('--bind <address>', 'address the SIP listeners bind to')
  .option('--sip-port <port>', 'SIP port for UDP and TCP')
  .option('--http-port <port>', 'management API port (off to disable)')
  .option(
    '--sip-digest-algorithms <list>',
    'digest challenges offered to phones, e.g. SHA-256,MD5 (default MD5)',
  )
  .option('--media-anchor <on|off>', 'RTP through Strowger (default on: MOH, DTMF interworking, transcoding)')
  .option('--media-address <address>', 'address put in SDP for anchored media')
  .option('--media-port-range <min-max>', 'RTP ports (default 16384-32767)')
  .option('--media-workers <n>', 'RTP engine worker threads (default: one per spare core; 0 inline)')
  .option('--media-timeout-seconds <s>', 'clear a call after this long without RTP (0 never)')
  .option('--music-on-hold <file>', 'WAV or AU file for the default MOH class')
  .option('--music-on-hold-g729 <file>', 'G.729 MOH (WAV, AU or raw .g729) for parties that talk G.729')
  .option('--media-recordings <folder>', 'folder of call recordings (default <data-dir>/recordings)')
  .option('--max-conferences <n>', 'conference rooms at once (CME max-conferences, default 12)')
  .option('--conference-gain-db <dB>', 'gain of every voice in a conference mix (default -6)')
  .option('--conference-factory-number <number>', 'number that opens an ad hoc conference (RFC 4579 factory)')
  .option('--conference-room-prefix <digits>', 'prefix of conference room numbers (default *8)')
  .option('--conference-css <name>', 'calling search space of the bridge when it dials out')
  .option('--tone-region <region>', 'generated call-progress tones: north-america (default) or itu')
  .option(
    '--call-failure-inband <who>',
    'failure tones before the final response: off (default), trunks or all',
  )
  .option('--call-failure-seconds <s>', 'longest a failure tone or announcement plays (default 10)')
  .option(
    '--not-in-service-announcement <file>',
    'WAV or AU played for a number not in service (default: SIT)',
  )
  .option(
    '--registrar-persistence <mode>',
    'write-back (default: bindings stored within 1 s) or write-through',
  )
  .option('--admin-token <token>', 'token the management API requires (default $STROWGER_ADMIN_TOKEN)')
  .option('--tftp-port <port>', 'TFTP port for phone configuration files (default 69; off to disable)')
  .option('--provisioning-http-port <port>', 'HTTP port for phone configuration files (default 6970)')
  .option(
    '--provisioning-files <folder>',
    'static files served to phones beside the generated ones (firmware, ring lists)',
  )
  .option('--log-level <level>', 'trace, debug, info, warn, error or fatal')
  .action(async (options: Record<string, string | undefined>) => {
    const loaded = options.config ? await loadConfigFile(options.config) : undefined;
    if (loaded && !loaded.ok) fail(loaded.errors);
    const flags: NodeSettingsFlags = {
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      bind: options.bind,
      sipUdpPort: options.sipPort,
      sipTcpPort: options.sipPort,
      httpPort: options.httpPort,
      digestAlgorithms: options.sipDigestAlgorithms,
      mediaAnchor: options.mediaAnchor,
      mediaAddress: options.mediaAddress,
      mediaPortRange: options.mediaPortRange,
      mediaWorkers: options.mediaWorkers,
      mediaTimeoutSeconds: options.mediaTimeoutSeconds,
      conferenceMax: options.maxConferences,
      conferenceGainDb: options.conferenceGainDb,
      conferenceFactoryNumber: options.conferenceFactoryNumber,
      conferenceRoomPrefix: options.conferenceRoomPrefix,
      conferenceCallingSearchSpace: options.conferenceCss,
      toneRegion: options.toneRegion,
      callFailureInband: options.callFailureInband,
      callFailureSeconds: options.callFailureSeconds,
      notInServiceAnnouncement: options.notInServiceAnnouncement,
      registrarPersistence: options.registrarPersistence,
      musicOnHold: options.musicOnHold,
      musicOnHoldG729: options.musicOnHoldG729,
      mediaRecordings: options.mediaRecordings,
      adminToken: options.adminToken,
      tftpPort: options.tftpPort,
      provisioningHttpPort: options.provisioningHttpPort,
      provisioningFiles: options.provisioningFiles,
      logLevel: options.logLevel,
    };
    const resolved = resolveNodeSettings({ file: loaded?.file.node, env: process.env, flags });
    if (!resolved.ok) fail(resolved.errors);
    const server = await startServer({ settings: resolved.settings, config: loaded?.file });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal }, 'stopping');
      server.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          server.logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

const config = program.command('config').description('configuration files');
config
  .command('validate <file>')
  .description('check a strowger.yaml; prints every error with line and column')
  .action(async (file: string) => {
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) fail(loaded.errors);
    process.stdout.write(`${file}: valid\n`);
  });

program
  .command('apply <file>')
  .description('make the store hold the configuration of a file (all or nothing; idempotent)')
  .option('--data-dir <dir>', 'data directory of the embedded store')
  .option('--database-url <url>', 'PostgreSQL instead of the embedded store')
  .action(async (file: string, options: Record<string, string | undefined>) => {
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) fail(loaded.errors);
    const resolved = resolveNodeSettings({
      file: loaded.file.node,
      env: process.env,
      flags: { dataDir: options.dataDir, databaseUrl: options.databaseUrl },
    });
    if (!resolved.ok) fail(resolved.errors);
    const { settings } = resolved;
    const store = await openStore(
      settings.databaseUrl ? { url: settings.databaseUrl } : { dataDir: settings.dataDir },
    );
    try {
      const applied = await applyConfig(store, loaded.file);
      if (!applied.ok) fail(applied.errors);
      if (applied.changes.length === 0)
        process.stdout.write(`no changes (configuration version ${applied.version})\n`);
      for (const change of applied.changes) process.stdout.write(`${formatChange(change)}\n`);
      if (applied.changes.length > 0) process.stdout.write(`configuration version ${applied.version}\n`);
    } finally {
      await store.close();
    }
  });

registerShowCommands(program);
registerTraceCommand(program);
registerProvisioningCommands(program);
registerDnaCommand(program);
registerDiagnoseCommand(program);
registerRecordCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`strowger: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
