import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTftpServer,
  decodePacket,
  encodeAck,
  encodeRequest,
  type FileSource,
  type TftpServer,
  type TftpServerOptions,
  type TransferReport,
} from '../../../src/tftp/index.js';
import { fingerprint, tftpGet } from './tftp-client.js';

function content(length: number, seed: number): Buffer {
  const data = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    data[i] = x >> 16;
  }
  return data;
}

const files = new Map<string, Buffer>([
  [
    'SEP0008A37128E9.cnf.xml',
    Buffer.from('<device>\n  <loadInformation>P0030801SR02</loadInformation>\n</device>\n'),
  ],
  ['firmware.loads', content(300_000, 1)],
  ['exact.bin', content(1024, 2)],
]);
const memorySource: FileSource = {
  open: async (name) => {
    if (name === 'secret') throw Object.assign(new Error('refused'), {});
    const data = files.get(name);
    return data ? { data } : undefined;
  },
};

let server: TftpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function listen(options: Partial<TftpServerOptions> = {}) {
  server = await createTftpServer({
    address: '127.0.0.1',
    port: 0,
    source: memorySource,
    timeoutMs: 200,
    ...options,
  });
  const reports: TransferReport[] = [];
  server.onTransfer((report) => reports.push(report));
  return { server, reports, endpoint: server.address() };
}

/** Sends one datagram from a fresh socket and returns the first reply with its source port. */
async function exchange(to: { address: string; port: number }, packet: Buffer) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<{ decoded: ReturnType<typeof decodePacket>; port: number }>((resolve) => {
      socket.once('message', (reply, rinfo) => resolve({ decoded: decodePacket(reply), port: rinfo.port }));
      socket.send(packet, to.port, to.address);
    });
  } finally {
    socket.close();
  }
}

/** The next report, waiting for it if the transfer has not ended yet. */
function nextReport(server: TftpServer): Promise<TransferReport> {
  return new Promise((resolve) => {
    const off = server.onTransfer((report) => {
      off();
      resolve(report);
    });
  });
}

describe('TFTP server over UDP', () => {
  it('serves a file without options from a new TID (RFC 1350)', async () => {
    const { endpoint, reports, server } = await listen();
    const result = await tftpGet({ server: endpoint, file: 'firmware.loads' });
    expect(fingerprint(result.data)).toBe(fingerprint(files.get('firmware.loads')));
    expect(result.optionAck).toBeUndefined();
    expect(result.serverPort).not.toBe(endpoint.port);
    // The client is done once it has sent its last ACK; the server finishes when that arrives.
    await expect.poll(() => reports.length).toBe(1);
    expect(reports).toMatchObject([
      {
        file: 'firmware.loads',
        status: 'complete',
        bytes: 300_000,
        mode: 'octet',
        remote: { address: '127.0.0.1' },
      },
    ]);
    expect(server.stats()).toMatchObject({ activeTransfers: 0, filesServed: 1, bytesServed: 300_000 });
  });

  it('negotiates blksize, tsize and timeout (RFC 2347/2348/2349)', async () => {
    const { endpoint } = await listen({ maxBlockSize: 1428 });
    const result = await tftpGet({
      server: endpoint,
      file: 'firmware.loads',
      options: [
        ['blksize', '8192'],
        ['tsize', '0'],
        ['timeout', '2'],
        ['x-unknown', '1'],
      ],
    });
    expect(result.optionAck).toEqual([
      ['blksize', '1428'],
      ['tsize', '300000'],
      ['timeout', '2'],
    ]);
    expect(fingerprint(result.data)).toBe(fingerprint(files.get('firmware.loads')));
  });

  it('serves with windowsize (RFC 7440) and in netascii', async () => {
    const { endpoint } = await listen();
    const windowed = await tftpGet({
      server: endpoint,
      file: 'firmware.loads',
      options: [
        ['windowsize', '16'],
        ['blksize', '1024'],
      ],
    });
    expect(windowed.optionAck).toEqual([
      ['windowsize', '16'],
      ['blksize', '1024'],
    ]);
    expect(fingerprint(windowed.data)).toBe(fingerprint(files.get('firmware.loads')));
    const text = await tftpGet({
      server: endpoint,
      file: 'SEP0008A37128E9.cnf.xml',
      mode: 'netascii',
      options: [['tsize', '0']],
    });
    expect(fingerprint(text.data)).toBe(fingerprint(files.get('SEP0008A37128E9.cnf.xml')));
    expect(text.optionAck).toEqual([['tsize', String(files.get('SEP0008A37128E9.cnf.xml')!.length + 3)]]);
  });

  it('ends a file that fills its last block with an empty block', async () => {
    const { endpoint } = await listen();
    expect(fingerprint((await tftpGet({ server: endpoint, file: 'exact.bin' })).data)).toBe(
      fingerprint(files.get('exact.bin')),
    );
  });

  it('retransmits DATA when an ACK is lost', async () => {
    const { endpoint, server } = await listen({ timeoutMs: 50 });
    let lost = false;
    const result = await tftpGet({
      server: endpoint,
      file: 'firmware.loads',
      timeoutMs: 10_000,
      loseAck: (block) => {
        if (block !== 3 || lost) return false;
        lost = true;
        return true;
      },
    });
    expect(fingerprint(result.data)).toBe(fingerprint(files.get('firmware.loads')));
    expect(result.duplicates).toBeGreaterThanOrEqual(1);
    await expect.poll(() => server.stats().activeTransfers).toBe(0);
    expect(server.stats().retransmissions).toBeGreaterThanOrEqual(1);
  });

  it('answers a packet from a wrong TID with error 5 while the transfer finishes', async () => {
    const { endpoint, server } = await listen();
    const intruder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', resolve));
    const intruderReply = new Promise<ReturnType<typeof decodePacket>>((resolve) =>
      intruder.once('message', (reply) => resolve(decodePacket(reply))),
    );
    let intruded = false;
    const result = await tftpGet({
      server: endpoint,
      file: 'firmware.loads',
      onData: (block, serverPort) => {
        if (block !== 10 || intruded) return;
        intruded = true;
        intruder.send(encodeAck(10), serverPort, '127.0.0.1');
      },
    });
    expect(await intruderReply).toEqual({ kind: 'error', code: 5, message: 'Unknown transfer ID' });
    intruder.close();
    expect(fingerprint(result.data)).toBe(fingerprint(files.get('firmware.loads')));
    expect(server.stats().errorsSent).toEqual({ 5: 1 });
  });

  it('refuses WRQ with error 2 from a new TID', async () => {
    const { endpoint, reports } = await listen();
    const reply = await exchange(endpoint, encodeRequest(true, 'SEP0008A37128E9.cnf.xml', 'octet'));
    expect(reply.decoded).toMatchObject({ kind: 'error', code: 2 });
    expect(reply.port).not.toBe(endpoint.port);
    await expect.poll(() => reports.length).toBe(1);
    expect(reports[0]).toMatchObject({ write: true, status: 'error-sent', errorCode: 2 });
  });

  it('answers not found with error 1 and a failing source with error 0', async () => {
    const { endpoint, server } = await listen();
    expect((await tftpGet({ server: endpoint, file: 'SEPdefault.cnf' })).error).toEqual({
      code: 1,
      message: 'File not found',
    });
    expect((await tftpGet({ server: endpoint, file: 'secret' })).error?.code).toBe(0);
    expect(server.stats().errorsSent).toEqual({ 0: 1, 1: 1 });
  });

  it('gives up on a file source that never answers', async () => {
    const { endpoint, server } = await listen({
      source: { open: () => new Promise(() => {}) },
      timeoutMs: 20,
      maxRetries: 1,
    });
    const result = await tftpGet({ server: endpoint, file: 'SEP0008A37128E9.cnf.xml', timeoutMs: 1000 });
    expect(result.error).toEqual({ code: 0, message: 'Timed out opening file' });
    expect(server.stats()).toMatchObject({ activeTransfers: 0, transfersFailed: 1 });
  });

  it('answers malformed packets and unknown modes on the listening port with error 4', async () => {
    const { endpoint, server } = await listen();
    for (const packet of [
      Buffer.from([0, 9, 1, 2]),
      Buffer.from([0, 1, 0x66]),
      encodeAck(1),
      Buffer.from('\u0000\u0001f\u0000mail\u0000'),
    ]) {
      const reply = await exchange(endpoint, packet);
      expect(reply.decoded).toMatchObject({ kind: 'error', code: 4 });
      expect(reply.port).toBe(endpoint.port);
    }
    // Still serving afterwards.
    expect(fingerprint((await tftpGet({ server: endpoint, file: 'exact.bin' })).data)).toBe(
      fingerprint(files.get('exact.bin')),
    );
    expect(server.stats().errorsSent).toEqual({ 4: 4 });
  });

  it('ends the transfer when the client refuses the OACK with error 8', async () => {
    const { endpoint, server } = await listen();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const ended = nextReport(server);
    const oack = await new Promise<{ decoded: ReturnType<typeof decodePacket>; port: number }>((resolve) => {
      socket.once('message', (reply, rinfo) => resolve({ decoded: decodePacket(reply), port: rinfo.port }));
      socket.send(
        encodeRequest(false, 'exact.bin', 'octet', [['blksize', '100']]),
        endpoint.port,
        '127.0.0.1',
      );
    });
    expect(oack.decoded).toEqual({ kind: 'oack', options: [['blksize', '100']] });
    socket.send(Buffer.from('\u0000\u0005\u0000\u0008no\u0000'), oack.port, '127.0.0.1');
    expect(await ended).toMatchObject({ status: 'error-received', errorCode: 8 });
    socket.close();
    expect(server.stats()).toMatchObject({ activeTransfers: 0, errorsReceived: 1 });
  });

  it('gives up on a silent client after its retries', async () => {
    const { endpoint, server } = await listen({ timeoutMs: 20, maxRetries: 2 });
    const ended = nextReport(server);
    await exchange(endpoint, encodeRequest(false, 'firmware.loads', 'octet'));
    expect(await ended).toMatchObject({ status: 'timeout', retransmissions: 2, bytes: 0 });
    expect(server.stats().activeTransfers).toBe(0);
  });

  it('serves 200 concurrent transfers byte for byte', async () => {
    const many = new Map<string, Buffer>();
    for (let i = 0; i < 200; i++)
      many.set(`SEP${String(i).padStart(12, '0')}.cnf.xml`, content(3000 + i * 37, i));
    const { endpoint, server } = await listen({
      source: { open: async (name) => (many.has(name) ? { data: many.get(name)! } : undefined) },
      timeoutMs: 500,
    });
    const results = await Promise.all(
      [...many.keys()].map((file, i) =>
        tftpGet({ server: endpoint, file, timeoutMs: 2000, options: i % 2 ? [['blksize', '1024']] : [] }),
      ),
    );
    results.forEach((result, i) => {
      expect(fingerprint(result.data)).toBe(fingerprint([...many.values()][i]));
    });
    await expect.poll(() => server.stats().activeTransfers).toBe(0);
    expect(server.stats()).toMatchObject({ filesServed: 200, activeTransfers: 0, transfersFailed: 0 });
  });

  it('drops requests beyond maxTransfers and aborts transfers on close', async () => {
    const { endpoint, server } = await listen({ maxTransfers: 1, timeoutMs: 5000 });
    const first = await exchange(endpoint, encodeRequest(false, 'firmware.loads', 'octet'));
    expect(first.decoded).toMatchObject({ kind: 'data', block: 1 });
    const second = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => second.bind(0, '127.0.0.1', resolve));
    second.send(encodeRequest(false, 'exact.bin', 'octet'), endpoint.port, '127.0.0.1');
    await expect.poll(() => server.stats().requestsDropped).toBe(1);
    second.close();
    const ended = nextReport(server);
    await server.close();
    expect(await ended).toMatchObject({ status: 'aborted' });
    expect(server.stats().activeTransfers).toBe(0);
  });
});
