/**
 * A small carrier for the trunk tests, built on the SIP stack: a registrar with digest
 * authentication that keeps its bindings, answering OPTIONS (the stack does that itself).
 */
import {
  createDigestServer,
  createSipStack,
  type Endpoint,
  type SipRequest,
  type SipStack,
} from '../../../../src/sip/index.js';

export interface CarrierBinding {
  readonly contact: string;
  readonly callId: string;
  readonly cseq: number;
}

export interface Carrier {
  readonly stack: SipStack;
  readonly endpoint: Endpoint;
  /** Live bindings by number. */
  readonly bindings: Map<string, CarrierBinding>;
  /** Every REGISTER received, in order. */
  readonly registers: SipRequest[];
  close(): Promise<void>;
}

export interface CarrierOptions {
  readonly realm: string;
  /** Digest accounts: username → password. */
  readonly accounts: Readonly<Record<string, string>>;
  /** Longest registration granted, in seconds. */
  readonly maxExpires: number;
}

export async function startCarrier(options: CarrierOptions): Promise<Carrier> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const digest = createDigestServer({ realm: options.realm });
  const bindings = new Map<string, CarrierBinding>();
  const registers: SipRequest[] = [];
  stack.onRequest('REGISTER', (incoming) => {
    const { request } = incoming;
    registers.push(request);
    const verdict = digest.verify(request, {
      proxy: false,
      lookup: (username) => {
        const password = options.accounts[username];
        return password === undefined ? undefined : { password };
      },
    });
    if (verdict.status !== 'ok') {
      const challenge = digest.challenge({ proxy: false, stale: verdict.status === 'stale' });
      incoming.reply(401, undefined, { headers: challenge.values.map((value) => [challenge.name, value]) });
      return;
    }
    const number = request.to.uri.user ?? '';
    const contact = request.headers.get('Contact') ?? '';
    const expires = Math.min(Number(request.headers.get('Expires') ?? '3600'), options.maxExpires);
    if (expires === 0) {
      bindings.delete(number);
      incoming.reply(200);
      return;
    }
    bindings.set(number, { contact, callId: request.callId, cseq: request.cseq.seq });
    incoming.reply(200, undefined, { headers: [['Contact', `${contact};expires=${expires}`]] });
  });
  const endpoint = stack.listening()[0];
  if (!endpoint) throw new Error('carrier is not listening');
  return { stack, endpoint, bindings, registers, close: () => stack.close() };
}
