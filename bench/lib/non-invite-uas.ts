/**
 * The UAS of the non-INVITE transaction benchmark: the Strowger SIP stack on one UDP port,
 * answering OPTIONS and REGISTER with 200. It runs as a child process of the benchmark so that
 * its CPU time and memory are its own, and talks to the parent over the IPC channel:
 *
 *   child → parent  { type: 'ready', port }            once listening
 *   parent → child  { type: 'stats' }                  child → { type: 'stats', ... }
 *   parent → child  { type: 'close' }                  the child closes the stack and exits
 *
 * Not a registrar: REGISTER is answered 200 without bindings, as the Kamailio peer does, so that
 * both measure the transaction path alone.
 *
 *   node --import tsx bench/lib/non-invite-uas.ts <port> [maxServerTransactions]
 */
import { createSipStack } from '../../src/sip/index.js';

export interface UasStats {
  type: 'stats';
  /** Non-INVITE server transactions still alive (Completed, waiting for timer J). */
  liveTransactions: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export type UasMessage = { type: 'ready'; port: number } | UasStats;
export type UasCommand = { type: 'stats' } | { type: 'close' };

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  const maxServerTransactions = Number(process.argv[3] ?? 100_000);
  const send = process.send?.bind(process);
  if (!send) throw new Error('run by the benchmark, with an IPC channel');
  const stack = await createSipStack({
    transports: [{ protocol: 'UDP', address: '127.0.0.1', port }],
    limits: { maxServerTransactions },
    userAgent: 'Strowger benchmark UAS',
  });
  stack.onRequest('OPTIONS', (options) => {
    options.reply(200);
  });
  stack.onRequest('REGISTER', (register) => {
    register.reply(200);
  });
  process.on('message', (command: UasCommand) => {
    if (command.type === 'stats') {
      const memory = process.memoryUsage();
      const message: UasMessage = {
        type: 'stats',
        liveTransactions: stack.transactions.stats().nonInviteServer,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
      };
      send(message);
    } else if (command.type === 'close') {
      // process.exit() rather than waiting for the event loop, so that --cpu-prof is written at once.
      void stack.close().then(() => process.exit(0));
    }
  });
  // The parent went away without saying close: do not linger.
  process.on('disconnect', () => process.exit(0));
  const ready: UasMessage = { type: 'ready', port: stack.listening()[0]?.port ?? port };
  send(ready);
}

await main();
