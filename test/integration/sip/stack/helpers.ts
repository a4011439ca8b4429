/** Stacks on 127.0.0.1 ephemeral ports and the small steps every stack test repeats. */
import {
  createRequest,
  createSipStack,
  type Dialog,
  generateCallId,
  generateTag,
  type InviteResponse,
  type OutgoingInvite,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type SipStackOptions,
} from '../../../../src/sip/index.js';
import type { Endpoint, TransportProtocol } from '../../../../src/sip/transport/types.js';

/** Short T1 so that the 64*T1 waits of RFC 3261 §13.3.1.4 take seconds, not half a minute. */
export const TEST_TIMERS = { T1: 50 };

export function startStack(options: Partial<SipStackOptions> = {}): Promise<SipStack> {
  return createSipStack({
    transports: [
      { protocol: 'UDP', address: '127.0.0.1', port: 0 },
      { protocol: 'TCP', address: '127.0.0.1', port: 0 },
    ],
    timers: TEST_TIMERS,
    ...options,
  });
}

export function listenerOf(stack: SipStack, protocol: TransportProtocol): Endpoint {
  const endpoint = stack.listening().find((listener) => listener.protocol === protocol);
  if (endpoint === undefined) throw new Error(`no ${protocol} listener`);
  return endpoint;
}

/** A request from `caller` addressed to `callee`'s listener for `protocol`, outside any dialog. */
export function requestTo(
  caller: SipStack,
  callee: SipStack,
  method: string,
  protocol: TransportProtocol = 'UDP',
): SipRequest {
  const { port } = listenerOf(callee, protocol);
  const transport = protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`;
  return createRequest({
    method,
    uri: `sip:callee@127.0.0.1:${port}${transport}`,
    from: `<sip:caller@127.0.0.1>;tag=${generateTag()}`,
    to: '<sip:callee@127.0.0.1>',
    callId: generateCallId(),
    cseq: 1,
    contact: caller.contact(protocol, 'caller'),
  });
}

/** The final response of a request sent with `request()`. */
export async function finalResponse(responses: AsyncIterable<SipResponse>): Promise<SipResponse> {
  let last: SipResponse | undefined;
  for await (const response of responses) last = response;
  if (last === undefined) throw new Error('no response at all');
  return last;
}

/** Reads an INVITE's responses up to the first final one. */
export async function untilFinal(
  call: OutgoingInvite,
  onProvisional: (response: InviteResponse) => void = () => {},
): Promise<InviteResponse[]> {
  const seen: InviteResponse[] = [];
  for await (const answer of call) {
    seen.push(answer);
    if (answer.response.status >= 200) break;
    onProvisional(answer);
  }
  return seen;
}

/** The dialog a final 2xx created, or a failure that names what came instead. */
export function answeredDialog(seen: InviteResponse[]): Dialog {
  const final = seen.at(-1);
  if (final?.dialog === undefined || final.response.status >= 300) {
    throw new Error(`call not answered: ${seen.map((answer) => answer.response.status).join(' ')}`);
  }
  return final.dialog;
}

/** Resolves with the first value `take` returns for an item, for events pushed by handlers. */
export class Waiter<T> {
  private readonly items: T[] = [];
  private readonly waiting: Array<{ take: (item: T) => boolean; resolve: (item: T) => void }> = [];

  push(item: T): void {
    const index = this.waiting.findIndex((waiter) => waiter.take(item));
    const waiter = index >= 0 ? this.waiting.splice(index, 1)[0] : undefined;
    if (waiter) waiter.resolve(item);
    else this.items.push(item);
  }

  next(take: (item: T) => boolean = () => true): Promise<T> {
    const index = this.items.findIndex(take);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0] as T);
    return new Promise((resolve) => this.waiting.push({ take, resolve }));
  }
}

/** Polls a condition that another process settles, up to a generous bound. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}
