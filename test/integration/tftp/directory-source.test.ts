import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTftpServer,
  directorySource,
  ErrorCode,
  type FileSource,
  type SourceFile,
  TftpError,
} from '../../../src/tftp/index.js';
import { fingerprint, tftpGet } from './tftp-client.js';

const remote = { address: '127.0.0.1', port: 1 };
let base: string;
let configs: string;
let firmware: string;
const firmwareData = Buffer.alloc(400_000, 0x5a);

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'strowger-tftp-'));
  configs = path.join(base, 'configs');
  firmware = path.join(base, 'firmware');
  mkdirSync(configs);
  mkdirSync(path.join(configs, 'Ringtones'));
  mkdirSync(firmware);
  writeFileSync(path.join(base, 'outside.txt'), 'secret');
  writeFileSync(path.join(configs, 'SEP0008A37128E9.cnf.xml'), '<device/>');
  writeFileSync(path.join(configs, 'Ringtones', 'RingList.xml'), '<CiscoIPPhoneRingList/>');
  writeFileSync(path.join(firmware, 'P0030801SR02.loads'), firmwareData);
  writeFileSync(path.join(firmware, 'SEP0008A37128E9.cnf.xml'), 'shadowed by the first folder');
  symlinkSync(path.join(base, 'outside.txt'), path.join(configs, 'escape.txt'));
  symlinkSync('..', path.join(configs, 'up'));
  symlinkSync('SEP0008A37128E9.cnf.xml', path.join(configs, 'alias.xml'));
  symlinkSync('missing', path.join(configs, 'dangling'));
  execFileSync('mkfifo', [path.join(configs, 'pipe')]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function contents(source: FileSource, name: string): Promise<Buffer | undefined> {
  const file: SourceFile | undefined = await source.open(name, remote);
  if (!file) return undefined;
  if ('data' in file) return file.data;
  try {
    return await file.read(0, file.size ?? 0);
  } finally {
    await file.close?.();
  }
}

async function refusal(source: FileSource, name: string): Promise<number | undefined> {
  try {
    await source.open(name, remote);
    return undefined;
  } catch (error) {
    if (error instanceof TftpError) return error.code;
    throw error;
  }
}

describe('directory source', () => {
  it('serves from the first folder that has the file, ignoring case', async () => {
    const source = directorySource([configs, firmware]);
    expect((await contents(source, 'SEP0008A37128E9.cnf.xml'))?.toString()).toBe('<device/>');
    expect((await contents(source, 'sep0008a37128e9.CNF.XML'))?.toString()).toBe('<device/>');
    expect((await contents(source, 'ringtones/ringlist.xml'))?.toString()).toBe('<CiscoIPPhoneRingList/>');
    expect(fingerprint(await contents(source, 'p0030801sr02.loads'))).toBe(fingerprint(firmwareData));
    expect(await contents(source, 'SEPdefault.cnf')).toBeUndefined();
    expect(await contents(source, 'SEP0008A37128E9.cnf.xml/x')).toBeUndefined();
  });

  it('matches case exactly when asked to', async () => {
    const source = directorySource([configs], { caseInsensitive: false });
    expect(await contents(source, 'sep0008a37128e9.cnf.xml')).toBeUndefined();
    expect(await contents(source, 'SEP0008A37128E9.cnf.xml')).toBeDefined();
  });

  it('reads large files piece by piece and small ones whole', async () => {
    const source = directorySource([firmware], { memoryLimit: 1000 });
    const file = await source.open('P0030801SR02.loads', remote);
    expect(file && 'read' in file).toBe(true);
    if (file && 'read' in file) {
      expect(file.size).toBe(firmwareData.length);
      expect(await file.read(399_990, 100)).toEqual(firmwareData.subarray(399_990));
      await file.close?.();
    }
    expect(await source.open('SEP0008A37128E9.cnf.xml', remote)).toEqual({
      data: Buffer.from('shadowed by the first folder'),
    });
  });

  it('follows symlinks that stay inside the folder', async () => {
    expect((await contents(directorySource([configs]), 'ALIAS.xml'))?.toString()).toBe('<device/>');
    expect(await contents(directorySource([configs]), 'dangling')).toBeUndefined();
  });

  it.each([
    ['traversal', '../outside.txt'],
    ['absolute path', '/etc/passwd'],
    ['backslashes', '..\\outside.txt'],
    ['NUL', 'SEP0008A37128E9.cnf.xml\0'],
    ['symlink out of the folder', 'escape.txt'],
    ['symlink folder out of the folder', 'up/outside.txt'],
    ['a folder', 'Ringtones'],
    ['a FIFO', 'pipe'],
  ])('refuses %s with an access violation', async (_label, name) => {
    expect(await refusal(directorySource([configs, firmware]), name)).toBe(ErrorCode.accessViolation);
  });

  it('treats a missing folder as empty', async () => {
    const source = directorySource([path.join(base, 'nope'), configs]);
    expect(await contents(source, 'SEP0008A37128E9.cnf.xml')).toBeDefined();
  });

  it('makes the server answer traversal with error 2 and unknown files with error 1', async () => {
    const server = await createTftpServer({
      address: '127.0.0.1',
      port: 0,
      source: directorySource([configs, firmware]),
    });
    try {
      const endpoint = server.address();
      expect((await tftpGet({ server: endpoint, file: '../outside.txt' })).error?.code).toBe(2);
      expect((await tftpGet({ server: endpoint, file: 'escape.txt' })).error?.code).toBe(2);
      expect((await tftpGet({ server: endpoint, file: 'SEP000000000000.cnf.xml' })).error?.code).toBe(1);
      const fetched = await tftpGet({
        server: endpoint,
        file: 'p0030801sr02.loads',
        options: [
          ['blksize', '1428'],
          ['windowsize', '8'],
          ['tsize', '0'],
        ],
      });
      expect(fingerprint(fetched.data)).toBe(fingerprint(firmwareData));
      expect(fetched.optionAck).toContainEqual(['tsize', String(firmwareData.length)]);
    } finally {
      await server.close();
    }
  });
});
