/**
 * Interop: Debian's TFTP clients (tftp-hpa, atftp, curl) fetch files from the server and the
 * bytes must match; tshark must decode every exchange without a malformed packet or an
 * expert-info error.
 */
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTftpServer,
  directorySource,
  encodeRequest,
  type OptionList,
  type RemoteEndpoint,
  type TftpServer,
  type TransferMode,
} from '../../../src/tftp/index.js';
import { fingerprint, tftpGet } from '../../integration/tftp/tftp-client.js';
import { PcapWriter } from './pcap-writer.js';

const run = promisify(execFile);
const required = process.env.STROWGER_REQUIRE_INTEROP === '1';

/** True when `program` is on PATH; otherwise warns loudly, or fails when interop is required. */
function available(program: string, debianPackage: string): boolean {
  if (spawnSync('sh', ['-c', `command -v ${program}`]).status === 0) return true;
  const message = `${program} not found: install Debian package "${debianPackage}"`;
  if (required) {
    it(`needs ${program}`, () => {
      throw new Error(message);
    });
  } else {
    console.warn(`\n*** SKIPPING TFTP interop tests for ${program}: ${message} ***\n`);
  }
  return false;
}

const config = Buffer.from(
  Array.from({ length: 90 }, (_, i) => `  <line button="${i}"><featureID>9</featureID></line>\n`).join(''),
);
const firmware = Buffer.alloc(1_000_003);
for (let i = 0; i < firmware.length; i++) firmware[i] = (i * 31 + (i >> 9)) & 0xff;
const files: Record<string, Buffer> = {
  'SEP0008A37128E9.cnf.xml': config,
  'P0030801SR02.loads': firmware,
  'exact.bin': firmware.subarray(0, 4096),
  'empty.txt': Buffer.alloc(0),
  // 66,000 blocks of 8 octets: past block 65535 the number rolls over to 0.
  'rollover.bin': firmware.subarray(0, 66_000 * 8 - 5),
};

let folder: string;
let server: TftpServer;
let endpoint: RemoteEndpoint;

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'strowger-tftp-interop-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(folder, name), data);
  server = await createTftpServer({ address: '127.0.0.1', port: 0, source: directorySource([folder]) });
  endpoint = server.address();
});
afterAll(async () => {
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

function output(name: string): string {
  return path.join(folder, `out-${name}-${Math.random().toString(36).slice(2)}`);
}

if (available('tftp', 'tftp-hpa')) {
  describe('tftp-hpa client', () => {
    it.each([
      ['octet', 'P0030801SR02.loads'],
      ['octet', 'exact.bin'],
      ['octet', 'empty.txt'],
      ['netascii', 'SEP0008A37128E9.cnf.xml'],
    ])('gets in %s mode %s', async (mode, name) => {
      const target = output(name);
      await run('tftp', ['-m', mode, '127.0.0.1', String(endpoint.port), '-c', 'get', name, target]);
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(files[name]));
    });

    it('reports a missing file as error 1', async () => {
      const { stdout, stderr } = await run('tftp', [
        '127.0.0.1',
        String(endpoint.port),
        '-c',
        'get',
        'SEPdefault.cnf',
        output('x'),
      ]);
      expect(`${stdout}${stderr}`).toMatch(/Error code 1/);
    });
  });
}

if (available('atftp', 'atftp')) {
  describe('atftp client', () => {
    it.each([
      ['no options', []],
      ['blksize and tsize', ['--option', 'blksize 1428', '--option', 'tsize enable']],
      ['largest blksize', ['--option', 'blksize 65464']],
      ['windowsize', ['--option', 'windowsize 8', '--option', 'blksize 1024']],
    ])('gets the firmware with %s', async (_label, extra) => {
      const target = output('fw');
      await run('atftp', [
        '-g',
        '-r',
        'P0030801SR02.loads',
        '-l',
        target,
        ...extra,
        '127.0.0.1',
        String(endpoint.port),
      ]);
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(firmware));
    });

    it('follows the block number rollover past 65535 blocks', async () => {
      const target = output('rollover');
      await run('atftp', [
        '-g',
        '-r',
        'rollover.bin',
        '-l',
        target,
        '--option',
        'blksize 8',
        '127.0.0.1',
        String(endpoint.port),
      ]);
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(files['rollover.bin']));
    });

    it('gets a config file in netascii, asking in lower case', async () => {
      const target = output('cnf');
      // The transfer mode is only settable in atftp's interactive mode.
      await new Promise<void>((resolve, reject) => {
        const child = execFile('atftp', ['127.0.0.1', String(endpoint.port)], (error) =>
          error ? reject(error) : resolve(),
        );
        child.stdin?.end(`mode netascii\nget sep0008a37128e9.cnf.xml ${target}\nquit\n`);
      });
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(config));
    });
  });
}

if (available('curl', 'curl')) {
  describe('curl tftp://', () => {
    it.each([
      ['default options (blksize 512, tsize)', []],
      ['--tftp-blksize 1428', ['--tftp-blksize', '1428']],
      ['--tftp-blksize 65464', ['--tftp-blksize', '65464']],
      ['--tftp-no-options', ['--tftp-no-options']],
    ])('gets the firmware with %s', async (_label, extra) => {
      const target = output('fw');
      await run('curl', [
        '-sS',
        '-o',
        target,
        ...extra,
        `tftp://127.0.0.1:${endpoint.port}/P0030801SR02.loads`,
      ]);
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(firmware));
    });

    it('follows the block number rollover past 65535 blocks', async () => {
      const target = output('rollover');
      await run('curl', [
        '-sS',
        '-o',
        target,
        '--tftp-blksize',
        '8',
        `tftp://127.0.0.1:${endpoint.port}/rollover.bin`,
      ]);
      expect(fingerprint(readFileSync(target))).toBe(fingerprint(files['rollover.bin']));
    });

    it('fails on a missing file with CURLE_TFTP_NOTFOUND', async () => {
      await expect(
        run('curl', ['-sS', '-o', output('x'), `tftp://127.0.0.1:${endpoint.port}/SEPdefault.cnf`]),
      ).rejects.toMatchObject({ code: 68 });
    });
  });
}

if (available('tshark', 'tshark')) {
  describe('tshark decode', () => {
    it('decodes every exchange without malformed packets or expert errors', async () => {
      const capture = new PcapWriter();
      const onPacket = (packet: Buffer, from: RemoteEndpoint, to: RemoteEndpoint) =>
        capture.add(packet, from, to);
      const exchanges: [string, TransferMode, OptionList][] = [
        ['exact.bin', 'octet', []],
        ['SEP0008A37128E9.cnf.xml', 'netascii', [['tsize', '0']]],
        [
          'P0030801SR02.loads',
          'octet',
          [
            ['blksize', '1428'],
            ['tsize', '0'],
            ['timeout', '3'],
            ['windowsize', '4'],
          ],
        ],
        ['SEPdefault.cnf', 'octet', []],
        ['../etc/passwd', 'octet', [['blksize', '1024']]],
      ];
      for (const [file, mode, options] of exchanges)
        await tftpGet({ server: endpoint, file, mode, options, onPacket });
      // A write request, refused with error 2 from a new TID.
      const writer = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => writer.bind(0, '127.0.0.1', resolve));
      const writerEnd = { address: '127.0.0.1', port: writer.address().port };
      const wrq = encodeRequest(true, 'SEP0008A37128E9.cnf.xml', 'octet');
      await new Promise<void>((resolve) => {
        writer.once('message', (reply, rinfo) => {
          capture.add(reply, { address: rinfo.address, port: rinfo.port }, writerEnd);
          resolve();
        });
        capture.add(wrq, writerEnd, endpoint);
        writer.send(wrq, endpoint.port, endpoint.address);
      });
      writer.close();
      const pcap = path.join(folder, 'exchange.pcap');
      writeFileSync(pcap, capture.toBuffer());
      const decode = (fields: string[], filter?: string) =>
        run('tshark', [
          '-r',
          pcap,
          '-d',
          `udp.port==${endpoint.port},tftp`,
          ...(filter ? ['-Y', filter] : []),
          '-T',
          'fields',
          ...fields.flatMap((f) => ['-e', f]),
        ]).then(({ stdout }) => stdout.trim().split('\n').filter(Boolean));
      const decoded = await decode(['frame.number', 'tftp.opcode']);
      expect(decoded.length).toBeGreaterThan(100);
      // Every frame is TFTP; none is malformed or carries an expert error.
      expect(decoded.filter((line) => line.split('\t')[1] === '')).toEqual([]);
      expect(
        await decode(
          ['frame.number', '_ws.expert.message'],
          '_ws.malformed || _ws.expert.severity == "Error"',
        ),
      ).toEqual([]);
      const optionAcks = await decode(['tftp.option.name', 'tftp.option.value'], 'tftp.opcode == 6');
      expect(optionAcks).toEqual([
        `tsize\t${config.length + 90}`,
        'blksize,tsize,timeout,windowsize\t1428,1000003,3,4',
      ]);
      const errors = await decode(['tftp.error.code'], 'tftp.opcode == 5');
      expect(errors).toEqual(['1', '2', '2']);
      expect(await decode(['tftp.opcode'], 'tftp.opcode == 2')).toEqual(['2']);
    });
  });
}
