/**
 * The admin token guards the API (RFC 6750 bearer tokens). Without a token the API serves only
 * loopback, where the machine's own users are the administrators.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/** 127.0.0.0/8, ::1 and `localhost`: addresses no other machine can reach. */
export function isLoopback(bind: string): boolean {
  const host = bind.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares in constant time; hashing first makes the lengths equal. */
export function tokenChecker(token: string): (candidate: string | undefined) => boolean {
  const expected = digest(token);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), expected);
}

/**
 * `Authorization: Bearer <token>` (RFC 6750 §2.1); where a client cannot set headers (a browser's
 * WebSocket), the `token` query parameter (§2.3) when `allowQuery`.
 */
export function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
  if (!allowQuery) return undefined;
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
}
