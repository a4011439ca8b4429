import { describe, expect, it } from 'vitest';
import { planConfig } from '../../../src/admin/config/plan.js';
import { buildSnapshot, formatChange, validateConfigText } from '../../../src/admin/index.js';
import type { ConfigRows } from '../../../src/store/index.js';
import { emptyRows, lineRow, sipPhoneRow } from '../../helpers/config-rows.js';

const line = (dn: string, partition: string, displayName = '') => lineRow(dn, { partition, displayName });

const device = (name: string, sipUsername: string | null) =>
  sipPhoneRow(name, { sipUsername, sipPassword: sipUsername && `demo-${sipUsername}` });

const rows: ConfigRows = {
  ...emptyRows(),
  meta: { version: 7, sha256: 'abc', appliedAt: new Date(0) },
  partitions: [
    { name: 'internal', description: '' },
    { name: 'lobby', description: '' },
  ],
  callingSearchSpaces: [{ name: 'css', description: '' }],
  callingSearchSpaceMembers: [
    { callingSearchSpace: 'css', position: 0, partition: 'lobby' },
    { callingSearchSpace: 'css', position: 1, partition: 'internal' },
  ],
  lines: [line('201', 'internal', 'John Smith'), line('201', 'lobby'), line('202', 'internal')],
  devices: [device('a', '201'), device('b', null)],
  lineAppearances: [
    { device: 'a', button: 1, dn: '201', partition: 'internal', label: null },
    { device: 'a', button: 2, dn: '202', partition: 'internal', label: 'Second' },
    { device: 'b', button: 1, dn: '201', partition: 'internal', label: null },
  ],
};

function configuration(text: string) {
  const result = validateConfigText(text, 'x.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join());
  return result.file.configuration;
}

describe('planConfig', () => {
  it('changes nothing for sections the file does not list', () => {
    const planned = planConfig(rows, configuration('registrar: { expires: { max: 3600 } }\n'));
    expect(planned.ok && planned.plan.changes).toEqual([]);
  });

  it('compares the store with the file and names changed keys as the file spells them', () => {
    const planned = planConfig(
      rows,
      configuration(
        [
          'registrar: { expires: { max: 600, default: 600 } }',
          'callingSearchSpaces: [{ name: css, partitions: [internal, lobby] }]',
          'phones:',
          '  - name: a',
          '    model: SIP phone',
          '    sip: { username: "201", password: other }',
          '    lines: [{ dn: "201", partition: internal }, { dn: "202", label: Second, button: 2 }]',
          '  - name: c',
          '    model: "7960"',
          '    protocol: sccp',
        ].join('\n'),
      ),
    );
    if (!planned.ok) throw new Error(planned.errors.join());
    expect(planned.plan.changes.map(formatChange)).toEqual([
      '~ registrar expires expires.default, expires.max',
      '~ calling search space css partitions',
      '- phone b',
      '~ phone a sip.password',
      '+ phone c',
    ]);
  });

  it('refuses a DN that is in several partitions when the file names none', () => {
    const planned = planConfig(
      rows,
      configuration('phones: [{ name: a, model: x, lines: [{ dn: "201" }] }]\n'),
    );
    expect(planned).toEqual({ ok: false, errors: ['phone a: line 201 is in several partitions: name one'] });
  });
});

describe('buildSnapshot', () => {
  const snapshot = buildSnapshot(rows);

  it('indexes lines by partition and DN, phones by name and SIP user name', () => {
    expect(snapshot.version).toBe(7);
    expect(snapshot.registrar).toEqual({ expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 });
    expect(snapshot.lines.get('internal')?.get('201')?.displayName).toBe('John Smith');
    expect(snapshot.lines.get('internal')?.get('201')?.appearsOn).toEqual(['a', 'b']);
    expect(snapshot.linesByDn.get('201')?.map((l) => l.partition)).toEqual(['internal', 'lobby']);
    expect(snapshot.phonesBySipUsername.get('201')?.name).toBe('a');
    expect(snapshot.phonesBySipUsername.size).toBe(1);
    expect(snapshot.phones.get('a')?.lines.map((a) => [a.button, a.line.dn, a.label])).toEqual([
      [1, '201', null],
      [2, '202', 'Second'],
    ]);
    expect(snapshot.callingSearchSpaces.get('css')?.partitions).toEqual(['lobby', 'internal']);
  });

  it('cannot be changed by its readers', () => {
    expect(() => (snapshot.phones as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (snapshot.lines.get('internal') as Map<string, unknown>).delete('201')).toThrow(TypeError);
    expect(() => {
      (snapshot.phones.get('a') as { model: string }).model = 'x';
    }).toThrow(TypeError);
    expect(() => (snapshot.phones.get('a')!.lines as unknown[]).push(1)).toThrow(TypeError);
    expect(Object.isFrozen(snapshot)).toBe(true);
  });
});
