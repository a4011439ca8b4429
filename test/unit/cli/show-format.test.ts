import { describe, expect, it } from 'vitest';
import type { LineResource, PhoneResource } from '../../../src/admin/index.js';
import type { CallView } from '../../../src/api/index.js';
import {
  formatCalls,
  formatCdrs,
  formatDuration,
  formatLines,
  formatPhones,
  formatRegistrations,
} from '../../../src/cli/show.js';
import { callView, registrationView } from '../../helpers/runtime-views.js';

const registration = registrationView({ contact: 'sip:201@192.0.2.10:5060' });

const phones: PhoneResource[] = [
  {
    name: 'phone-201',
    model: 'SIP phone',
    protocol: 'sip',
    description: 'John Smith',
    sip: { username: '201' },
    lines: [{ button: 1, dn: '201', partition: 'internal' }],
  },
  {
    name: 'SEP0008A37128E9',
    model: 'Cisco 7960',
    protocol: 'sccp',
    description: '',
    lines: [
      { button: 1, dn: '202', partition: 'internal' },
      { button: 2, dn: '201', partition: 'internal' },
    ],
  },
];

describe('show tables', () => {
  it('registrations, like show sip-ua register status', () => {
    expect(formatRegistrations([registration])).toBe(
      [
        'Line  Partition  Phone      Contact                  Source               Expires(sec)  User agent',
        '====  =========  =========  =======================  ===================  ============  =================',
        '201   internal   phone-201  sip:201@192.0.2.10:5060  UDP 192.0.2.10:5060  3542          Cisco-CP7960G/8.0',
        '1 registration',
        '',
      ].join('\n'),
    );
    expect(formatRegistrations([])).toContain('0 registrations');
  });

  it('phones, with the real-time status of each', () => {
    expect(formatPhones(phones, [registration])).toBe(
      [
        'Name             Model       Protocol  Status        Address              Lines    Description',
        '===============  ==========  ========  ============  ===================  =======  ===========',
        'phone-201        SIP phone   SIP       Registered    UDP 192.0.2.10:5060  201      John Smith',
        'SEP0008A37128E9  Cisco 7960  SCCP      Unregistered  -                    202,201  -',
        '2 phones, 1 registered',
        '',
      ].join('\n'),
    );
  });

  it('lines, with where they appear, their contacts and forwards', () => {
    const lines: LineResource[] = [
      {
        dn: '201',
        partition: 'internal',
        displayName: 'John Smith',
        description: '',
        forward: { busy: '600', noAnswer: '600', noAnswerTimeout: 15 },
        voicemail: '600',
        mwi: true,
      },
      { dn: '202', partition: 'internal', displayName: '', description: '', mwi: true },
    ];
    expect(formatLines(lines, phones, [registration])).toBe(
      [
        'DN   Partition  Display name  Phones                     Registered  Forward               Voicemail',
        '===  =========  ============  =========================  ==========  ====================  =========',
        '201  internal   John Smith    phone-201,SEP0008A37128E9  1           CFB 600 CFNA 600/15s  600',
        '202  internal   -             SEP0008A37128E9            0           -                     -',
        '2 lines',
        '',
      ].join('\n'),
    );
  });

  it('calls, like show call active voice brief', () => {
    const connected = callView({ startedAt: 1_000_000, answeredAt: 1_005_000 });
    // 202 has put the call on hold (its connection is held, ECMA-269).
    const call: CallView = {
      ...connected,
      connections: connected.connections.map((connection) =>
        connection.number === '202' ? { ...connection, state: 'held' } : connection,
      ),
    };
    const ringing: CallView = { ...call, id: 'call-2', phase: 'alerting', connections: [], answeredAt: null };
    expect(formatCalls([call, ringing], 1_000_000 + 3_725_000)).toBe(
      [
        'Call    State      Calling  Called  Age       Connected  Connections',
        '======  =========  =======  ======  ========  =========  =============================================',
        'call-1  connected  201      202     01:02:05  01:02:00   phone-201(201) connected, phone-202(202) held',
        'call-2  alerting   201      202     01:02:05  -          -',
        '2 active calls',
        '',
      ].join('\n'),
    );
  });

  it('call detail records in UTC', () => {
    const text = formatCdrs([
      {
        callId: 'x',
        calling: '201',
        called: '202',
        originalCalled: '200',
        setupAt: '2030-01-01T12:00:00.000Z',
        answerAt: '2030-01-01T12:00:02.000Z',
        endAt: '2030-01-01T12:00:32.000Z',
        duration: 30,
        cause: 'normalClearing',
      },
      {
        callId: 'y',
        calling: '203',
        called: '299',
        originalCalled: null,
        setupAt: '2030-01-01T11:00:00.000Z',
        answerAt: null,
        endAt: '2030-01-01T11:00:01.000Z',
        duration: 0,
        cause: 'destNotObtainable',
      },
    ]);
    expect(text).toBe(
      [
        'Ended (UTC)          Calling  Called  Dialled  Duration  Cause',
        '===================  =======  ======  =======  ========  =================',
        '2030-01-01 12:00:32  201      202     200      00:00:30  normalClearing',
        '2030-01-01 11:00:01  203      299     -        -         destNotObtainable',
        '2 records',
        '',
      ].join('\n'),
    );
  });

  it('neutralises control characters and cuts long values from the network', () => {
    const hostile = { ...registration, userAgent: `\u001b[2J\u001b]0;owned\u0007${'x'.repeat(200)}` };
    const text = formatRegistrations([hostile]);
    expect(text).not.toMatch(/[\u0000-\u001f\u007f](?<!\n)/);
    expect(text).toContain('?[2J?]0;owned?xxx');
    expect(text.split('\n')[2]!.endsWith('…')).toBe(true);
  });

  it('durations as hh:mm:ss', () => {
    expect(formatDuration(0)).toBe('00:00:00');
    expect(formatDuration(59.9)).toBe('00:00:59');
    expect(formatDuration(36_000 + 61)).toBe('10:01:01');
    expect(formatDuration(-5)).toBe('00:00:00');
  });
});
