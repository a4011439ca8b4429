/** An ephemeral port free at the time of asking, for programs that need a port number up front. */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export function freePort(protocol: 'UDP' | 'TCP' = 'UDP'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'TCP') {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
      return;
    }
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
