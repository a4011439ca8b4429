/**
 * sipp's built-in uac and uas scenarios against a UAS and a UAC built on the stack, over UDP
 * and TCP: 1000 calls each way, none may fail.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnsweringUas } from '../../../examples/sip/answering-uas.js';
import { placeCalls } from '../../../examples/sip/calling-uac.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';

const CALLS = 1000;
const canRun = interopAvailable('sipp');

describe.runIf(canRun).each(['UDP', 'TCP'] as const)('sipp over %s', (protocol) => {
  let stack: SipStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it(`sipp uac places ${CALLS} calls to the stack's UAS, none failed`, async () => {
    stack = await startAnsweringUas(0, protocol);
    const port = stack.listening()[0]!.port;
    const transport = protocol === 'UDP' ? 'u1' : 't1';
    const result = await runSipp([
      '-sn',
      'uac',
      '-m',
      String(CALLS),
      '-r',
      '200',
      '-l',
      '100',
      '-t',
      transport,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort(protocol)),
      `127.0.0.1:${port}`,
    ]);
    expect(result.failed, result.output).toBe(0);
    expect(result.successful, result.output).toBe(CALLS);
    expect(result.exitCode, result.output).toBe(0);
  });

  it(`the stack's UAC places ${CALLS} calls to sipp uas, none failed`, async () => {
    const sippPort = await freePort(protocol);
    const transport = protocol === 'UDP' ? 'u1' : 't1';
    const uas = startSipp(['-sn', 'uas', '-t', transport, '-i', '127.0.0.1', '-p', String(sippPort)]);
    try {
      stack = await createSipStack({ transports: [{ protocol, address: '127.0.0.1', port: 0 }] });
      await waitForPort(sippPort, protocol);
      const tally = await placeCalls(stack, { protocol, address: '127.0.0.1', port: sippPort }, CALLS, 20);
      expect(tally.failures).toEqual([]);
      expect(tally.answered).toBe(CALLS);
    } finally {
      // sipp's uas counts a call successful after its 4 s timewait and writes statistics every second.
      await new Promise((resolve) => setTimeout(resolve, 5500));
      const result = await uas.stop();
      expect(result.failed, result.output).toBe(0);
      expect(result.successful, result.output).toBe(CALLS);
    }
  });
});

/** Waits until sipp has bound its port (probing with SIP would count as an unexpected message in its statistics). */
async function waitForPort(port: number, protocol: 'UDP' | 'TCP'): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const listing = spawnSync('ss', ['-H', protocol === 'UDP' ? '-lnu' : '-lnt', `sport = :${port}`], {
      encoding: 'latin1',
    });
    if (listing.stdout.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sipp did not start listening on ${protocol} ${port}`);
}
