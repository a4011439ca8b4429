/**
 * A user agent server on the Strowger SIP stack that answers every call and hangs up when told.
 *
 *   npx tsx examples/sip/answering-uas.ts [port] [udp|tcp]
 *   sipp -sn uac -m 10 127.0.0.1:5070
 */
import { createSipStack, type SipStack } from '../../src/sip/index.js';

const ANSWER_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

export async function startAnsweringUas(port: number, protocol: 'UDP' | 'TCP'): Promise<SipStack> {
  const stack = await createSipStack({
    transports: [{ protocol, address: '127.0.0.1', port }],
    userAgent: 'Strowger example UAS',
  });
  stack.onRequest('INVITE', (call) => {
    call.reply(180);
    call.accept({ body: ANSWER_SDP, contentType: 'application/sdp' });
  });
  stack.onRequest('BYE', (bye) => {
    bye.reply(200);
  });
  return stack;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 5070);
  const protocol = process.argv[3]?.toUpperCase() === 'TCP' ? 'TCP' : 'UDP';
  const stack = await startAnsweringUas(port, protocol);
  console.log(`answering calls on ${protocol} ${stack.listening()[0]?.address}:${stack.listening()[0]?.port}`);
  process.on('SIGINT', () => void stack.close().then(() => process.exit(0)));
}
