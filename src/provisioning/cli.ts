/**
 * `strowger dhcp-snippet --kea|--dnsmasq|--ios [--tftp-server IP …]`: prints DHCP server
 * configuration that points Cisco phones at this node for their configuration files.
 */
import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import { DHCP_SERVER_KINDS, type DhcpServerKind, dhcpSnippet } from './dhcp-snippet.js';

export interface CommandOutput {
  write(text: string): unknown;
}

interface DhcpSnippetFlags {
  kea?: boolean;
  dnsmasq?: boolean;
  ios?: boolean;
  tftpServer?: string[];
  subnet?: string;
  router?: string;
  dns?: string[];
  domain?: string;
  poolName?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function registerProvisioningCommands(program: Command, output: CommandOutput = process.stdout): void {
  program
    .command('dhcp-snippet')
    .description(
      'print DHCP server configuration for Cisco phones (options 150 and 66 point at the TFTP server)',
    )
    .option('--kea', 'ISC Kea (kea-dhcp4.conf, JSON)')
    .option('--dnsmasq', 'dnsmasq (dnsmasq.conf lines)')
    .option('--ios', 'Cisco IOS (ip dhcp pool)')
    .option(
      '--tftp-server <ip>',
      'TFTP server address, repeatable in failover order (default: this host)',
      collect,
    )
    .option('--subnet <network/prefix>', 'phone subnet (default: the /24 of the first TFTP server)')
    .option('--router <ip>', 'default router (option 3)')
    .option('--dns <ip>', 'DNS server (option 6), repeatable', collect)
    .option('--domain <name>', 'domain name (option 15)')
    .option('--pool-name <name>', 'IOS pool name', 'strowger-phones')
    .action((flags: DhcpSnippetFlags, command: Command) => {
      const kinds = DHCP_SERVER_KINDS.filter((kind) => flags[kind] === true);
      if (kinds.length !== 1) command.error('choose exactly one of --kea, --dnsmasq, --ios', { exitCode: 2 });
      const tftpServers = flags.tftpServer ?? thisHostAddress();
      if (tftpServers.length === 0)
        command.error('no IPv4 address found for this host: give --tftp-server', { exitCode: 2 });
      const result = dhcpSnippet(kinds[0] as DhcpServerKind, {
        tftpServers,
        subnet: flags.subnet,
        router: flags.router,
        dnsServers: flags.dns,
        domainName: flags.domain,
        poolName: flags.poolName,
      });
      if (!result.ok) command.error(result.error, { exitCode: 2 });
      else output.write(result.text);
    });
}

/** The first IPv4 address of this host that phones could reach (not loopback). */
function thisHostAddress(): string[] {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return [found.address];
  }
  return [];
}
