/** request() over the targets a resolver gives, in order (RFC 3263 §4.3). */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  type Endpoint,
  generateCallId,
  type SipResolver,
  type SipStack,
  type Uri,
} from '../../../../src/sip/index.js';
import { freePort } from '../../../helpers/ports.js';
import { finalResponse, listenerOf, startStack, Waiter } from './helpers.js';

function options(): ReturnType<typeof createRequest> {
  return createRequest({
    method: 'OPTIONS',
    uri: 'sip:service@failover.example.com',
    from: '<sip:caller@127.0.0.1>;tag=failover',
    to: '<sip:service@failover.example.com>',
    callId: generateCallId(),
    cseq: 1,
  });
}

/** A resolver that answers every URI with the same targets and remembers what it was asked. */
function fixedResolver(targets: () => Endpoint[], asked: Uri[]): SipResolver {
  return {
    resolve: async (uri) => {
      asked.push(uri);
      return targets();
    },
  };
}

describe('request() failover', () => {
  const stacks: SipStack[] = [];

  afterEach(async () => {
    for (const stack of stacks.splice(0)) await stack.close();
  });

  async function server(status: number): Promise<{ stack: SipStack; seen: Waiter<string> }> {
    const stack = await startStack();
    stacks.push(stack);
    const seen = new Waiter<string>();
    stack.onRequest('OPTIONS', (incoming) => {
      seen.push(incoming.request.callId);
      incoming.reply(status);
    });
    return { stack, seen };
  }

  async function client(targets: () => Endpoint[], asked: Uri[]): Promise<SipStack> {
    const stack = await startStack({ resolver: fixedResolver(targets, asked) });
    stacks.push(stack);
    return stack;
  }

  it('goes on to the second target when the first refuses the TCP connection', async () => {
    const dead: Endpoint = { protocol: 'TCP', address: '127.0.0.1', port: await freePort('TCP') };
    const live = await server(200);
    const asked: Uri[] = [];
    const caller = await client(() => [dead, listenerOf(live.stack, 'UDP')], asked);
    const request = options();
    const response = await finalResponse(caller.request(request));
    expect(response.status).toBe(200);
    expect(await live.seen.next()).toBe(request.callId);
    expect(asked.map((uri) => uri.host)).toEqual(['failover.example.com']);
    // The attempt that reached the server carried one Via of its own, over UDP.
    expect(response.via).toHaveLength(1);
    expect(response.via[0]?.transport).toBe('UDP');
  });

  it('goes on to the second target when the first answers 503', async () => {
    const busy = await server(503);
    const live = await server(200);
    const caller = await client(() => [listenerOf(busy.stack, 'UDP'), listenerOf(live.stack, 'TCP')], []);
    const request = options();
    expect((await finalResponse(caller.request(request))).status).toBe(200);
    expect(await busy.seen.next()).toBe(request.callId);
    expect(await live.seen.next()).toBe(request.callId);
  });

  it('ends with 503 when every target fails, and when there is none', async () => {
    const dead: Endpoint = { protocol: 'TCP', address: '127.0.0.1', port: await freePort('TCP') };
    const caller = await client(() => [dead, dead], []);
    expect((await finalResponse(caller.request(options()))).status).toBe(503);
    const nowhere = await client(() => [], []);
    expect((await finalResponse(nowhere.request(options()))).status).toBe(503);
  });
});
