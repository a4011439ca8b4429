/**
 * A stand-in for the SIP stack as the trunk adapter uses it: requests are recorded and the test
 * answers each one, so that every timer can run on a FakeClock.
 */
import {
  createResponse,
  type Endpoint,
  type HeaderList,
  type NameAddr,
  type SipRequest,
  type SipResolver,
  type SipResponse,
  type SipStack,
  type TransportProtocol,
} from '../../../../src/sip/index.js';

export interface SentRequest {
  readonly request: SipRequest;
  readonly target: Endpoint | undefined;
  /** Sends the final response; returns it. */
  respond(status: number, headers?: HeaderList): SipResponse;
  readonly answered: boolean;
}

export const OUR_ADDRESS = '192.0.2.1';

export class FakeStack implements Pick<SipStack, 'request' | 'contact' | 'listening'> {
  readonly sent: SentRequest[] = [];

  request(request: SipRequest, options?: { target?: Endpoint }): AsyncIterable<SipResponse> {
    let deliver!: (response: SipResponse) => void;
    const final = new Promise<SipResponse>((resolve) => {
      deliver = resolve;
    });
    const entry = {
      request,
      target: options?.target,
      answered: false,
      respond(status: number, headers?: HeaderList) {
        if (entry.answered) throw new Error('request answered twice');
        entry.answered = true;
        const response = createResponse(request, status, undefined, { headers });
        deliver(response);
        return response;
      },
    };
    this.sent.push(entry);
    return {
      async *[Symbol.asyncIterator]() {
        yield await final;
      },
    };
  }

  contact(protocol: TransportProtocol = 'UDP', user?: string): NameAddr {
    return {
      uri: {
        scheme: 'sip',
        host: OUR_ADDRESS,
        port: 5060,
        // As the stack does: UDP is the default transport, others are named.
        params: protocol === 'UDP' ? {} : { transport: protocol.toLowerCase() },
        headers: {},
        ...(user ? { user } : {}),
      },
      params: {},
    };
  }

  listening(): Endpoint[] {
    return [{ protocol: 'UDP', address: OUR_ADDRESS, port: 5060 }];
  }

  /** Requests of one method not answered yet. */
  pending(method: string): SentRequest[] {
    return this.sent.filter((entry) => !entry.answered && entry.request.method === method);
  }

  /** The only unanswered request of a method; fails the test when there is not exactly one. */
  next(method: string): SentRequest {
    const pending = this.pending(method);
    if (pending.length !== 1) throw new Error(`expected one pending ${method}, found ${pending.length}`);
    return pending[0]!;
  }
}

export function fixedResolver(...lists: Endpoint[][]): SipResolver & { calls: number } {
  const resolver = {
    calls: 0,
    async resolve() {
      const list = lists[Math.min(resolver.calls, lists.length - 1)] ?? [];
      resolver.calls++;
      return list;
    },
  };
  return resolver;
}

export function udp(address: string, port = 5060): Endpoint {
  return { protocol: 'UDP', address, port };
}

/** Lets every promise chain waiting on answered requests run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
