/**
 * A user agent client on the Strowger SIP stack: places calls (INVITE, ACK, then BYE) to a
 * target and counts how they ended.
 *
 *   sipp -sn uas -p 5080
 *   npx tsx examples/sip/calling-uac.ts 127.0.0.1 5080 100 [udp|tcp]
 */
import {
  createRequest,
  createSipStack,
  generateCallId,
  generateTag,
  type SipStack,
} from '../../src/sip/index.js';
import type { Endpoint } from '../../src/sip/transport/types.js';

const OFFER_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6002 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

export interface CallTally {
  answered: number;
  failed: number;
  failures: string[];
}

/** Places one call and hangs it up at once; resolves with the INVITE's final status. */
export async function placeCall(stack: SipStack, target: Endpoint): Promise<number> {
  const contact = stack.contact(target.protocol, 'caller');
  const host = `${target.address}:${target.port}`;
  const transport = target.protocol === 'UDP' ? '' : `;transport=${target.protocol.toLowerCase()}`;
  const invite = createRequest({
    method: 'INVITE',
    uri: `sip:service@${host}${transport}`,
    from: `<sip:caller@${contact.uri.host}>;tag=${generateTag()}`,
    to: `<sip:service@${host}>`,
    callId: generateCallId(),
    cseq: 1,
    contact,
    body: OFFER_SDP,
    contentType: 'application/sdp',
  });
  for await (const { response, dialog } of stack.invite(invite, { target })) {
    if (response.status < 200) continue;
    if (response.status >= 300 || !dialog) return response.status;
    const bye = await stack.requestInDialog(dialog, 'BYE');
    return bye.status >= 300 ? bye.status : response.status;
  }
  return 408;
}

/** Places `count` calls with at most `concurrency` at once. */
export async function placeCalls(
  stack: SipStack,
  target: Endpoint,
  count: number,
  concurrency: number,
): Promise<CallTally> {
  const tally: CallTally = { answered: 0, failed: 0, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const status = await placeCall(stack, target);
      if (status >= 200 && status < 300) tally.answered++;
      else {
        tally.failed++;
        if (tally.failures.length < 10) tally.failures.push(String(status));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [address = '127.0.0.1', port = '5080', count = '10', protocol = 'udp'] = process.argv.slice(2);
  const transportProtocol = protocol.toUpperCase() === 'TCP' ? 'TCP' : 'UDP';
  const stack = await createSipStack({ transports: [{ protocol: transportProtocol, address: '127.0.0.1', port: 0 }] });
  const tally = await placeCalls(stack, { protocol: transportProtocol, address, port: Number(port) }, Number(count), 10);
  console.log(`${tally.answered} answered, ${tally.failed} failed ${tally.failures.join(' ')}`);
  await stack.close();
}
