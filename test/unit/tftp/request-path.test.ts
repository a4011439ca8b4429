import { describe, expect, it } from 'vitest';
import { parseRequestPath } from '../../../src/tftp/index.js';

describe('requested path sanitisation', () => {
  it.each([
    ['SEP0008A37128E9.cnf.xml', ['SEP0008A37128E9.cnf.xml']],
    ['firmware/P0030801SR02.loads', ['firmware', 'P0030801SR02.loads']],
    ['..hidden', ['..hidden']],
    ['a..b', ['a..b']],
  ])('accepts %s', (name, segments) => {
    expect(parseRequestPath(name)).toEqual({ ok: true, segments });
  });

  it.each([
    ['empty', ''],
    ['parent', '..'],
    ['traversal', '../etc/passwd'],
    ['nested traversal', 'firmware/../../etc/passwd'],
    ['trailing parent', 'firmware/..'],
    ['current folder', './SEPdefault.cnf'],
    ['absolute', '/etc/passwd'],
    ['double slash', 'a//b'],
    ['trailing slash', 'firmware/'],
    ['backslash traversal', '..\\..\\windows\\win.ini'],
    ['drive letter', 'C:\\IBMTCPIP\\lccm.1'],
    ['NUL', 'SEP.cnf\0.xml'],
    ['newline', 'a\nb'],
    ['DEL', 'a\u007fb'],
    ['overlong name', 'a'.repeat(501)],
    ['overlong segment', `x/${'b'.repeat(256)}`],
  ])('refuses %s', (_label, name) => {
    expect(parseRequestPath(name).ok).toBe(false);
  });
});
