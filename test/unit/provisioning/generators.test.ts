import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  generateConfigFile,
  type ProvisioningSettingsInput,
  resolveProvisioningSettings,
} from '../../../src/provisioning/index.js';
import {
  provisioningSnapshot,
  SCCP_PHONE,
  SIP_PASSWORD,
  SIP_PHONE,
  TEST_SETTINGS,
  UNKNOWN_PHONE,
} from '../../fixtures/provisioning/config.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['member', 'line', 'ntp'].includes(name),
});

function generate(name: string, input: ProvisioningSettingsInput = TEST_SETTINGS, version = 42) {
  return generateConfigFile(name, provisioningSnapshot(version), resolveProvisioningSettings(input));
}

function text(name: string, input?: ProvisioningSettingsInput, version?: number): string {
  const file = generate(name, input, version);
  if (!file?.found) throw new Error(`${name} was not generated: ${JSON.stringify(file)}`);
  return file.data.toString('utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: parsed XML is checked value by value
function parse(name: string, input?: ProvisioningSettingsInput, version?: number): any {
  return parser.parse(text(name, input, version));
}

describe('SEP<MAC>.cnf.xml for a SIP phone', () => {
  const device = parse(`${SIP_PHONE}.cnf.xml`).device;

  it('names the protocol and the device pool with its date/time group', () => {
    expect(device.deviceProtocol).toBe('SIP');
    expect(device.devicePool.name).toBe('hq');
    expect(device.devicePool.dateTimeSetting).toEqual({
      name: 'CMLocal',
      dateTemplate: 'M/D/Y',
      timeZone: 'W. Europe Standard/Daylight Time',
      ntps: { ntp: [{ name: '10.0.0.123', ntpMode: 'Unicast' }] },
    });
  });

  it('lists the CallManager group in configured order with SIP ports only', () => {
    const members = device.devicePool.callManagerGroup.members.member;
    expect(members.map((m: { '@priority': string }) => m['@priority'])).toEqual(['0', '1']);
    expect(
      members.map((m: { callManager: { processNodeName: string } }) => m.callManager.processNodeName),
    ).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(members[0].callManager.ports).toEqual({ sipPort: '5060', securedSipPort: '5061' });
  });

  it('carries every line with DN, display name and the phone credentials', () => {
    const lines = device.sipProfile.sipLines.line;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      '@button': '1',
      '@lineIndex': '1',
      featureID: '9',
      featureLabel: 'John Smith',
      proxy: 'USECALLMANAGER',
      port: '5060',
      name: '201',
      displayName: 'John Smith',
      authName: 'jsmith',
      authPassword: SIP_PASSWORD,
      messagesNumber: '8000',
    });
    // The label overrides the display name on the key; XML specials survive the round trip.
    expect(lines[1]).toMatchObject({ '@button': '2', featureLabel: 'Sales', name: '202' });
    expect(lines[1].displayName).toBe('Zurita & <Sons> "Ltd"');
    expect(device.sipProfile.phoneLabel).toBe('John Smith');
  });

  it('stamps the configuration version and the model load, and lists the service URLs', () => {
    expect(device.versionStamp).toBe('42');
    expect(parse(`${SIP_PHONE}.cnf.xml`, TEST_SETTINGS, 43).device.versionStamp).toBe('43');
    expect(device.loadInformation).toBe('SIP41.9-4-2SR3-1S');
    expect(device.directoryURL).toBe('http://10.0.0.1:8080/directory?device=#DEVICENAME#&x=1');
    expect(device.servicesURL).toBe('');
    expect(device.userLocale).toMatchObject({ name: 'English_United_States', langCode: 'en_US' });
    expect(device.networkLocale).toBe('United_States');
  });
});

describe('SEP<MAC>.cnf.xml for an SCCP phone', () => {
  const device = parse(`${SCCP_PHONE}.cnf.xml`).device;

  it('has SCCP ports, the pool locale and no SIP profile', () => {
    expect(device.deviceProtocol).toBe('SCCP');
    expect(device.sipProfile).toBeUndefined();
    const [member] = device.devicePool.callManagerGroup.members.member;
    expect(member.callManager).toEqual({
      name: '192.168.7.1',
      ports: { ethernetPhonePort: '2002' },
      processNodeName: '192.168.7.1',
    });
    expect(device.userLocale.name).toBe('German_Germany');
    expect(device.loadInformation).toBe('P00308010200');
    expect(device.versionStamp).toBe('42');
  });

  it('gives a blank load for a model without one: the phone keeps the image it runs (R-REG-11)', () => {
    expect(parse(`${SCCP_PHONE}.cnf.xml`, {}).device.loadInformation).toBe('');
  });
});

describe('a device pool without nodes', () => {
  it('sends phones to the default CallManager group', () => {
    const input = { defaultCallManagerGroup: ['10.9.9.9'], autoRegistration: { enabled: true } };
    const pool = parse('SEPDefault.cnf.xml', input).device.devicePool;
    expect(pool.name).toBe('Default');
    expect(
      pool.callManagerGroup.members.member.map((m: { callManager: { name: string } }) => m.callManager.name),
    ).toEqual(['10.9.9.9']);
  });
});

describe('file-not-found rules (R-REG-04, R-REG-05)', () => {
  it('does not know a MAC that is not configured', () => {
    expect(generate(`${UNKNOWN_PHONE}.cnf.xml`)).toEqual({
      found: false,
      reason: `${UNKNOWN_PHONE} is not configured`,
    });
    expect(generate(`${UNKNOWN_PHONE}.cnf`)?.found).toBe(false);
  });

  it('serves SEPDefault only while auto-registration is on', () => {
    expect(generate('SEPDefault.cnf.xml')?.found).toBe(false);
    expect(generate('SEPdefault.cnf')?.found).toBe(false);
    const on = { ...TEST_SETTINGS, autoRegistration: { enabled: true, devicePool: 'hq' } };
    const device = parse('SEPDefault.cnf.xml', on).device;
    expect(device.deviceProtocol).toBe('SCCP');
    expect(device.devicePool.name).toBe('hq');
    expect(device.devicePool.callManagerGroup.members.member[0].callManager.ports).toEqual({
      ethernetPhonePort: '2000',
    });
    expect(text('SEPdefault.cnf', on)).toBe(
      '# SEPDefault.cnf, version 42\ncallManager1: 2000, , , ,10.0.0.2\ncallManager2: 2000, , , ,10.0.0.1\n',
    );
  });

  it('gives the legacy .cnf to SCCP phones only', () => {
    expect(text(`${SCCP_PHONE}.cnf`)).toBe(
      `# ${SCCP_PHONE}.cnf, version 42\ncallManager1: 2002, , , ,192.168.7.1\nloadInformation: P00308010200\n`,
    );
    expect(generate(`${SIP_PHONE}.cnf`)).toEqual({ found: false, reason: `${SIP_PHONE} is a SIP phone` });
  });

  it('leaves names it does not generate to the static folders', () => {
    expect(generate('P00308010200.loads')).toBeUndefined();
    expect(generate('RINGLIST.DAT')).toBeUndefined();
    expect(generate(`CTL${SIP_PHONE}.tlv`)).toBeUndefined();
    // OS79XX.TXT is generated only when a 7940/7960 load is configured.
    expect(generate('OS79XX.TXT', {})).toBeUndefined();
    expect(text('os79xx.txt')).toBe('P00308010200\n');
  });

  it('matches names in any case', () => {
    const canonical = text(`${SIP_PHONE}.cnf.xml`);
    expect(text(`${SIP_PHONE.toLowerCase()}.CNF.XML`)).toBe(canonical);
    expect(text('Sep0008a37128E9.Cnf.Xml')).toBe(canonical);
    expect(text('xmldefault.CNF.xml')).toBe(text('XMLDefault.cnf.xml'));
  });
});

describe('XMLDefault.cnf.xml', () => {
  it('has the default group with every protocol port and a load per known model', () => {
    const root = parse('XMLDefault.cnf.xml', {
      ...TEST_SETTINGS,
      defaultCallManagerGroup: ['10.1.1.1'],
    }).Default;
    expect(root.callManagerGroup.name).toBe('Default');
    expect(root.callManagerGroup.members.member[0].callManager).toEqual({
      name: '10.1.1.1',
      ports: { ethernetPhonePort: '2000', sipPort: '5060', securedSipPort: '5061' },
      processNodeName: '10.1.1.1',
    });
    expect(root.versionStamp).toBe('42');
    expect(root.loadInformation30018).toEqual({ '#text': 'SIP41.9-4-2SR3-1S', '@model': 'Cisco 7961' });
    expect(root.loadInformation7).toEqual({ '#text': 'P00308010200', '@model': 'Cisco 7960' });
  });

  it('leaves out loads of models without a known device type', () => {
    const xml = text('XMLDefault.cnf.xml', { loads: { 'Acme 1000': 'ACME1' } });
    expect(xml).not.toContain('ACME1');
  });
});
