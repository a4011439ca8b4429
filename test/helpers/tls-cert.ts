/**
 * A self-signed certificate for 127.0.0.1, made at test time with the openssl command line
 * (no key material lives in the repository).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  key: Buffer;
  cert: Buffer;
}

export function makeTestCertificate(commonName = '127.0.0.1'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        `subjectAltName=IP:${commonName}`,
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(keyPath), cert: readFileSync(certPath) };
  } catch (error) {
    throw new Error(
      `cannot make a test certificate with the openssl command (is openssl installed?): ${error}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
