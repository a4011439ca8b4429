import { describe, expect, it } from 'vitest';
import type { DevicePoolResource, PhoneResource } from '../../../src/admin/index.js';
import { formatDevicePools } from '../../../src/cli/show.js';

const phone = (name: string, devicePool?: string): PhoneResource => ({
  name,
  model: 'Cisco 7960',
  protocol: 'sip',
  description: '',
  ...(devicePool === undefined ? {} : { devicePool }),
  lines: [],
});

const pools: DevicePoolResource[] = [
  { name: 'default', description: 'Demo phones', callManagerGroup: ['127.0.0.1'] },
  {
    name: 'geneva',
    description: 'Geneva\u001b[2J office',
    callManagerGroup: ['10.0.0.2', '10.0.0.1'],
    region: 'emea',
    mohSource: '2',
    locale: 'French_France',
    toneRegion: 'itu',
  },
];

describe('show device-pools', () => {
  it('lists each pool with its nodes, tones (the node’s when it names none) and phones', () => {
    const phones = [
      phone('SEP1', 'geneva'),
      phone('SEP2', 'geneva'),
      phone('SEP3', 'default'),
      phone('SEP4'),
    ];
    expect(formatDevicePools(pools, phones)).toBe(
      [
        'Name     CallManager group  Region  MOH  Locale         Tones  Phones  Description',
        '=======  =================  ======  ===  =============  =====  ======  =================',
        'default  127.0.0.1          -       -    -              node   1       Demo phones',
        'geneva   10.0.0.2,10.0.0.1  emea    2    French_France  itu    2       Geneva?[2J office',
        '2 device pools',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is none', () => {
    expect(formatDevicePools([], [])).toBe(
      'Name  CallManager group  Region  MOH  Locale  Tones  Phones  Description\n====  =================  ======  ===  ======  =====  ======  ===========\n0 device pools\n',
    );
  });
});
