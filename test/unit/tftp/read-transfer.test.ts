import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/sip/clock.js';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOptionAck,
  ReadTransfer,
  type ReadTransferSetup,
  type SourceFile,
  type TransferOutcome,
} from '../../../src/tftp/index.js';

const CLIENT = { address: '192.0.2.10', port: 50000 };

interface Sent {
  packet: Buffer;
  port: number;
  address: string;
}

function pattern(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  return data;
}

function start(file: SourceFile, overrides: Partial<ReadTransferSetup> = {}) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  const errorsSent: number[] = [];
  let outcome: TransferOutcome | undefined;
  const transfer = new ReadTransfer({
    remote: CLIENT,
    file,
    mode: 'octet',
    blockSize: 512,
    windowsize: 1,
    timeoutMs: 1000,
    maxRetries: 5,
    optionAck: undefined,
    clock,
    sender: { send: (packet, port, address) => sent.push({ packet, port, address }) },
    onErrorSent: (code) => errorsSent.push(code),
    onEnd: (o) => {
      outcome = o;
    },
    ...overrides,
  });
  transfer.start();
  let seen = 0;
  return {
    clock,
    transfer,
    errorsSent,
    outcome: () => outcome,
    /** Packets sent since the last call, decoded. */
    take() {
      const fresh = sent.slice(seen);
      seen = sent.length;
      return fresh.map((s) => ({ ...s, decoded: decodePacket(s.packet) }));
    },
    ack(block: number) {
      transfer.receive(encodeAck(block), CLIENT.address, CLIENT.port);
    },
  };
}

/** Blocks of the DATA packets in `packets`, failing on anything else. */
function dataBlocks(
  packets: { decoded: ReturnType<typeof decodePacket> }[],
): { block: number; data: Buffer }[] {
  return packets.map(({ decoded }) => {
    if (decoded.kind !== 'data') throw new Error(`expected DATA, got ${decoded.kind}`);
    return { block: decoded.block, data: decoded.data };
  });
}

describe('read transfer, lock-step (RFC 1350)', () => {
  it('sends blocks one ACK at a time and ends with a short block', () => {
    const data = pattern(1300);
    const t = start({ data });
    const received: Buffer[] = [];
    for (let block = 1; block <= 3; block++) {
      const [packet] = dataBlocks(t.take());
      expect(packet!.block).toBe(block);
      received.push(packet!.data);
      expect(t.outcome()).toBeUndefined();
      t.ack(block);
    }
    expect(t.take()).toEqual([]);
    expect(Buffer.concat(received)).toEqual(data);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: 1300, retransmissions: 0 });
    expect(t.clock.pending).toBe(0);
  });

  it('ends a file that fills its last block with an empty block', () => {
    const t = start({ data: pattern(1024) });
    t.ack(0); // stray ACK 0 before anything: ignored
    expect(dataBlocks(t.take()).map((b) => b.data.length)).toEqual([512]);
    t.ack(1);
    expect(dataBlocks(t.take()).map((b) => b.data.length)).toEqual([512]);
    t.ack(2);
    expect(dataBlocks(t.take())).toEqual([{ block: 3, data: Buffer.alloc(0) }]);
    t.ack(3);
    expect(t.outcome()?.status).toBe('complete');
  });

  it('sends an empty file as one empty block', () => {
    const t = start({ data: Buffer.alloc(0) });
    expect(dataBlocks(t.take())).toEqual([{ block: 1, data: Buffer.alloc(0) }]);
    t.ack(1);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: 0, retransmissions: 0 });
  });

  it('ignores duplicate ACKs instead of resending (RFC 1123 §4.2.3.1)', () => {
    const t = start({ data: pattern(2000) });
    t.take();
    t.ack(1);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([2]);
    t.ack(1);
    t.ack(1);
    expect(t.take()).toEqual([]);
    t.ack(7); // never sent
    expect(t.take()).toEqual([]);
    t.ack(2);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([3]);
  });

  it('retransmits on timeout and gives up after the retry limit', () => {
    const t = start({ data: pattern(600) }, { maxRetries: 3 });
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1]);
    t.clock.advance(999);
    expect(t.take()).toEqual([]);
    t.clock.advance(1);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1]);
    t.ack(1);
    t.take();
    t.clock.advance(3000);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([2, 2, 2]);
    expect(t.outcome()).toBeUndefined();
    t.clock.advance(1000);
    expect(t.outcome()).toEqual({ status: 'timeout', bytes: 512, retransmissions: 4 });
    expect(t.clock.pending).toBe(0);
  });

  it('answers a foreign TID with error 5 and carries on (RFC 1350 §4)', () => {
    const t = start({ data: pattern(700) });
    t.take();
    t.transfer.receive(encodeAck(1), CLIENT.address, CLIENT.port + 1);
    t.transfer.receive(encodeAck(1), '192.0.2.99', CLIENT.port);
    const errors = t.take();
    expect(errors.map((e) => [e.address, e.port, e.decoded])).toEqual([
      [CLIENT.address, CLIENT.port + 1, { kind: 'error', code: 5, message: 'Unknown transfer ID' }],
      ['192.0.2.99', CLIENT.port, { kind: 'error', code: 5, message: 'Unknown transfer ID' }],
    ]);
    // An ERROR from a stranger is not answered: two servers must not volley errors forever.
    t.transfer.receive(encodeError(5, 'x'), '192.0.2.99', 1);
    expect(t.take()).toEqual([]);
    expect(t.errorsSent).toEqual([5, 5]);
    t.ack(1);
    t.ack(2);
    expect(t.outcome()?.status).toBe('complete');
  });

  it('ends when the client sends an ERROR', () => {
    const t = start({ data: pattern(700) });
    t.transfer.receive(encodeError(3, 'Disk full'), CLIENT.address, CLIENT.port);
    expect(t.outcome()).toEqual({
      status: 'error-received',
      errorCode: 3,
      errorMessage: 'Disk full',
      bytes: 0,
      retransmissions: 0,
    });
    expect(t.clock.pending).toBe(0);
  });

  it('answers an unexpected packet from the client with error 4 and ends', () => {
    for (const packet of [encodeData(1, Buffer.from('x')), Buffer.from([0, 9, 1]), Buffer.alloc(0)]) {
      const t = start({ data: pattern(700) });
      t.take();
      t.transfer.receive(packet, CLIENT.address, CLIENT.port);
      expect(t.take().map((p) => p.decoded)).toEqual([
        { kind: 'error', code: 4, message: 'Illegal TFTP operation' },
      ]);
      expect(t.outcome()?.status).toBe('error-sent');
      t.ack(1);
      expect(t.take()).toEqual([]);
    }
  });

  it('tells the client when it is aborted', () => {
    const t = start({ data: pattern(700) });
    t.take();
    t.transfer.abort('Server shutting down');
    expect(t.take().map((p) => p.decoded)).toEqual([
      { kind: 'error', code: 0, message: 'Server shutting down' },
    ]);
    expect(t.outcome()?.status).toBe('aborted');
  });

  it('rolls block numbers over from 65535 to 0 past 65535 blocks', () => {
    const blocks = 65538;
    const data = pattern(blocks * 8 - 3);
    const t = start({ data }, { blockSize: 8 });
    const received: Buffer[] = [];
    const wireNumbers: number[] = [];
    while (!t.outcome()) {
      const [packet] = dataBlocks(t.take());
      received.push(packet!.data);
      if (received.length > 65533) wireNumbers.push(packet!.block);
      t.ack(packet!.block);
    }
    expect(wireNumbers).toEqual([65534, 65535, 0, 1, 2]);
    expect(Buffer.concat(received)).toEqual(data);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: data.length, retransmissions: 0 });
  });
});

describe('read transfer with options (RFC 2347, RFC 7440)', () => {
  const optionAck = encodeOptionAck([['windowsize', '4']]);

  it('sends the OACK first, retransmits it, and starts DATA on ACK 0', () => {
    const t = start({ data: pattern(100) }, { optionAck });
    expect(t.take().map((p) => p.decoded)).toEqual([{ kind: 'oack', options: [['windowsize', '4']] }]);
    t.ack(1); // not the ACK of the OACK
    expect(t.take()).toEqual([]);
    t.clock.advance(1000);
    expect(t.take().map((p) => p.decoded.kind)).toEqual(['oack']);
    t.ack(0);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1]);
    t.ack(1);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: 100, retransmissions: 1 });
  });

  it('ends when the client refuses the OACK with error 8', () => {
    const t = start({ data: pattern(100) }, { optionAck });
    t.transfer.receive(encodeError(8, 'bad options'), CLIENT.address, CLIENT.port);
    expect(t.outcome()).toMatchObject({ status: 'error-received', errorCode: 8 });
    expect(t.clock.pending).toBe(0);
  });

  it('sends a window of blocks and slides it on the ACK of its last block', () => {
    const data = pattern(512 * 9 + 10);
    const t = start({ data }, { optionAck, windowsize: 4 });
    t.take();
    t.ack(0);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1, 2, 3, 4]);
    t.ack(4);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([5, 6, 7, 8]);
    t.ack(8);
    const last = dataBlocks(t.take());
    expect(last.map((b) => [b.block, b.data.length])).toEqual([
      [9, 512],
      [10, 10],
    ]);
    t.ack(10);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: data.length, retransmissions: 0 });
  });

  it('restarts the window after an earlier ACK and ignores ACKs before the window', () => {
    const data = pattern(512 * 12);
    const t = start({ data }, { windowsize: 4 });
    const firstWindow = dataBlocks(t.take());
    expect(firstWindow.map((b) => b.block)).toEqual([1, 2, 3, 4]);
    t.ack(2); // block 3 lost
    const restarted = dataBlocks(t.take());
    expect(restarted.map((b) => b.block)).toEqual([3, 4, 5, 6]);
    expect(restarted[0]!.data).toEqual(data.subarray(1024, 1536));
    t.ack(2); // duplicate of an older ACK
    t.ack(1);
    expect(t.take()).toEqual([]);
    t.clock.advance(1000);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([3, 4, 5, 6]);
    t.ack(6);
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([7, 8, 9, 10]);
    t.ack(10);
    expect(dataBlocks(t.take()).map((b) => [b.block, b.data.length])).toEqual([
      [11, 512],
      [12, 512],
      [13, 0],
    ]);
    t.ack(13);
    expect(t.outcome()).toEqual({ status: 'complete', bytes: data.length, retransmissions: 6 });
  });

  it('regenerates netascii blocks identically when a window restarts mid-file', () => {
    const text = Buffer.from('ab\ncd\r\nef\n\n\rgh\nij\rkl\n'.repeat(5));
    const t = start({ data: text }, { mode: 'netascii', blockSize: 8, windowsize: 3 });
    const delivered = new Map<number, Buffer>();
    let next = 1;
    while (!t.outcome()) {
      const packets = dataBlocks(t.take());
      for (const { block, data } of packets) {
        const earlier = delivered.get(block);
        if (earlier) expect(data).toEqual(earlier);
        else delivered.set(block, data);
      }
      // Acknowledge only the first block of every window, forcing restarts at odd offsets.
      const head = packets[0]!;
      next = head.block;
      t.ack(next);
    }
    const encoded = Buffer.concat([...delivered.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d));
    expect(encoded.toString('latin1')).toBe(
      text.toString('latin1').replace(/\r/g, '\r\0').replace(/\n/g, '\r\n'),
    );
  });
});

describe('read transfer from a file read piece by piece', () => {
  function readable(data: Buffer, reads: [number, number][]): SourceFile {
    return {
      size: data.length,
      read: async (offset, length) => {
        reads.push([offset, length]);
        return data.subarray(offset, offset + length);
      },
    };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('reads one window at a time and finishes on a short read', async () => {
    const data = pattern(512 * 5 + 100);
    const reads: [number, number][] = [];
    const t = start(readable(data, reads), { windowsize: 2 });
    const received: Buffer[] = [];
    while (!t.outcome()) {
      await settle();
      const packets = dataBlocks(t.take());
      for (const p of packets) received.push(p.data);
      t.ack(packets.at(-1)!.block);
    }
    expect(Buffer.concat(received)).toEqual(data);
    expect(reads).toEqual([
      [0, 1024],
      [1024, 1024],
      [2048, 1024],
    ]);
  });

  it('keeps an ACK that arrives while the next read is under way', async () => {
    const data = pattern(1500);
    const t = start(readable(data, []));
    await settle();
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1]);
    t.clock.advance(1000); // timeout: block 1 is being read again
    t.ack(1); // the original block 1 arrived after all
    await settle();
    expect(dataBlocks(t.take()).map((b) => b.block)).toEqual([1, 2]);
    t.ack(2);
    await settle();
    t.ack(3);
    expect(t.outcome()).toMatchObject({ status: 'complete', bytes: 1500 });
  });

  it('reports a failing read to the client as error 0', async () => {
    const t = start({ read: async () => Promise.reject(new Error('EIO')) });
    await settle();
    expect(t.take().map((p) => p.decoded)).toEqual([{ kind: 'error', code: 0, message: 'Read error' }]);
    expect(t.outcome()).toMatchObject({ status: 'error-sent', errorCode: 0 });
  });
});
