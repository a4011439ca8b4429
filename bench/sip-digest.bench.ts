/**
 * Digest authentication cost: Strowger's response computation and registrar-side verification
 * against the npm `sip` package (0.0.6, MD5 only) in the same run.
 *
 * Fairness: "response" rows compute HA2 and the request-digest from a known HA1 on both sides.
 * "verify" rows: Strowger parses the Authorization value, checks the uri against the
 * Request-URI, derives HA1 from the password, computes and compares the digest (constant time),
 * checks the nonce and the nonce-count window. "new nonce": each request answers its own
 * challenge, so the nonce's HMAC is checked (a registrar's usual case). "nonce in use": the same
 * request again and again (verdict "replay" after the first, reached after all the work but the
 * HMAC, which the nonce's count record makes unnecessary: preemptive reuse of a nonce).
 * `sip` gets its header already parsed (its message parser does that) and a fresh context per
 * call, so it derives HA1 and the digest and compares them (no nonce or count checks).
 *
 * Run: npx tsx bench/sip-digest.bench.ts
 */
import { createRequire } from 'node:module';
import {
  answerChallenge,
  createDigestServer,
  type DigestAlgorithm,
  digestHa1,
  digestResponse,
} from '../src/sip/auth/index.js';
import { createRequest } from '../src/sip/message/index.js';
import { lastResult, measureThroughput, printTable } from './lib/measure.js';

const REALM = 'strowger.example';
const PASSWORD = 'demo-password';
const lookup = () => ({ password: PASSWORD });

interface NpmSipDigest {
  calculateDigest(ctx: Record<string, string>): string;
  authenticateRequest(ctx: Record<string, unknown>, request: unknown, credentials: unknown): boolean;
}
// The package ships no types; its digest module is CommonJS.
const peer = createRequire(import.meta.url)('sip/digest.js') as NpmSipDigest;

const nonce = 'ea9c8e88df84f1cec4341ae6cbe5a359';
const ha1 = digestHa1('MD5', '1001', REALM, PASSWORD);
const response = {
  ours: () =>
    digestResponse({
      algorithm: 'MD5',
      ha1,
      nonce,
      method: 'REGISTER',
      uri: 'sip:strowger.example',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    }),
  peer: () =>
    peer.calculateDigest({
      ha1,
      nonce,
      method: 'REGISTER',
      uri: 'sip:strowger.example',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    }),
};
if (response.ours() !== response.peer()) throw new Error('implementations disagree on the MD5 response');

function register(authorization: string) {
  return createRequest({
    method: 'REGISTER',
    uri: 'sip:strowger.example',
    from: '<sip:1001@strowger.example>;tag=1',
    to: '<sip:1001@strowger.example>',
    callId: 'bench',
    cseq: 2,
    headers: [['Authorization', authorization]],
  });
}

function answer(challenges: string[]): string {
  const answered = answerChallenge({
    challenges,
    method: 'REGISTER',
    uri: 'sip:strowger.example',
    username: '1001',
    password: PASSWORD,
  });
  if (!answered.ok) throw new Error(answered.error.message);
  return answered.value.value;
}

/** Verification of a request whose nonce is in use (its count record holds the checked nonce). */
function verifyReused(algorithm: DigestAlgorithm) {
  const server = createDigestServer({ realm: REALM, algorithms: [algorithm] });
  const request = register(answer(server.challenge({ proxy: false }).values));
  if (server.verify(request, { proxy: false, lookup }).status !== 'ok')
    throw new Error('verification failed');
  return () => server.verify(request, { proxy: false, lookup });
}

/** Verifications per second of requests each answering its own challenge (HMAC check of the nonce). */
function verifyFirstUse(algorithm: DigestAlgorithm, count: number): number {
  const server = createDigestServer({ realm: REALM, algorithms: [algorithm], maxNonces: count });
  const requests = Array.from({ length: count }, () =>
    register(answer(server.challenge({ proxy: false }).values)),
  );
  const start = performance.now();
  for (const request of requests) {
    if (server.verify(request, { proxy: false, lookup }).status !== 'ok')
      throw new Error('verification failed');
  }
  return (count / (performance.now() - start)) * 1000;
}

// The peer's server-side context and its parsed Authorization header for the same REGISTER.
const peerNonce = 'f84f1cec41e6cbe5aea9c8e88d359';
const peerResponse = peer.calculateDigest({
  ha1,
  nonce: peerNonce,
  method: 'REGISTER',
  uri: 'sip:strowger.example',
  qop: 'auth',
  nc: '00000001',
  cnonce: '0a4f113b',
});
const peerRequest = {
  method: 'REGISTER',
  headers: {
    authorization: [
      {
        scheme: 'Digest',
        username: '"1001"',
        realm: `"${REALM}"`,
        nonce: `"${peerNonce}"`,
        uri: '"sip:strowger.example"',
        qop: 'auth',
        nc: '00000001',
        cnonce: '"0a4f113b"',
        response: `"${peerResponse}"`,
      },
    ],
  },
};
const peerVerify = () =>
  peer.authenticateRequest({ realm: REALM, nonce: peerNonce }, peerRequest, {
    user: '1001',
    password: PASSWORD,
  });
if (!peerVerify()) throw new Error('peer verification failed');

const rows: Array<Array<string | number>> = [];
function row(task: string, implementation: string, opsPerSecond: number, peerOps: number): void {
  rows.push([task, implementation, opsPerSecond, `${(opsPerSecond / peerOps).toFixed(2)}x`]);
}

const responsePeer = measureThroughput(response.peer).median;
row('response MD5 (qop=auth)', 'strowger', measureThroughput(response.ours).median, responsePeer);
row('response MD5 (qop=auth)', 'sip 0.0.6', responsePeer, responsePeer);

const verifyPeer = measureThroughput(peerVerify).median;
for (const algorithm of ['MD5', 'SHA-256', 'SHA-512-256'] as const) {
  verifyFirstUse(algorithm, 2000); // warm-up
  row(`verify REGISTER ${algorithm}, new nonce`, 'strowger', verifyFirstUse(algorithm, 20_000), verifyPeer);
  row(
    `verify REGISTER ${algorithm}, nonce in use`,
    'strowger',
    measureThroughput(verifyReused(algorithm)).median,
    verifyPeer,
  );
}
row('verify REGISTER MD5', 'sip 0.0.6', verifyPeer, verifyPeer);

printTable(['task', 'implementation', 'ops/s (median)', 'vs sip 0.0.6'], rows);
void lastResult();
