import { describe, expect, it } from 'vitest';
import {
  type FramingFailure,
  readContentLength,
  StreamFramer,
} from '../../../../src/sip/transport/stream-framer.js';

interface Recorded {
  messages: string[];
  pings: number;
  failures: Array<{ kind: FramingFailure; head: string }>;
}

function framer(maxSize = 65_535): { framer: StreamFramer; seen: Recorded } {
  const seen: Recorded = { messages: [], pings: 0, failures: [] };
  const f = new StreamFramer(
    {
      message: (bytes) => seen.messages.push(bytes.toString('latin1')),
      ping: () => seen.pings++,
      failure: (kind, head) => seen.failures.push({ kind, head: head.toString('latin1') }),
    },
    maxSize,
  );
  return { framer: f, seen };
}

function sipMessage(body: string, extra = ''): string {
  return (
    'INVITE sip:bob@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n' +
    'Call-ID: a84b4c76e66710\r\n' +
    extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

const first = sipMessage('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
const second = sipMessage('', 'Subject: second\r\n');

describe('StreamFramer', () => {
  it('frames one message given in one chunk', () => {
    const { framer: f, seen } = framer();
    f.push(Buffer.from(first));
    expect(seen.messages).toEqual([first]);
    expect(f.buffered).toBe(0);
  });

  it('frames the same messages whatever the split point', () => {
    const stream = Buffer.from(first + second);
    for (let cut = 0; cut <= stream.length; cut++) {
      const { framer: f, seen } = framer();
      f.push(stream.subarray(0, cut));
      f.push(stream.subarray(cut));
      expect(seen.messages, `cut at ${cut}`).toEqual([first, second]);
      expect(seen.failures).toEqual([]);
    }
  });

  it('frames messages fed one byte at a time', () => {
    const { framer: f, seen } = framer();
    const stream = Buffer.from(first + second + first);
    for (let i = 0; i < stream.length; i++) f.push(stream.subarray(i, i + 1));
    expect(seen.messages).toEqual([first, second, first]);
    expect(f.buffered).toBe(0);
  });

  it('frames pipelined messages in one chunk and keeps a trailing partial one', () => {
    const { framer: f, seen } = framer();
    f.push(Buffer.from(first + second + first.slice(0, 20)));
    expect(seen.messages).toEqual([first, second]);
    expect(f.buffered).toBe(20);
    f.push(Buffer.from(first.slice(20)));
    expect(seen.messages).toEqual([first, second, first]);
  });

  it('hands out messages that later input does not overwrite', () => {
    const kept: Buffer[] = [];
    const g = new StreamFramer({ message: (b) => kept.push(b), ping: () => {}, failure: () => {} }, 65_535);
    const stream = Buffer.from(first + second);
    for (let i = 0; i < stream.length; i += 7) g.push(Buffer.from(stream.subarray(i, i + 7)));
    expect(kept.map((b) => b.toString('latin1'))).toEqual([first, second]);
    expect(g.buffered).toBe(0);
  });

  it('answers double-CRLF pings and ignores single CRLFs between messages', () => {
    const { framer: f, seen } = framer();
    f.push(Buffer.from(`\r\n\r\n${first}\r\n${second}\r\n\r\n\r\n`));
    expect(seen.messages).toEqual([first, second]);
    expect(seen.pings).toBe(2);
  });

  it('recognises a ping split across reads', () => {
    const { framer: f, seen } = framer();
    f.push(Buffer.from('\r'));
    f.push(Buffer.from('\n\r'));
    expect(seen.pings).toBe(0);
    f.push(Buffer.from('\n'));
    expect(seen.pings).toBe(1);
    f.push(Buffer.from(first));
    expect(seen.messages).toEqual([first]);
  });

  it('accepts the compact form, any case and whitespace before the colon', () => {
    const { framer: f, seen } = framer();
    const body = 'hello';
    const message = `MESSAGE sip:a@b SIP/2.0\r\nvia: SIP/2.0/TCP h\r\nl : 5\r\n\r\n${body}`;
    f.push(Buffer.from(message + message.replace('l : 5', 'CONTENT-LENGTH:\r\n 5')));
    expect(seen.messages).toEqual([message, message.replace('l : 5', 'CONTENT-LENGTH:\r\n 5')]);
  });

  it('fails a message without Content-Length and stops framing', () => {
    const { framer: f, seen } = framer();
    const message = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n';
    f.push(Buffer.from(message + first));
    expect(seen.failures).toEqual([{ kind: 'missing-content-length', head: message.slice(0, -2) }]);
    f.push(Buffer.from(first));
    expect(seen.messages).toEqual([]);
  });

  it('fails conflicting or non-numeric Content-Length', () => {
    for (const headers of [
      'Content-Length: 1\r\nl: 2\r\n',
      'Content-Length: -1\r\n',
      'Content-Length: 1e3\r\n',
    ]) {
      const { framer: f, seen } = framer();
      f.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${headers}\r\nxx`));
      expect(seen.failures.map((x) => x.kind)).toEqual(['invalid-content-length']);
    }
  });

  it('fails a body over the limit as soon as its Content-Length is read', () => {
    const { framer: f, seen } = framer(1000);
    f.push(Buffer.from(`${sipMessage('x'.repeat(1000)).split('\r\n\r\n')[0]}\r\n\r\n`));
    expect(seen.failures.map((x) => x.kind)).toEqual(['message-too-large']);
    expect(seen.failures[0]?.head).toContain('Via: SIP/2.0/TCP 192.0.2.1:5060');
    expect(f.buffered).toBe(0);
  });

  it('fails a header section over the limit without buffering past it', () => {
    const { framer: f, seen } = framer(1000);
    const head = `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n`;
    f.push(Buffer.from(head));
    for (let i = 0; i < 100 && seen.failures.length === 0; i++)
      f.push(Buffer.from(`X-Filler: ${'y'.repeat(40)}\r\n`));
    expect(seen.failures.map((x) => x.kind)).toEqual(['message-too-large']);
    expect(seen.failures[0]?.head.length).toBe(1000);
    expect(seen.failures[0]?.head.startsWith(head)).toBe(true);
    expect(f.buffered).toBe(0);
  });

  it('survives garbage: bounded buffering, then a failure', () => {
    const { framer: f, seen } = framer(4096);
    let maxBuffered = 0;
    for (let i = 0; i < 1000; i++) {
      const chunk = Buffer.alloc(512);
      for (let j = 0; j < chunk.length; j++) chunk[j] = (i * 31 + j * 7) & 0xff;
      f.push(chunk);
      maxBuffered = Math.max(maxBuffered, f.buffered);
    }
    expect(maxBuffered).toBeLessThanOrEqual(4096 + 512);
    expect(seen.failures.length).toBe(1);
  });
});

describe('readContentLength', () => {
  it('reads the value, ignoring continuation lines of other headers', () => {
    expect(
      readContentLength(Buffer.from('A sip:b SIP/2.0\r\nSubject: x\r\n Content-Length: 9\r\nl: 3\r\n')),
    ).toBe(3);
  });
  it('reports a missing header', () => {
    expect(readContentLength(Buffer.from('A sip:b SIP/2.0\r\nSubject: x\r\n'))).toBe(-1);
  });
});
