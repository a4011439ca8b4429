/**
 * RFC 3263 resolution through the real node:dns client: `localhost` via the hosts file, and a
 * NAPTR → SRV → A chain served by a small authoritative DNS responder on 127.0.0.1.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Uri } from '../../../../src/sip/message/types.js';
import { createResolver, createSystemDns } from '../../../../src/sip/resolver/index.js';

function uri(host: string, fields: Partial<Uri> = {}): Uri {
  return { scheme: 'sip', host, params: {}, headers: {}, ...fields };
}

const TYPE = { A: 1, SRV: 33, NAPTR: 35 } as const;

function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((label) => label !== '');
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function characterString(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'ascii')]);
}

function u16(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (const [i, value] of values.entries()) out.writeUInt16BE(value, i * 2);
  return out;
}

/** RDATA per name and type (RFC 1035 §3.4.1, RFC 2782, RFC 3403 §4.1). */
const ZONE = new Map<string, Map<number, Buffer[]>>([
  [
    'carrier.test',
    new Map([
      [
        TYPE.NAPTR,
        [
          Buffer.concat([
            u16(10, 10),
            characterString('s'),
            characterString('SIP+D2T'),
            characterString(''),
            encodeName('_sip._tcp.carrier.test'),
          ]),
          Buffer.concat([
            u16(20, 10),
            characterString('s'),
            characterString('SIP+D2U'),
            characterString(''),
            encodeName('_sip._udp.carrier.test'),
          ]),
        ],
      ],
    ]),
  ],
  [
    '_sip._tcp.carrier.test',
    new Map([[TYPE.SRV, [Buffer.concat([u16(10, 0, 5070), encodeName('edge1.carrier.test')])]]]),
  ],
  [
    '_sip._udp.carrier.test',
    new Map([[TYPE.SRV, [Buffer.concat([u16(10, 0, 5060), encodeName('edge2.carrier.test')])]]]),
  ],
  ['edge1.carrier.test', new Map([[TYPE.A, [Buffer.from([127, 0, 0, 11])]]])],
  ['edge2.carrier.test', new Map([[TYPE.A, [Buffer.from([127, 0, 0, 12])]]])],
]);

/** Answers one query: the records of the zone, NXDOMAIN for unknown names. */
function answer(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    const length = query[at]!;
    labels.push(
      query
        .subarray(at + 1, at + 1 + length)
        .toString('ascii')
        .toLowerCase(),
    );
    at += 1 + length;
  }
  const questionEnd = at + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(at + 1);
  const records = ZONE.get(labels.join('.'));
  const rdatas = records?.get(type) ?? [];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8400 | (records === undefined ? 3 : 0), 2); // QR, AA, RCODE
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdatas.length, 6);
  const answers = rdatas.map((rdata) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // pointer to the question name
    fixed.writeUInt16BE(type, 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([fixed, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

describe('resolver with node:dns', () => {
  let server: Socket;
  let port = 0;

  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (message, remote) => {
      const reply = answer(message);
      if (reply !== undefined) server.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    port = server.address().port;
  });

  afterAll(() => {
    server.close();
  });

  it('resolves a numeric address without DNS', async () => {
    const resolver = createResolver();
    expect(
      await resolver.resolve(uri('127.0.0.1', { port: 5080 }), { supportedTransports: ['UDP'] }),
    ).toEqual([{ protocol: 'UDP', address: '127.0.0.1', port: 5080 }]);
  });

  it('resolves localhost through the hosts file', async () => {
    const resolver = createResolver({
      dns: createSystemDns({ servers: [`127.0.0.1:${port}`] }),
      families: [4],
    });
    expect(
      await resolver.resolve(uri('localhost', { port: 5060 }), { supportedTransports: ['UDP', 'TCP'] }),
    ).toEqual([{ protocol: 'UDP', address: '127.0.0.1', port: 5060 }]);
  });

  it('follows NAPTR, SRV and A records from a DNS server', async () => {
    const resolver = createResolver({
      dns: createSystemDns({ servers: [`127.0.0.1:${port}`] }),
      families: [4],
    });
    expect(await resolver.resolve(uri('carrier.test'), { supportedTransports: ['UDP', 'TCP'] })).toEqual([
      { protocol: 'TCP', address: '127.0.0.11', port: 5070 },
      { protocol: 'UDP', address: '127.0.0.12', port: 5060 },
    ]);
  });
});
