import { describe, expect, it } from 'vitest';
import {
  encodeWsClose,
  encodeWsFrame,
  WsCloseCode,
  WsFrameDecoder,
  WsOpcode,
} from '../../../../src/sip/transport/ws-frame-codec.js';
import { acceptWebSocketUpgrade, websocketAccept } from '../../../../src/sip/transport/ws-handshake.js';

interface Seen {
  messages: Array<{ text: string; binary: boolean }>;
  pings: string[];
  pongs: string[];
  closes: Array<{ code: number | undefined; reason: string }>;
  failures: number[];
}

function decoder(expectMasked = true, maxMessageSize = 1000): { decoder: WsFrameDecoder; seen: Seen } {
  const seen: Seen = { messages: [], pings: [], pongs: [], closes: [], failures: [] };
  const d = new WsFrameDecoder(
    {
      message: (payload, binary) => seen.messages.push({ text: payload.toString('utf8'), binary }),
      ping: (p) => seen.pings.push(p.toString()),
      pong: (p) => seen.pongs.push(p.toString()),
      close: (code, reason) => seen.closes.push({ code, reason }),
      failure: (code) => seen.failures.push(code),
    },
    { expectMasked, maxMessageSize },
  );
  return { decoder: d, seen };
}

/** A frame with explicit FIN and opcode, masked like a client's. */
function frame(opcode: number, payload: string | Buffer, fin = true, mask = true): Buffer {
  const bytes = encodeWsFrame(opcode as WsOpcode, Buffer.from(payload), mask);
  if (!fin) bytes[0] = bytes[0]! & 0x7f;
  return bytes;
}

const sip = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n';

describe('WsFrameDecoder', () => {
  it('decodes masked text and binary frames, fed whole or byte by byte', () => {
    const stream = Buffer.concat([frame(WsOpcode.Text, sip), frame(WsOpcode.Binary, 'bin')]);
    for (const step of [stream.length, 1, 3]) {
      const { decoder: d, seen } = decoder();
      // Unmasking happens in place: give each run its own copy of the stream.
      const copy = Buffer.from(stream);
      for (let i = 0; i < copy.length; i += step) d.push(copy.subarray(i, i + step));
      expect(seen.messages).toEqual([
        { text: sip, binary: false },
        { text: 'bin', binary: true },
      ]);
    }
  });

  it('decodes 16-bit and 64-bit payload lengths', () => {
    const { decoder: d, seen } = decoder(true, 100_000);
    const medium = 'm'.repeat(300);
    const large = 'L'.repeat(70_000);
    d.push(Buffer.concat([frame(WsOpcode.Text, medium), frame(WsOpcode.Text, large)]));
    expect(seen.messages.map((m) => m.text.length)).toEqual([300, 70_000]);
  });

  it('reassembles fragmented messages with control frames between fragments', () => {
    const { decoder: d, seen } = decoder();
    d.push(
      Buffer.concat([
        frame(WsOpcode.Text, 'OPTIONS ', false),
        frame(WsOpcode.Ping, 'p1'),
        frame(WsOpcode.Continuation, 'sip:a@b ', false),
        frame(WsOpcode.Continuation, 'SIP/2.0'),
      ]),
    );
    expect(seen.messages).toEqual([{ text: 'OPTIONS sip:a@b SIP/2.0', binary: false }]);
    expect(seen.pings).toEqual(['p1']);
  });

  it('requires masking from clients and forbids it from servers', () => {
    const a = decoder(true);
    a.decoder.push(frame(WsOpcode.Text, 'x', true, false));
    expect(a.seen.failures).toEqual([WsCloseCode.protocolError]);
    const b = decoder(false);
    b.decoder.push(frame(WsOpcode.Text, 'x', true, true));
    expect(b.seen.failures).toEqual([WsCloseCode.protocolError]);
    const c = decoder(false);
    c.decoder.push(frame(WsOpcode.Text, 'x', true, false));
    expect(c.seen.messages).toEqual([{ text: 'x', binary: false }]);
  });

  it('reports a close frame with its code and reason, then stops', () => {
    const { decoder: d, seen } = decoder();
    d.push(Buffer.concat([encodeWsClose(1001, 'bye', true), frame(WsOpcode.Text, 'late')]));
    expect(seen.closes).toEqual([{ code: 1001, reason: 'bye' }]);
    expect(seen.messages).toEqual([]);
  });

  it('fails protocol violations', () => {
    const cases: Array<[string, Buffer, number]> = [
      ['reserved bit', Buffer.from([0xc1, 0x80, 0, 0, 0, 0]), WsCloseCode.protocolError],
      ['unknown data opcode', frame(0x3, 'x'), WsCloseCode.protocolError],
      ['unknown control opcode', frame(0xb, 'x'), WsCloseCode.protocolError],
      ['fragmented ping', frame(WsOpcode.Ping, 'x', false), WsCloseCode.protocolError],
      ['ping over 125 bytes', frame(WsOpcode.Ping, 'x'.repeat(126)), WsCloseCode.protocolError],
      ['orphan continuation', frame(WsOpcode.Continuation, 'x'), WsCloseCode.protocolError],
      ['one-byte close', frame(WsOpcode.Close, 'x'), WsCloseCode.protocolError],
      ['close code 1005', encodeWsClose(1005, '', true), WsCloseCode.protocolError],
      ['text not UTF-8', frame(WsOpcode.Text, Buffer.from([0xff, 0xfe])), WsCloseCode.invalidPayload],
    ];
    for (const [name, bytes, code] of cases) {
      const { decoder: d, seen } = decoder();
      d.push(bytes);
      expect(seen.failures, name).toEqual([code]);
    }
    const { decoder: d, seen } = decoder();
    d.push(Buffer.concat([frame(WsOpcode.Text, 'a', false), frame(WsOpcode.Binary, 'b')]));
    expect(seen.failures).toEqual([WsCloseCode.protocolError]);
  });

  it('refuses a message over the limit from its header, before buffering the payload', () => {
    const { decoder: d, seen } = decoder(true, 1000);
    const big = frame(WsOpcode.Binary, Buffer.alloc(5000));
    d.push(big.subarray(0, 8));
    expect(seen.failures).toEqual([WsCloseCode.messageTooBig]);
    expect(d.buffered).toBe(0);
    const fragmented = decoder(true, 1000);
    fragmented.decoder.push(frame(WsOpcode.Binary, Buffer.alloc(600), false));
    fragmented.decoder.push(frame(WsOpcode.Continuation, Buffer.alloc(600)));
    expect(fragmented.seen.failures).toEqual([WsCloseCode.messageTooBig]);
    const huge = decoder(true, 1000);
    huge.decoder.push(Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]));
    expect(huge.seen.failures).toEqual([WsCloseCode.messageTooBig]);
  });
});

describe('WebSocket handshake', () => {
  const headers = {
    upgrade: 'websocket',
    connection: 'keep-alive, Upgrade',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-protocol': 'chat, sip',
  };

  it('computes the accept value of RFC 6455 §1.3', () => {
    expect(websocketAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('accepts an upgrade that offers sip and answers with it', () => {
    const result = acceptWebSocketUpgrade('GET', headers);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.response).toContain('Sec-WebSocket-Protocol: sip\r\n');
      expect(result.response).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
    }
  });

  it('refuses an upgrade without the sip subprotocol, a bad key or version', () => {
    expect(acceptWebSocketUpgrade('GET', { ...headers, 'sec-websocket-protocol': 'chat' }).ok).toBe(false);
    expect(acceptWebSocketUpgrade('GET', { ...headers, 'sec-websocket-protocol': undefined }).ok).toBe(false);
    expect(acceptWebSocketUpgrade('GET', { ...headers, 'sec-websocket-key': 'short' }).ok).toBe(false);
    expect(acceptWebSocketUpgrade('GET', { ...headers, 'sec-websocket-version': '8' }).ok).toBe(false);
    expect(acceptWebSocketUpgrade('POST', headers).ok).toBe(false);
  });
});
