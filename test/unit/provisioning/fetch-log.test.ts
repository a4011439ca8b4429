import { describe, expect, it } from 'vitest';
import { FetchLog, type FetchRecord } from '../../../src/provisioning/index.js';

const fetch = (file: string, address = '10.0.0.50', found = true): FetchRecord => ({
  file,
  found,
  remote: { address, port: 50000 },
  at: new Date(0),
  via: 'tftp',
});

describe('fetch log', () => {
  it('files a request under the phone its name names, in any case', () => {
    const log = new FetchLog();
    log.record(fetch('sep0008a37128e9.cnf.xml', '10.0.0.50', false));
    log.record(fetch('SEPDefault.cnf.xml', '10.0.0.50', false));
    expect(log.lastFetches('SEP0008A37128E9').map((r) => [r.file, r.found])).toEqual([
      ['sep0008a37128e9.cnf.xml', false],
      ['SEPDefault.cnf.xml', false],
    ]);
    expect(log.lastFetches('sep0008a37128e9')).toHaveLength(2);
  });

  it('files anonymous requests under the address until a phone is seen there', () => {
    const log = new FetchLog();
    log.record(fetch('OS79XX.TXT', '10.0.0.60'));
    log.record(fetch('SEP003094C2D5CA.cnf.xml', '10.0.0.60'));
    log.record(fetch('P00308010200.loads', '10.0.0.60'));
    expect(log.lastFetches('10.0.0.60').map((r) => r.file)).toEqual(['OS79XX.TXT']);
    expect(log.lastFetches('SEP003094C2D5CA').map((r) => r.file)).toEqual([
      'SEP003094C2D5CA.cnf.xml',
      'P00308010200.loads',
    ]);
  });

  it('keeps a bounded number of records and subjects', () => {
    const log = new FetchLog({ perDevice: 3, maxSubjects: 2 });
    for (let i = 0; i < 10; i++) log.record(fetch(`file-${i}`, '10.0.0.1'));
    expect(log.lastFetches('10.0.0.1').map((r) => r.file)).toEqual(['file-7', 'file-8', 'file-9']);
    log.record(fetch('a', '10.0.0.2'));
    log.record(fetch('b', '10.0.0.3'));
    expect(log.lastFetches('10.0.0.1')).toEqual([]);
    expect(log.lastFetches('10.0.0.3')).toHaveLength(1);
  });

  it('cuts long client-supplied names', () => {
    const log = new FetchLog();
    log.record(fetch('x'.repeat(10_000)));
    expect(log.lastFetches('10.0.0.50')[0]?.file).toHaveLength(128);
  });
});
