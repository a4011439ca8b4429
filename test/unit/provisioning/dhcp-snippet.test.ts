import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { dhcpSnippet, registerProvisioningCommands } from '../../../src/provisioning/index.js';

const options = {
  tftpServers: ['10.1.1.5', '10.1.1.6'],
  subnet: '10.1.1.0/24',
  router: '10.1.1.1',
  dnsServers: ['10.1.1.2'],
  domainName: 'example.com',
};

function snippet(kind: 'kea' | 'dnsmasq' | 'ios', input = options): string {
  const result = dhcpSnippet(kind, input);
  if (!result.ok) throw new Error(result.error);
  return result.text;
}

describe('DHCP snippets (R-REG-13)', () => {
  it('IOS: a pool with option 150 as addresses and option 66 as text', () => {
    expect(snippet('ios').split('\n')).toEqual([
      '! Cisco IP phones: option 150 (TFTP server addresses) and option 66 (TFTP server name)',
      'ip dhcp excluded-address 10.1.1.1 10.1.1.127',
      '!',
      'ip dhcp pool strowger-phones',
      ' network 10.1.1.0 255.255.255.0',
      ' default-router 10.1.1.1',
      ' dns-server 10.1.1.2',
      ' domain-name example.com',
      ' option 150 ip 10.1.1.5 10.1.1.6',
      ' option 66 ascii 10.1.1.5',
      '!',
      '',
    ]);
  });

  it('dnsmasq: range, router, DNS, domain and both TFTP options', () => {
    const lines = snippet('dnsmasq').split('\n');
    expect(lines).toContain('dhcp-range=10.1.1.128,10.1.1.254,255.255.255.0,24h');
    expect(lines).toContain('dhcp-option=option:router,10.1.1.1');
    expect(lines).toContain('dhcp-option=option:dns-server,10.1.1.2');
    expect(lines).toContain('dhcp-option=option:domain-name,example.com');
    expect(lines).toContain('dhcp-option=66,"10.1.1.5"');
    expect(lines).toContain('dhcp-option=150,10.1.1.5,10.1.1.6');
  });

  it('Kea: defines option 150 as an address list and sets it on the subnet', () => {
    const config = JSON.parse(snippet('kea'));
    expect(config.Dhcp4['option-def']).toEqual([
      { name: 'cisco-tftp-servers', code: 150, type: 'ipv4-address', array: true, space: 'dhcp4' },
    ]);
    const [subnet] = config.Dhcp4.subnet4;
    expect(subnet.subnet).toBe('10.1.1.0/24');
    expect(subnet.pools).toEqual([{ pool: '10.1.1.128 - 10.1.1.254' }]);
    expect(subnet['option-data']).toEqual([
      { name: 'routers', data: '10.1.1.1' },
      { name: 'domain-name-servers', data: '10.1.1.2' },
      { name: 'domain-name', data: 'example.com' },
      { name: 'tftp-server-name', data: '10.1.1.5' },
      { name: 'cisco-tftp-servers', data: '10.1.1.5, 10.1.1.6' },
    ]);
  });

  it('defaults to the /24 around the TFTP server', () => {
    expect(snippet('ios', { tftpServers: ['172.16.5.9'] } as typeof options)).toContain(
      ' network 172.16.5.0 255.255.255.0',
    );
    expect(
      snippet('dnsmasq', { tftpServers: ['172.16.5.9'], subnet: '172.16.0.0/16' } as typeof options),
    ).toContain('dhcp-range=172.16.128.0,172.16.255.254,255.255.0.0,24h');
  });

  it.each([
    [{ tftpServers: [] }, 'give one to eight TFTP server addresses'],
    [{ tftpServers: ['phones.example.com'] }, 'a TFTP server address is not an IPv4 address'],
    [{ tftpServers: ['10.0.0.256'] }, 'a TFTP server address is not an IPv4 address'],
    [{ tftpServers: ['010.0.0.1'] }, 'a TFTP server address is not an IPv4 address'],
    [{ tftpServers: ['10.0.0.1'], subnet: '10.0.0.1/24' }, "the subnet's network address is 10.0.0.0"],
    [
      { tftpServers: ['10.0.0.1'], subnet: '10.0.0.0/31' },
      'the subnet must be network/prefix with a prefix of 8–30',
    ],
    [{ tftpServers: ['10.0.0.1'], router: 'gw' }, 'the router is not an IPv4 address'],
    [{ tftpServers: ['10.0.0.1'], domainName: 'bad domain\n' }, 'the domain name is not valid'],
    [
      { tftpServers: ['10.0.0.1'], poolName: 'x\n ip dhcp pool evil' },
      'the pool name may hold letters, digits, _ . - (up to 64)',
    ],
  ])('refuses %j', (input, error) => {
    expect(dhcpSnippet('ios', input)).toEqual({ ok: false, error });
  });
});

describe('strowger dhcp-snippet', () => {
  function run(args: string[]): { out: string; err: string; exitCode: number | undefined } {
    let out = '';
    let err = '';
    const program = new Command('strowger')
      .exitOverride()
      .configureOutput({ writeErr: (text) => (err += text) });
    registerProvisioningCommands(program, { write: (text: string) => (out += text) });
    try {
      program.parse(['dhcp-snippet', ...args], { from: 'user' });
      return { out, err, exitCode: undefined };
    } catch (error) {
      return { out, err, exitCode: (error as { exitCode?: number }).exitCode };
    }
  }

  it('prints the chosen kind', () => {
    const result = run([
      '--ios',
      '--tftp-server',
      '10.1.1.5',
      '--tftp-server',
      '10.1.1.6',
      '--router',
      '10.1.1.1',
    ]);
    expect(result.exitCode).toBeUndefined();
    expect(result.out).toContain(' option 150 ip 10.1.1.5 10.1.1.6\n');
    expect(result.out).toContain(' default-router 10.1.1.1\n');
  });

  it('needs exactly one kind and valid addresses', () => {
    expect(run(['--tftp-server', '10.1.1.5'])).toMatchObject({ exitCode: 2, out: '' });
    expect(run(['--kea', '--ios', '--tftp-server', '10.1.1.5']).exitCode).toBe(2);
    const bad = run(['--dnsmasq', '--tftp-server', 'nonsense']);
    expect(bad.exitCode).toBe(2);
    expect(bad.err).toContain('not an IPv4 address');
  });
});
