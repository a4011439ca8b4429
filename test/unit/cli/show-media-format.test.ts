import { describe, expect, it } from 'vitest';
import type { MediaStateView, MediaStreamView } from '../../../src/api/index.js';
import { formatMedia } from '../../../src/cli/show.js';

const stream = (overrides: Partial<MediaStreamView>): MediaStreamView => ({
  endpointId: 'e1',
  kind: 'call',
  callId: '12',
  connectionId: '12.1',
  conferenceId: null,
  packetsReceived: 1500,
  packetsSent: 1498,
  packetsLost: 2,
  jitterMs: 1.26,
  malformed: 1,
  foreignSource: 3,
  unroutable: 0,
  ...overrides,
});

const state: MediaStateView = {
  anchored: true,
  workers: 2,
  ports: { capacity: 8192, used: 3, available: 8189 },
  conferences: 0,
  workerUtilization: [0.0312, null],
  totalStreams: 4,
  streams: [
    stream({}),
    stream({ endpointId: 'e2', connectionId: null, packetsReceived: 0, packetsSent: 0, jitterMs: 0 }),
    stream({
      endpointId: 'e3\u001b[2J',
      kind: 'announcement',
      callId: null,
      connectionId: null,
      packetsLost: 0,
      malformed: 0,
      foreignSource: 0,
    }),
    stream({ endpointId: 'e4', kind: 'conference', conferenceId: '3', callId: '14', connectionId: '14.2' }),
  ],
};

describe('show media', () => {
  it('summarises the engine, then one row per stream like show voip rtp connections', () => {
    expect(formatMedia(state)).toBe(
      [
        'RTP workers: 2 (busy 3.1%, -)',
        'RTP ports: 3 used of 8192 (8189 available)',
        'Conferences: 0',
        '',
        'Endpoint  Kind          Room  Call  Connection  Pkts in  Pkts out  Lost  Jitter(ms)  Refused',
        '========  ============  ====  ====  ==========  =======  ========  ====  ==========  =======',
        'e1        call          -     12    12.1        1500     1498      2     1.3         4',
        'e2        call          -     12    -           0        0         2     0.0         4',
        'e3?[2J    announcement  -     -     -           1500     1498      0     1.3         0',
        'e4        conference    3     14    14.2        1500     1498      2     1.3         4',
        '4 streams',
        '',
      ].join('\n'),
    );
  });

  it('says how many streams it leaves out', () => {
    const [first] = state.streams;
    if (!first) throw new Error('no stream');
    const text = formatMedia({ ...state, totalStreams: 4000, streams: [first] });
    expect(text.endsWith('\n4000 streams, 1 shown\n')).toBe(true);
  });

  it('says so when the node does not anchor media', () => {
    expect(
      formatMedia({
        ...state,
        anchored: false,
        workers: 0,
        ports: { capacity: 0, used: 0, available: 0 },
        workerUtilization: [],
        totalStreams: 0,
        streams: [],
      }),
    ).toBe('Media is not anchored on this node (node.media.anchor: off)\n');
  });

  it('shows an idle engine before its workers start', () => {
    const text = formatMedia({ ...state, workers: 0, workerUtilization: [], totalStreams: 0, streams: [] });
    expect(text.startsWith('RTP workers: 0\n')).toBe(true);
    expect(text.endsWith('\n0 streams\n')).toBe(true);
  });
});
