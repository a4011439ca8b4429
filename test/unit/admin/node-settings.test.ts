import { describe, expect, it } from 'vitest';
import { resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';

const token = 'a-long-enough-admin-token';

describe('resolveNodeSettings', () => {
  it('has documented defaults and binds to loopback without an admin token', () => {
    expect(resolveNodeSettings({})).toEqual({
      ok: true,
      settings: {
        bind: '127.0.0.1',
        sip: { udp: 5060, tcp: 5060, tls: false, ws: false, digestAlgorithms: ['MD5'] },
        http: { port: 8080, bind: '127.0.0.1' },
        provisioning: { tftpPort: 69, httpPort: 6970, files: null },
        dataDir: './var',
        databaseUrl: null,
        adminToken: null,
        logLevel: 'info',
        registrar: { persistence: 'write-back' },
        media: {
          anchor: true,
          address: null,
          portRange: [16384, 32767],
          workers: null,
          mediaTimeoutSeconds: 30,
          musicOnHold: null,
          conference: {
            maxConferences: 12,
            gainDb: -6,
            factoryNumber: null,
            roomPrefix: '*8',
            callingSearchSpace: null,
          },
          toneRegion: 'north-america',
          callFailure: { inband: 'off', seconds: 10, notInService: null },
        },
      },
    });
  });

  it('binds to every interface once an admin token is configured', () => {
    const result = resolveNodeSettings({ env: { STROWGER_ADMIN_TOKEN: token } });
    expect(result.ok && [result.settings.bind, result.settings.http.bind]).toEqual(['0.0.0.0', '0.0.0.0']);
  });

  it('lets the environment override the file and flags override both', () => {
    const file = { sipUdpPort: 5070, httpPort: 9000, logLevel: 'warn' as const, dataDir: '/srv/file' };
    const env = { STROWGER_SIP_UDP_PORT: '5080', STROWGER_HTTP_PORT: '9100', STROWGER_LOG_LEVEL: '' };
    const flags = { httpPort: '9200', sipTlsPort: 5061 };
    const result = resolveNodeSettings({ file, env, flags });
    expect(result.ok && result.settings).toMatchObject({
      sip: { udp: 5080, tcp: 5060, tls: 5061, ws: false },
      http: { port: 9200 },
      logLevel: 'warn', // an empty variable counts as unset
      dataDir: '/srv/file',
    });
  });

  it('reads node.registrar.persistence from the file, and STROWGER_REGISTRAR_PERSISTENCE over it', () => {
    const parsed = validateConfigText(
      'node:\n  registrar: { persistence: write-through }\n',
      'strowger.yaml',
    );
    const file = parsed.ok ? parsed.file.node : {};
    expect(file).toEqual({ registrarPersistence: 'write-through' });
    const fromFile = resolveNodeSettings({ file });
    expect(fromFile.ok && fromFile.settings.registrar).toEqual({ persistence: 'write-through' });
    const fromEnv = resolveNodeSettings({ file, env: { STROWGER_REGISTRAR_PERSISTENCE: 'write-back' } });
    expect(fromEnv.ok && fromEnv.settings.registrar).toEqual({ persistence: 'write-back' });
    expect(resolveNodeSettings({ env: { STROWGER_REGISTRAR_PERSISTENCE: 'lazy' } })).toEqual({
      ok: false,
      errors: ['STROWGER_REGISTRAR_PERSISTENCE: expected one of write-back, write-through, got "lazy"'],
    });
    expect(validateConfigText('node:\n  registrar: { persistence: lazy }\n', 'strowger.yaml').ok).toBe(false);
  });

  it('reads the tone region and failure tones from the file, environment and flags', () => {
    const parsed = validateConfigText(
      [
        'node:',
        '  media:',
        '    toneRegion: itu',
        '    callFailure: { inband: trunks, seconds: 5, notInService: /srv/moh/not-in-service.wav }',
        '',
      ].join('\n'),
      'strowger.yaml',
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const fromFile = resolveNodeSettings({ file: parsed.file.node });
    expect(fromFile.ok && [fromFile.settings.media.toneRegion, fromFile.settings.media.callFailure]).toEqual([
      'itu',
      { inband: 'trunks', seconds: 5, notInService: '/srv/moh/not-in-service.wav' },
    ]);
    const overridden = resolveNodeSettings({
      file: parsed.file.node,
      env: { STROWGER_CALL_FAILURE_INBAND: 'all' },
      flags: { toneRegion: 'north-america', callFailureSeconds: '20' },
    });
    expect(overridden.ok && overridden.settings.media).toMatchObject({
      toneRegion: 'north-america',
      callFailure: { inband: 'all', seconds: 20 },
    });
    expect(
      resolveNodeSettings({ env: { STROWGER_TONE_REGION: 'uk' }, flags: { callFailureSeconds: '0' } }),
    ).toEqual({
      ok: false,
      errors: [
        'STROWGER_TONE_REGION: expected one of north-america, itu, got "uk"',
        '--call-failure-seconds: expected an integer 1–60, got "0"',
      ],
    });
    const invalid = validateConfigText('node:\n  media:\n    callFailure: { inband: sometimes }\n', 'x.yaml');
    expect(invalid.ok ? [] : invalid.errors.map((error) => error.message)).toEqual([
      expect.stringContaining('off, trunks, all'),
    ]);
  });

  it('switches a listener off with off or false', () => {
    const result = resolveNodeSettings({
      file: { sipUdpPort: 5060 },
      env: { STROWGER_SIP_UDP_PORT: 'off' },
      flags: { sipTcpPort: false },
    });
    expect(result.ok && result.settings.sip).toMatchObject({ udp: false, tcp: false });
  });

  it('takes node settings from the file as validated', () => {
    const parsed = validateConfigText(
      'node:\n  sip: { tls: 5061 }\n  database: { url: "postgres://db/strowger" }\n',
      'x.yaml',
    );
    if (!parsed.ok) throw new Error('invalid');
    const result = resolveNodeSettings({ file: parsed.file.node });
    expect(result.ok && [result.settings.sip.tls, result.settings.databaseUrl]).toEqual([
      5061,
      'postgres://db/strowger',
    ]);
  });

  it('reports every bad environment variable and flag without throwing or echoing secrets', () => {
    const result = resolveNodeSettings({
      env: { STROWGER_HTTP_PORT: '80a', STROWGER_ADMIN_TOKEN: 'short', STROWGER_DATABASE_URL: 'mysql://x' },
      flags: { sipUdpPort: '65536', logLevel: 'loud', bind: { not: 'a string' } as never },
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'STROWGER_HTTP_PORT: expected a port 0–65535 or off, got "80a"',
        'STROWGER_DATABASE_URL: expected a postgres:// URL',
        'STROWGER_ADMIN_TOKEN: expected at least 16 characters without spaces',
        '--bind: expected a string, got "[object Object]"',
        '--sip-udp-port: expected a port 0–65535 or off, got "65536"',
        '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      ],
    });
  });
});

describe('digest algorithms', () => {
  it('default to MD5 alone and follow file < environment < flag', () => {
    const fromFile = resolveNodeSettings({ file: { digestAlgorithms: ['SHA-256', 'MD5'] } });
    expect(fromFile.ok && fromFile.settings.sip.digestAlgorithms).toEqual(['SHA-256', 'MD5']);
    const fromEnv = resolveNodeSettings({
      file: { digestAlgorithms: ['MD5'] },
      env: { STROWGER_SIP_DIGEST_ALGORITHMS: 'SHA-256' },
    });
    expect(fromEnv.ok && fromEnv.settings.sip.digestAlgorithms).toEqual(['SHA-256']);
    const fallback = resolveNodeSettings({});
    expect(fallback.ok && fallback.settings.sip.digestAlgorithms).toEqual(['MD5']);
  });

  it('refuses an unknown or repeated algorithm', () => {
    const unknown = resolveNodeSettings({ env: { STROWGER_SIP_DIGEST_ALGORITHMS: 'MD5,SHA-1' } });
    expect(unknown.ok).toBe(false);
    const repeated = resolveNodeSettings({ flags: { digestAlgorithms: 'MD5,MD5' } });
    expect(repeated.ok).toBe(false);
  });
});

describe('node.phones', () => {
  const file = (phones: string) =>
    validateConfigText(
      ['node:', '  phones:', ...phones.split('\n').map((line) => `    ${line}`)].join('\n'),
      'n.yaml',
    );

  it('reads the phone limit and auto-registration', () => {
    const result = file(
      [
        'maxPhones: 500',
        'keepaliveSeconds: 45',
        'autoRegistration:',
        '  enabled: true',
        '  account: { username: autoreg, password: demo-autoreg }',
        '  directoryNumbers: { first: "2000", last: "2099" }',
        '  partition: internal',
        '  devicePool: default',
      ].join('\n'),
    );
    expect(result.ok && result.file.phones).toEqual({
      maxPhones: 500,
      keepaliveSeconds: 45,
      autoRegistration: {
        enabled: true,
        account: { username: 'autoreg', password: 'demo-autoreg' },
        directoryNumbers: { first: '2000', last: '2099' },
        partition: 'internal',
        devicePool: 'default',
        callingSearchSpace: null,
      },
    });
  });

  it('leaves auto-registration off when enabled is not given, and reports a missing range', () => {
    const off = file(
      [
        'autoRegistration:',
        '  account: { username: a, password: b }',
        '  directoryNumbers: { first: "1", last: "9" }',
        '  partition: p',
      ].join('\n'),
    );
    expect(off.ok && off.file.phones?.autoRegistration?.enabled).toBe(false);
    const missing = file(
      ['autoRegistration:', '  account: { username: a, password: b }', '  partition: p'].join('\n'),
    );
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.errors.map((e) => e.message).join()).toMatch(/directoryNumbers/);
  });
});

it("refuses a keepalive above the seed's maximum of 1000 seconds", () => {
  const result = validateConfigText('node:\n  phones:\n    keepaliveSeconds: 1001\n', 'n.yaml');
  expect(result.ok).toBe(false);
});
