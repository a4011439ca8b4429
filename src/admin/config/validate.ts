import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { checkReferences } from './check-references.js';
import type { ConfigError } from './config-error.js';
import {
  type ConfigFile,
  type Configuration,
  DEFAULT_REGISTRAR,
  type NodeSettingsInput,
  type PhoneAdmissionInput,
  type PhoneConfig,
  type TrunkConfig,
} from './configuration.js';
import { fileSchema, type RawFile } from './file-schema.js';
import { isPortRange } from './node-settings.js';
import { DecodeContext, INVALID } from './yaml-decoder.js';

/** Files beyond this size are refused before parsing. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export type ValidationResult =
  | { readonly ok: true; readonly file: ConfigFile }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/**
 * Validates the text of a `strowger.yaml` and returns either the configuration or every error,
 * each with line and column. Pure: reads no store, never throws on any input.
 */
export function validateConfigText(text: string, fileName: string): ValidationResult {
  if (text.length > MAX_CONFIG_BYTES) {
    return {
      ok: false,
      errors: [
        { file: fileName, line: 1, column: 1, path: '', message: `larger than ${MAX_CONFIG_BYTES} bytes` },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const context = new DecodeContext(fileName, lineCounter);
  for (const error of [...document.errors, ...document.warnings])
    context.errorAt(error.pos[0], '', error.message);
  if (context.errors.length > 0) return { ok: false, errors: context.errors };

  const decoded = document.contents === null ? ({} as RawFile) : fileSchema(document.contents, '', context);
  if (decoded !== INVALID) checkReferences(decoded, context);
  if (decoded === INVALID || context.errors.length > 0)
    return { ok: false, errors: sortByPosition(context.errors) };
  return {
    ok: true,
    file: {
      node: nodeSettings(decoded),
      ...phoneAdmission(decoded),
      configuration: configuration(decoded),
      sha256: createHash('sha256').update(text).digest('hex'),
    },
  };
}

function sortByPosition(errors: ConfigError[]): ConfigError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

function phoneAdmission({ node }: RawFile): { phones?: PhoneAdmissionInput } {
  const phones = node?.phones;
  if (!phones) return {};
  const auto = phones.autoRegistration;
  return {
    phones: {
      ...(phones.maxPhones === undefined ? {} : { maxPhones: phones.maxPhones }),
      ...(phones.keepaliveSeconds === undefined ? {} : { keepaliveSeconds: phones.keepaliveSeconds }),
      ...(auto === undefined
        ? {}
        : {
            autoRegistration: {
              enabled: auto.enabled,
              account: auto.account,
              directoryNumbers: auto.directoryNumbers,
              partition: auto.partition,
              devicePool: auto.devicePool ?? null,
              callingSearchSpace: auto.callingSearchSpace ?? null,
            },
          }),
    },
  };
}

function nodeSettings({ node }: RawFile): NodeSettingsInput {
  if (!node) return {};
  const settings: NodeSettingsInput = {
    bind: node.bind,
    sipUdpPort: node.sip?.udp,
    sipTcpPort: node.sip?.tcp,
    sipTlsPort: node.sip?.tls,
    sipWsPort: node.sip?.ws,
    digestAlgorithms: node.sip?.digestAlgorithms,
    httpPort: node.http?.port,
    httpBind: node.http?.bind,
    tftpPort: node.provisioning?.tftpPort,
    provisioningHttpPort: node.provisioning?.httpPort,
    provisioningFiles: node.provisioning?.files,
    dataDir: node.dataDir,
    databaseUrl: node.database?.url,
    adminToken: node.adminToken,
    logLevel: node.logLevel,
    registrarPersistence: node.registrar?.persistence,
    mediaAnchor: node.media?.anchor === undefined ? undefined : node.media.anchor === 'on',
    mediaAddress: node.media?.address,
    mediaPortRange:
      node.media?.portRange !== undefined && isPortRange(node.media.portRange)
        ? node.media.portRange
        : undefined,
    mediaWorkers: node.media?.workers,
    mediaTimeoutSeconds: node.media?.mediaTimeoutSeconds,
    musicOnHold: node.media?.musicOnHold?.default,
    musicOnHoldG729: node.media?.musicOnHold?.g729,
    mediaRecordings: node.media?.recordings,
    conferenceMax: node.media?.conference?.maxConferences,
    conferenceGainDb: node.media?.conference?.gainDb,
    conferenceFactoryNumber: node.media?.conference?.factoryNumber,
    conferenceRoomPrefix: node.media?.conference?.roomPrefix,
    conferenceCallingSearchSpace: node.media?.conference?.callingSearchSpace,
    toneRegion: node.media?.toneRegion,
    callFailureInband: node.media?.callFailure?.inband,
    callFailureSeconds: node.media?.callFailure?.seconds,
    notInServiceAnnouncement: node.media?.callFailure?.notInService,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** From the file's shape (nested `forward:`, `sip:`) to the store's flat objects. */
function configuration(file: RawFile): Configuration {
  const result: { -readonly [K in keyof Configuration]: Configuration[K] } = {};
  if (file.registrar) {
    const { default: expiresDefault, min: expiresMin, max: expiresMax } = file.registrar.expires;
    const fallback = Math.min(Math.max(DEFAULT_REGISTRAR.expiresDefault, expiresMin), expiresMax);
    result.registrar = { expiresDefault: expiresDefault ?? fallback, expiresMin, expiresMax };
  }
  if (file.partitions) result.partitions = file.partitions;
  if (file.callingSearchSpaces) result.callingSearchSpaces = file.callingSearchSpaces;
  if (file.devicePools) {
    result.devicePools = file.devicePools.map((pool) => ({
      ...pool,
      region: pool.region ?? null,
      mohSource: pool.mohSource ?? null,
      locale: pool.locale ?? null,
      toneRegion: pool.toneRegion ?? null,
    }));
  }
  if (file.users) result.users = file.users;
  if (file.lines) {
    result.lines = file.lines.map((line) => ({
      dn: line.dn,
      partition: line.partition,
      displayName: line.displayName,
      description: line.description,
      forwardAll: line.forward?.all ?? null,
      forwardBusy: line.forward?.busy ?? null,
      forwardNoAnswer: line.forward?.noAnswer ?? null,
      noAnswerTimeout: line.forward?.noAnswerTimeout ?? null,
      voicemailPilot: line.voicemail ?? null,
      mwi: line.mwi,
      secondaryNumber: line.secondary ?? null,
      noRegistration: line.noReg ?? null,
      dualLine: line.dualLine,
      mwiControl: line.mwiControl ?? null,
    }));
  }
  if (file.phones) {
    result.phones = file.phones.map(
      (phone): PhoneConfig => ({
        name: phone.name,
        model: phone.model,
        protocol: phone.protocol,
        description: phone.description,
        devicePool: phone.devicePool ?? null,
        callingSearchSpace: phone.callingSearchSpace ?? null,
        owner: phone.owner ?? null,
        sipUsername: phone.sip?.username ?? null,
        sipPassword: phone.sip?.password ?? null,
        lines: phone.lines.map((appearance, index) => ({
          button: appearance.button ?? index + 1,
          dn: appearance.dn,
          partition: appearance.partition ?? null,
          label: appearance.label ?? null,
        })),
      }),
    );
  }
  Object.assign(result, dialPlanConfiguration(file));
  return result;
}

/** The dial plan and trunk sections, from the file's nested shape to the store's rows. */
function dialPlanConfiguration(file: RawFile): Configuration {
  const result: { -readonly [K in keyof Configuration]: Configuration[K] } = {};
  if (file.translationRules) {
    result.translationRules = file.translationRules.map(({ id, rules }) => ({
      id,
      rules: rules
        .map(({ precedence, match, replace, reject }) => ({
          precedence,
          match,
          replace: reject ? null : (replace ?? ''),
          reject,
        }))
        .sort((a, b) => a.precedence - b.precedence),
    }));
  }
  if (file.translationProfiles) {
    result.translationProfiles = file.translationProfiles.map((profile) => ({
      name: profile.name,
      called: profile.called ?? null,
      calling: profile.calling ?? null,
      redirectTarget: profile.redirectTarget ?? null,
      redirectCalled: profile.redirectCalled ?? null,
    }));
  }
  if (file.trunks) {
    result.trunks = file.trunks.map(
      (trunk): TrunkConfig => ({ ...trunk, callingSearchSpace: trunk.callingSearchSpace ?? null }),
    );
  }
  if (file.pilots) result.pilots = file.pilots;
  if (file.dialPeers) {
    result.dialPeers = file.dialPeers.map((peer) => ({
      tag: peer.tag,
      kind: peer.kind,
      description: peer.description,
      destinationPattern: peer.destinationPattern ?? null,
      incomingCalledNumber: peer.incomingCalledNumber ?? null,
      answerAddress: peer.answerAddress ?? null,
      preference: peer.preference,
      sessionTarget: peer.sessionTarget ?? (peer.trunk === undefined ? null : 'sip-server'),
      trunk: peer.trunk ?? null,
      port: peer.port ?? null,
      translationProfileIncoming: peer.translationProfile?.incoming ?? null,
      translationProfileOutgoing: peer.translationProfile?.outgoing ?? null,
      digitStrip: peer.digitStrip ?? true,
      forwardDigits: peer.forwardDigits ?? null,
      prefix: peer.prefix ?? null,
      codecs: peer.codecs,
      dtmfRelay: peer.dtmfRelay,
      b2bua: peer.b2bua,
      vad: peer.vad,
    }));
  }
  if (file.routePatterns) {
    result.routePatterns = file.routePatterns.map((route) => ({
      pattern: route.pattern,
      partition: route.partition ?? null,
      description: route.description,
      trunk: route.trunk ?? null,
      pilot: route.pilot ?? null,
      // '' blocks with the library's own reason
      blockReason: route.blocked ? (route.reason ?? '') : null,
      called: route.called ?? null,
      calling: route.calling ?? null,
    }));
  }
  if (file.translationPatterns) {
    result.translationPatterns = file.translationPatterns.map((translation) => ({
      pattern: translation.pattern,
      partition: translation.partition ?? null,
      description: translation.description,
      callingSearchSpace: translation.callingSearchSpace ?? null,
      blocked: translation.blocked,
      called: translation.called ?? null,
      calling: translation.calling ?? null,
    }));
  }
  return result;
}
