/**
 * Writes UDP datagrams as a classic pcap file (LINKTYPE_RAW, IPv4) so tshark can decode an
 * exchange recorded by a test without capture privileges.
 */
import type { RemoteEndpoint } from '../../../src/tftp/index.js';

const LINKTYPE_RAW = 101;

function ipv4(address: string): number[] {
  return address.split('.').map(Number);
}

export class PcapWriter {
  private readonly records: Buffer[] = [];

  add(payload: Buffer, from: RemoteEndpoint, to: RemoteEndpoint): void {
    const index = this.records.length;
    const packet = Buffer.alloc(16 + 20 + 8 + payload.length);
    // Record header: one millisecond apart, so the order is visible in the decode.
    packet.writeUInt32LE(Math.floor(index / 1000), 0);
    packet.writeUInt32LE((index % 1000) * 1000, 4);
    packet.writeUInt32LE(packet.length - 16, 8);
    packet.writeUInt32LE(packet.length - 16, 12);
    const ip = packet.subarray(16);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + payload.length, 2);
    ip.writeUInt16BE(index & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from(ipv4(from.address)).copy(ip, 12);
    Buffer.from(ipv4(to.address)).copy(ip, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = ip.subarray(20);
    udp.writeUInt16BE(from.port, 0);
    udp.writeUInt16BE(to.port, 2);
    udp.writeUInt16BE(8 + payload.length, 4);
    // UDP checksum 0: none (RFC 768), which IPv4 allows.
    payload.copy(udp, 8);
    this.records.push(packet);
  }

  toBuffer(): Buffer {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(LINKTYPE_RAW, 20);
    return Buffer.concat([header, ...this.records]);
  }
}
