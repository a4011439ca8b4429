/**
 * Ready-to-paste DHCP server configuration for a phone subnet (R-REG-13): address pool, router,
 * DNS, domain name, and the TFTP server as Cisco phones look for it: option 150 (Cisco's TFTP
 * server address list, preferred by the phones) and option 66 (RFC 2132 §9.4 TFTP server name,
 * for phones and servers that only know that one).
 */

export type DhcpServerKind = 'kea' | 'dnsmasq' | 'ios';

export const DHCP_SERVER_KINDS: readonly DhcpServerKind[] = ['kea', 'dnsmasq', 'ios'];

export interface DhcpSnippetOptions {
  /** TFTP servers (IPv4, option 150 carries addresses), in the order phones should try them. */
  readonly tftpServers: readonly string[];
  /** `network/prefix`; default the /24 around the first TFTP server. */
  readonly subnet?: string;
  /** Default router (option 3). */
  readonly router?: string;
  /** DNS servers (option 6). */
  readonly dnsServers?: readonly string[];
  /** Domain name (option 15). */
  readonly domainName?: string;
  /** IOS pool name, default `strowger-phones`. */
  readonly poolName?: string;
}

export type DhcpSnippetResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string };

interface Plan {
  readonly tftpServers: readonly string[];
  readonly network: number;
  readonly prefix: number;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly router: string | undefined;
  readonly dnsServers: readonly string[];
  readonly domainName: string | undefined;
  readonly poolName: string;
}

const DOMAIN_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The configuration text for `kind`, or what is wrong with the options. Never throws. */
export function dhcpSnippet(kind: DhcpServerKind, options: DhcpSnippetOptions): DhcpSnippetResult {
  const plan = planOf(options);
  if (typeof plan === 'string') return { ok: false, error: plan };
  switch (kind) {
    case 'kea':
      return { ok: true, text: kea(plan) };
    case 'dnsmasq':
      return { ok: true, text: dnsmasq(plan) };
    case 'ios':
      return { ok: true, text: ios(plan) };
    default:
      return { ok: false, error: `unknown DHCP server kind ${JSON.stringify(kind)}` };
  }
}

function planOf(options: DhcpSnippetOptions): Plan | string {
  const tftp = options.tftpServers.map(parseIpv4);
  if (tftp.length === 0 || tftp.length > 8) return 'give one to eight TFTP server addresses';
  if (tftp.some((address) => address === undefined)) return 'a TFTP server address is not an IPv4 address';
  let network: number;
  let prefix: number;
  if (options.subnet === undefined) {
    prefix = 24;
    network = (maskOf(prefix) & (tftp[0] as number)) >>> 0;
  } else {
    const match = /^([0-9.]+)\/(\d{1,2})$/.exec(options.subnet);
    const base = match ? parseIpv4(match[1] as string) : undefined;
    prefix = match ? Number(match[2]) : -1;
    if (base === undefined || prefix < 8 || prefix > 30)
      return 'the subnet must be network/prefix with a prefix of 8–30';
    network = (base & maskOf(prefix)) >>> 0;
    if (network !== base) return `the subnet's network address is ${formatIpv4(network)}`;
  }
  const router = options.router === undefined ? undefined : parseIpv4(options.router);
  if (options.router !== undefined && router === undefined) return 'the router is not an IPv4 address';
  const dns = (options.dnsServers ?? []).map(parseIpv4);
  if (dns.some((address) => address === undefined)) return 'a DNS server is not an IPv4 address';
  if (options.domainName !== undefined && !DOMAIN_NAME.test(options.domainName))
    return 'the domain name is not valid';
  const poolName = options.poolName ?? 'strowger-phones';
  if (!POOL_NAME.test(poolName)) return 'the pool name may hold letters, digits, _ . - (up to 64)';
  const size = 2 ** (32 - prefix);
  // Phones lease from the upper half, leaving the lower half to routers, servers and static phones.
  return {
    tftpServers: (tftp as number[]).map(formatIpv4),
    network,
    prefix,
    rangeStart: network + size / 2,
    rangeEnd: network + size - 2,
    router: router === undefined ? undefined : formatIpv4(router),
    dnsServers: (dns as number[]).map(formatIpv4),
    domainName: options.domainName,
    poolName,
  };
}

function kea(plan: Plan): string {
  const optionData: { name: string; data: string }[] = [];
  if (plan.router) optionData.push({ name: 'routers', data: plan.router });
  if (plan.dnsServers.length > 0)
    optionData.push({ name: 'domain-name-servers', data: plan.dnsServers.join(', ') });
  if (plan.domainName) optionData.push({ name: 'domain-name', data: plan.domainName });
  optionData.push({ name: 'tftp-server-name', data: plan.tftpServers[0] as string });
  optionData.push({ name: 'cisco-tftp-servers', data: plan.tftpServers.join(', ') });
  const config = {
    Dhcp4: {
      'interfaces-config': { interfaces: ['*'] },
      // Option 150 is not one of Kea's standard options: defined here as a list of addresses.
      'option-def': [
        { name: 'cisco-tftp-servers', code: 150, type: 'ipv4-address', array: true, space: 'dhcp4' },
      ],
      'valid-lifetime': 86400,
      subnet4: [
        {
          id: 1,
          subnet: `${formatIpv4(plan.network)}/${plan.prefix}`,
          pools: [{ pool: `${formatIpv4(plan.rangeStart)} - ${formatIpv4(plan.rangeEnd)}` }],
          'option-data': optionData,
        },
      ],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function dnsmasq(plan: Plan): string {
  const lines = [
    '# Cisco IP phones: option 150 (TFTP server addresses) and option 66 (TFTP server name)',
    `dhcp-range=${formatIpv4(plan.rangeStart)},${formatIpv4(plan.rangeEnd)},${formatIpv4(maskOf(plan.prefix))},24h`,
  ];
  if (plan.router) lines.push(`dhcp-option=option:router,${plan.router}`);
  if (plan.dnsServers.length > 0) lines.push(`dhcp-option=option:dns-server,${plan.dnsServers.join(',')}`);
  if (plan.domainName) lines.push(`dhcp-option=option:domain-name,${plan.domainName}`);
  // Quoted: dnsmasq would otherwise encode an address-looking value as an address, not text.
  lines.push(`dhcp-option=66,"${plan.tftpServers[0]}"`);
  lines.push(`dhcp-option=150,${plan.tftpServers.join(',')}`);
  return `${lines.join('\n')}\n`;
}

function ios(plan: Plan): string {
  const lines = [
    '! Cisco IP phones: option 150 (TFTP server addresses) and option 66 (TFTP server name)',
    `ip dhcp excluded-address ${formatIpv4(plan.network + 1)} ${formatIpv4(plan.rangeStart - 1)}`,
    '!',
    `ip dhcp pool ${plan.poolName}`,
    ` network ${formatIpv4(plan.network)} ${formatIpv4(maskOf(plan.prefix))}`,
  ];
  if (plan.router) lines.push(` default-router ${plan.router}`);
  if (plan.dnsServers.length > 0) lines.push(` dns-server ${plan.dnsServers.join(' ')}`);
  if (plan.domainName) lines.push(` domain-name ${plan.domainName}`);
  lines.push(` option 150 ip ${plan.tftpServers.join(' ')}`);
  lines.push(` option 66 ascii ${plan.tftpServers[0]}`);
  lines.push('!');
  return `${lines.join('\n')}\n`;
}

function parseIpv4(text: string): number | undefined {
  // Leading zeros are refused: some parsers read them as octal.
  const octet = '(0|[1-9][0-9]{0,2})';
  const match = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`).exec(text);
  if (!match) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}
