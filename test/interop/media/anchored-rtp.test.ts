/**
 * RTP through Strowger's media anchor, seen by third-party programs: a sipp UAC (phone 201)
 * streams a μ-law WAV made here (sipp's `rtp_stream` action) to a sipp UAS (phone 202) that
 * echoes it back (`-rtp_echo`), and tshark, capturing on loopback the anchor's ports, decodes
 * every stream: none malformed, none with lost or out-of-sequence packets.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src/media/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import {
  type MediaNode,
  PHONE_202,
  registerAt,
  sine,
  startMediaNode,
} from '../../integration/media-calls/harness.js';

const canRun = interopAvailable('sipp', 'tshark');
const STREAM_SECONDS = 3;

/** A μ-law WAV (RFC 2361 format tag 7), 8 kHz mono: what sipp's rtp_stream plays as PCMU. */
function mulawWav(samples: Int16Array): Buffer {
  const data = new Uint8Array(samples.length);
  for (let offset = 0; offset < samples.length; offset += 160)
    encodeFrame('ulaw', samples.subarray(offset, offset + 160), data.subarray(offset, offset + 160));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(7, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Phone 201's call: the 407 answered (-au/-ap), then the WAV streamed for a while, then BYE. */
function uacScenario(wav: string): string {
  const request = (method: string, cseq: number, extra: string, body: boolean) =>
    [
      `${method} sip:[remote_ip]:[remote_port] SIP/2.0`,
      'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
      'From: <sip:201@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]',
      `To: <sip:[service]@[remote_ip]:[remote_port]>${method === 'INVITE' ? '' : '[peer_tag_param]'}`,
      'Call-ID: [call_id]',
      `CSeq: ${cseq} ${method}`,
      'Contact: <sip:201@[local_ip]:[local_port]>',
      ...(extra ? [extra] : []),
      'Max-Forwards: 70',
      ...(body
        ? [
            'Content-Type: application/sdp',
            'Content-Length: [len]',
            '',
            'v=0',
            `o=- 1 ${cseq} IN IP4 [local_ip]`,
            's=-',
            'c=IN IP4 [media_ip]',
            't=0 0',
            'm=audio [rtpstream_audio_port] RTP/AVP 0',
            'a=rtpmap:0 PCMU/8000',
          ]
        : ['Content-Length: 0', '']),
    ].join('\n');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="anchored RTP stream">
  <send retrans="500"><![CDATA[
${request('INVITE', 1, '', true)}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
${request('ACK', 1, '', false).replace('branch=[branch]', 'branch=[branch-1]')}
  ]]></send>
  <send retrans="500"><![CDATA[
${request('INVITE', 2, '[authentication]', true)}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
${request('ACK', 2, '', false)}
  ]]></send>
  <nop><action><exec rtp_stream="${wav},1,0"/></action></nop>
  <pause milliseconds="${STREAM_SECONDS * 1000 + 500}"/>
  <send retrans="500"><![CDATA[
${request('BYE', 3, '', false)}
  ]]></send>
  <recv response="200"/>
</scenario>
`;
}

/** tshark on loopback until stopped; resolves once it captures. */
async function capture(file: string, ports: readonly [number, number]): Promise<ChildProcess> {
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `udp portrange ${ports[0]}-${ports[1]}`, '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    tshark.once('exit', (code) => reject(new Error(`tshark exited (${code}): ${said}`)));
    tshark.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('Capturing on')) resolve();
    });
  });
  return tshark;
}

function stop(process: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    process.removeAllListeners('exit');
    process.once('exit', () => resolve());
    process.kill('SIGINT');
  });
}

interface RtpStream {
  readonly packets: number;
  readonly lost: number;
  readonly sequenceErrors: number;
  readonly line: string;
}

/** `tshark -z rtp,streams` rows: packets, lost, and "X" for a stream with sequence problems. */
function rtpStreams(file: string): { streams: RtpStream[]; report: string } {
  const result = spawnSync(
    'tshark',
    ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-q', '-z', 'rtp,streams'],
    { encoding: 'utf8' },
  );
  const streams: RtpStream[] = [];
  const packets = spawnSync('tshark', ['-r', file, '-c', '5'], { encoding: 'utf8' });
  const report = `${result.stdout}${result.stderr}${packets.stdout}`;
  for (const line of result.stdout.split('\n')) {
    // Src IP, port, Dst IP, port, SSRC, Payload, Pkts, Lost (pct), deltas, jitters, Problem?
    const match =
      /\s(\d+\.\d+\.\d+\.\d+)\s+(\d+)\s+(\d+\.\d+\.\d+\.\d+)\s+(\d+)\s+(0x[0-9a-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+)\s*\(/i.exec(
        line,
      );
    if (match)
      streams.push({
        packets: Number(match[7]),
        lost: Number(match[8]),
        sequenceErrors: line.trimEnd().endsWith('X') ? 1 : 0,
        line,
      });
  }
  return { streams, report };
}

describe.runIf(canRun)('anchored RTP between sipp phones, decoded by tshark', () => {
  let node: MediaNode;
  let folder: string;

  beforeAll(async () => {
    node = await startMediaNode();
    folder = await mkdtemp(join(tmpdir(), 'strowger-media-interop-'));
  });

  afterAll(async () => {
    await node?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('relays the stream both ways with no malformed packet and no sequence gap', async () => {
    const wav = join(folder, 'tone.wav');
    await writeFile(wav, mulawWav(sine(1000, STREAM_SECONDS * 8000)));
    const scenario = join(folder, 'uac.xml');
    await writeFile(scenario, uacScenario(wav));
    const pcap = join(folder, 'rtp.pcap');
    const ports = node.rtpPorts;
    const tshark = await capture(pcap, ports);

    const server = `127.0.0.1:${node.server.listening()[0]?.port}`;
    const uasPort = await freePort('UDP');
    const uasMediaPort = await freePort('UDP');
    registerAt(node, '202', uasPort, PHONE_202);
    const uas = startSipp([
      '-sn',
      'uas',
      '-i',
      '127.0.0.1',
      '-p',
      String(uasPort),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(uasMediaPort),
      '-rtp_echo',
    ]);
    try {
      const uac = await runSipp(
        [
          ...['-sf', scenario, '-s', '202', '-au', '201', '-ap', 'demo-201', '-m', '1'],
          ...['-mi', '127.0.0.1', '-mp', String(await freePort('UDP'))],
          ...['-i', '127.0.0.1', '-p', String(await freePort('UDP')), '-timeout', '30s', server],
        ],
        40_000,
      );
      expect(uac.failed, uac.output).toBe(0);
      expect(uac.successful, uac.output).toBe(1);
    } finally {
      await uas.stop();
      await stop(tshark);
    }

    const malformed = spawnSync(
      'tshark',
      ['-r', pcap, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', '_ws.malformed || _ws.expert.severity == "Error"'],
      { encoding: 'utf8' },
    );
    expect(malformed.status).toBe(0);
    expect(malformed.stdout.trim()).toBe('');
    const { streams, report: described } = rtpStreams(pcap);
    // The caller to the anchor, the anchor to the echo, the echo back, the anchor to the caller.
    expect(streams.length, described).toBe(4);
    for (const stream of streams) {
      expect(stream.packets, described).toBeGreaterThan(STREAM_SECONDS * 40);
      expect(stream.lost, described).toBe(0);
      expect(stream.sequenceErrors, described).toBe(0);
    }
  }, 90_000);
});
