import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatConfigError, MAX_CONFIG_BYTES, validateConfigText } from '../../../src/admin/index.js';

function errorsOf(text: string): string[] {
  const result = validateConfigText(text, 'demo.yaml');
  return result.ok ? [] : result.errors.map(formatConfigError);
}

function lines(...rows: string[]): string {
  return `${rows.join('\n')}\n`;
}

const base = lines(
  'partitions:',
  '  - name: internal',
  'lines:',
  '  - dn: "201"',
  '    partition: internal',
  '    displayName: John Smith',
);

describe('validateConfigText', () => {
  it('accepts the shipped examples', () => {
    for (const name of ['demo.yaml', 'strowger.yaml']) {
      const text = readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8');
      expect(errorsOf(text), name).toEqual([]);
    }
  });

  it('accepts the complete example of the configuration reference', () => {
    const reference = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const example = /## A complete example\s+```yaml\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('phones:');
    expect(errorsOf(example!)).toEqual([]);
  });

  it('returns the configuration in the store shape, DNs as written', () => {
    const result = validateConfigText(
      lines('lines:', '  - dn: 0012', '    partition: p', '    forward: { busy: 299, noAnswerTimeout: 20 }'),
      'x.yaml',
    );
    expect(result.ok && result.file.configuration.lines).toEqual([
      {
        dn: '0012',
        partition: 'p',
        displayName: '',
        description: '',
        forwardAll: null,
        forwardBusy: '299',
        forwardNoAnswer: null,
        noAnswerTimeout: 20,
        voicemailPilot: null,
        mwi: true,
        secondaryNumber: null,
        noRegistration: null,
        dualLine: false,
        mwiControl: null,
      },
    ]);
    expect(result.ok && Object.keys(result.file.configuration)).toEqual(['lines']);
  });

  it('treats an empty file as no configuration and no node settings', () => {
    const result = validateConfigText('# nothing yet\n', 'x.yaml');
    expect(result.ok && result.file).toMatchObject({ node: {}, configuration: {} });
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(errorsOf(lines('partitions:', '  - name: internal', '    bad: [1, 2'))[0]).toMatch(
      /^demo\.yaml:4:1: Flow sequence/,
    );
    expect(errorsOf(lines('partitions: []', 'partitions: []'))).toEqual([
      'demo.yaml:2:1: Map keys must be unique',
    ]);
  });

  it('reports unknown keys at the key', () => {
    expect(errorsOf(lines('node:', '  sip:', '    udp: 5060', '    colour: red'))).toEqual([
      'demo.yaml:4:5: node.sip: unknown key "colour" (expected udp, tcp, tls, ws, digestAlgorithms)',
    ]);
    expect(errorsOf(lines('gateways: []'))[0]).toMatch(
      /^demo\.yaml:1:1: unknown key "gateways" \(expected node, /,
    );
  });

  it('reports wrong types and missing keys', () => {
    expect(errorsOf(lines('partitions:', '  name: internal'))).toEqual([
      'demo.yaml:2:3: partitions: expected a list, got a mapping',
    ]);
    expect(errorsOf(lines('phones:'))).toEqual([
      'demo.yaml:1:8: phones: expected a list, got null (write [] for none)',
    ]);
    expect(errorsOf(lines('lines:', '  - dn: "201"', '    mwi: sometimes'))).toEqual([
      'demo.yaml:2:5: lines[0]: missing required key "partition"',
      'demo.yaml:3:10: lines[0].mwi: expected true or false, got "sometimes"',
    ]);
  });

  it('reports values out of range', () => {
    expect(errorsOf(lines('node:', '  http: { port: 70000 }'))).toEqual([
      'demo.yaml:2:17: node.http.port: 70000 is out of range 0–65535',
    ]);
    // The CME example `registrar server expires max 120 min 60` is below the documented 600–86400.
    expect(errorsOf(lines('registrar:', '  expires:', '    max: 120', '    min: 60'))).toEqual([
      'demo.yaml:3:10: registrar.expires.max: 120 is out of range 600–86400',
    ]);
    expect(errorsOf(lines('registrar:', '  expires: { min: 3000, max: 600 }'))).toEqual([
      'demo.yaml:2:19: registrar.expires: min 3000 is above max 600',
    ]);
  });

  it('checks SEP device names carry a MAC address', () => {
    const phone = (name: string) => lines('phones:', `  - name: ${name}`, '    model: "7960"');
    expect(errorsOf(phone('SEP0008A37128E9'))).toEqual([]);
    expect(errorsOf(phone('SEP0008a37128e9'))).toEqual([
      'demo.yaml:2:11: phones[0].name: "SEP0008a37128e9" is not SEP followed by the 12 upper-case hex digits of a MAC address',
    ]);
    expect(errorsOf(phone('SEP0008A37128'))).toHaveLength(1);
  });

  it('reports dangling references where they are written', () => {
    const text =
      base +
      lines(
        'callingSearchSpaces:',
        '  - name: internal-css',
        '    partitions: [internal, external]',
        'phones:',
        '  - name: SEP0008A37128E9',
        '    model: "7960"',
        '    lines:',
        '      - dn: "201"',
        '      - dn: "205"',
      );
    expect(errorsOf(text)).toEqual([
      'demo.yaml:9:28: callingSearchSpaces[0].partitions[1]: partition external is not defined',
      'demo.yaml:15:13: phones[0].lines[1]: line 205 is not defined',
    ]);
  });

  it('leaves references into sections the file does not list to the store', () => {
    expect(
      errorsOf(
        lines(
          'phones:',
          '  - name: desk',
          '    model: x',
          '    devicePool: elsewhere',
          '    lines: [{ dn: "205" }]',
        ),
      ),
    ).toEqual([]);
  });

  it('reports duplicates and points back at the first definition', () => {
    const text =
      base +
      lines(
        '  - dn: "201"',
        '    partition: internal',
        'phones:',
        '  - name: a',
        '    model: x',
        '    sip: { username: "201", password: p1 }',
        '  - name: a',
        '    model: x',
        '    sip: { username: "201", password: p2 }',
      );
    expect(errorsOf(text)).toEqual([
      'demo.yaml:7:9: lines[1]: duplicate DN 201 in partition internal (first defined at line 4, column 5)',
      'demo.yaml:13:11: phones[1]: duplicate phone a (first defined at line 10, column 5)',
      'demo.yaml:15:10: phones[1]: duplicate SIP username 201 (first defined at line 10, column 5)',
    ]);
  });

  it('reports a button used twice and a DN that needs its partition', () => {
    const text = lines(
      'partitions: [{ name: a }, { name: b }]',
      'lines:',
      '  - { dn: "201", partition: a }',
      '  - { dn: "201", partition: b }',
      '  - { dn: "202", partition: a }',
      'phones:',
      '  - name: desk',
      '    model: x',
      '    lines:',
      '      - { dn: "201" }',
      '      - { dn: "202", button: 1 }',
    );
    expect(errorsOf(text)).toEqual([
      'demo.yaml:10:15: phones[0].lines[0]: line 201 is in partitions a, b: name one',
      'demo.yaml:11:30: phones[0].lines[1]: button 1 is used twice',
    ]);
  });

  it('refuses aliases, oversized files and never throws on garbage', () => {
    expect(errorsOf(lines('partitions:', '  - &p { name: a }', '  - *p'))).toEqual([
      'demo.yaml:3:5: partitions[1]: aliases (*name) are not supported',
    ]);
    expect(errorsOf('#'.repeat(MAX_CONFIG_BYTES + 1))).toEqual([
      `demo.yaml:1:1: larger than ${MAX_CONFIG_BYTES} bytes`,
    ]);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = ':-[]{}"\'&*!|>#%@ \n\tab01';
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: 60 }, () => alphabet[random() % alphabet.length]).join('');
      expect(() => validateConfigText(text, 'fuzz.yaml')).not.toThrow();
    }
  });
});
