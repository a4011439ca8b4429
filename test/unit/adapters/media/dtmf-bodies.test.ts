import { describe, expect, it } from 'vitest';
import {
  dtmfAction,
  infoMessage,
  notifyCallInfo,
  notifyMessage,
  readInfo,
  readNotify,
} from '../../../../src/adapters/media/index.js';

describe('DTMF in SIP bodies', () => {
  it('writes and reads INFO application/dtmf-relay', () => {
    const message = infoMessage('5', 160);
    expect(message.method).toBe('INFO');
    expect(message.contentType).toBe('application/dtmf-relay');
    expect(message.body.toString()).toBe('Signal=5\r\nDuration=160\r\n');
    expect(readInfo(message.contentType, message.body)).toEqual({ digit: '5', durationMs: 160, end: true });
    expect(readInfo('application/dtmf-relay', Buffer.from('signal= #\nduration=90'))).toEqual({
      digit: '#',
      durationMs: 90,
      end: true,
    });
    // Event codes written as numbers: 10 is *.
    expect(readInfo('application/dtmf-relay', Buffer.from('Signal=10\r\n'))?.digit).toBe('*');
  });

  it('writes and reads INFO application/dtmf', () => {
    const message = infoMessage('D', 200, 'dtmf');
    expect(message.contentType).toBe('application/dtmf');
    expect(message.body.toString()).toBe('D');
    expect(readInfo('Application/DTMF', Buffer.from('d'))?.digit).toBe('D');
  });

  it('refuses INFO bodies that carry no digit', () => {
    expect(readInfo('application/dtmf-relay', Buffer.from('Signal=X\r\nDuration=100'))).toBeNull();
    expect(readInfo('application/dtmf-relay', Buffer.from('Duration=100'))).toBeNull();
    expect(readInfo('application/dtmf', Buffer.from('55'))).toBeNull();
    expect(readInfo('text/plain', Buffer.from('5'))).toBeNull();
    expect(readInfo('application/dtmf-relay', Buffer.alloc(100_000, 0x41))).toBeNull();
  });

  it('writes and reads the Cisco NOTIFY body (RFC 4733 §2.3 layout, duration in ms)', () => {
    const down = notifyMessage('#', 2000, false);
    expect(down.method).toBe('NOTIFY');
    expect(down.contentType).toBe('audio/telephone-event');
    expect(down.headers).toEqual([['Event', 'telephone-event']]);
    expect([...down.body]).toEqual([11, 10, 0x07, 0xd0]);
    const up = notifyMessage('#', 180, true);
    expect([...up.body]).toEqual([11, 0x8a, 0, 180]);
    expect(readNotify('telephone-event', up.contentType, up.body)).toEqual({
      digit: '#',
      durationMs: 180,
      end: true,
    });
    expect(readNotify('telephone-event;rate=1000', down.contentType, down.body)?.end).toBe(false);
  });

  it('refuses NOTIFYs of other events and malformed bodies', () => {
    const body = notifyMessage('1', 100, true).body;
    expect(readNotify('refer', 'audio/telephone-event', body)).toBeNull();
    expect(readNotify(undefined, 'audio/telephone-event', body)).toBeNull();
    expect(readNotify('telephone-event', 'audio/telephone-event', body.subarray(0, 3))).toBeNull();
    expect(
      readNotify('telephone-event', 'audio/telephone-event', Buffer.from([16, 0x80, 0, 100])),
    ).toBeNull();
  });

  it('announces NOTIFY relay in Call-Info', () => {
    expect(notifyCallInfo('sip:10.0.0.1:5060')).toBe(
      '<sip:10.0.0.1:5060>;method="NOTIFY;Event=telephone-event;Duration=2000"',
    );
  });

  it('interworks every pair of relay methods', () => {
    const methods = ['rtp-nte', 'sip-notify', 'sip-info', 'inband'] as const;
    const table = Object.fromEntries(
      methods.map((from) => [from, Object.fromEntries(methods.map((to) => [to, dtmfAction(from, to)]))]),
    );
    expect(table).toEqual({
      'rtp-nte': {
        'rtp-nte': 'media-path',
        'sip-notify': 'sip-notify',
        'sip-info': 'sip-info',
        inband: 'inband',
      },
      'sip-notify': {
        'rtp-nte': 'rtp-nte',
        'sip-notify': 'sip-notify',
        'sip-info': 'sip-info',
        inband: 'inband',
      },
      'sip-info': {
        'rtp-nte': 'rtp-nte',
        'sip-notify': 'sip-notify',
        'sip-info': 'sip-info',
        inband: 'inband',
      },
      inband: {
        'rtp-nte': 'rtp-nte',
        'sip-notify': 'sip-notify',
        'sip-info': 'sip-info',
        inband: 'media-path',
      },
    });
  });
});
