/** Opening TCP and TLS connections for requests to targets without one (RFC 3261 §18.1.1). */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Clock } from '../clock.js';
import type { Endpoint, TlsClientOptions } from './types.js';

/** Resolves with a connected socket (TLS: handshake done and the server certificate verified). */
export function openStreamSocket(
  target: Endpoint,
  tlsClient: TlsClientOptions,
  clock: Clock,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = target.protocol === 'TLS';
    const socket = tls
      ? connectTls({
          host: target.address,
          port: target.port,
          ca: tlsClient.ca,
          key: tlsClient.key,
          cert: tlsClient.cert,
          rejectUnauthorized: tlsClient.rejectUnauthorized ?? true,
          // SNI carries names only (RFC 6066 §3); an IP target is checked against the certificate's IP SANs.
          servername: isIP(target.address) === 0 ? target.address : undefined,
        })
      : connectTcp({ host: target.address, port: target.port });
    const timer = clock.setTimeout(
      () => fail(new Error(`connect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error): void => {
      clock.clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clock.clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}
