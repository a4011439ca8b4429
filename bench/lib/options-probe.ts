/**
 * Readiness of a SIP server under benchmark: an OPTIONS (RFC 3261 §11) every 100 ms from an
 * ephemeral UDP port until anything comes back.
 */
import { createSocket } from 'node:dgram';

const PROBE_INTERVAL_MS = 100;

/**
 * Resolves true once the server at `address`:`port` answers anything, false when `exited`
 * resolves first or `timeoutMs` pass.
 */
export function answersOptions(
  address: string,
  port: number,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    let attempt = 0;
    let finished = false;
    const probe = (): void => {
      attempt++;
      const { port: localPort } = socket.address();
      const options = [
        `OPTIONS sip:${address}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${address}:${localPort};branch=z9hG4bK-probe-${attempt}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${address}:${localPort}>;tag=probe`,
        `To: <sip:${address}:${port}>`,
        `Call-ID: probe-${attempt}@${address}`,
        `CSeq: ${attempt} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(options, port, address);
    };
    const finish = (answered: boolean): void => {
      if (finished) return;
      finished = true;
      clearInterval(interval);
      clearTimeout(deadline);
      socket.close();
      resolve(answered);
    };
    const interval = setInterval(probe, PROBE_INTERVAL_MS);
    const deadline = setTimeout(() => finish(false), timeoutMs);
    socket.on('message', () => finish(true));
    // A probe sent before the server binds is simply lost; any socket error ends the wait.
    socket.on('error', () => finish(false));
    void exited.then(() => finish(false));
    socket.bind(0, address, probe);
  });
}
