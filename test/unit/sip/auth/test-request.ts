/** Requests for the auth tests, built with the real message layer. */
import { createRequest } from '../../../../src/sip/message/index.js';
import type { SipRequest, Uri } from '../../../../src/sip/message/types.js';

export function sipUri(host: string, user?: string, params: Record<string, string | null> = {}): Uri {
  return { scheme: 'sip', host, params, headers: {}, ...(user === undefined ? {} : { user }) };
}

export function testRequest(
  method: string,
  uri: Uri,
  headers: ReadonlyArray<readonly [string, string]>,
  body?: Buffer,
): SipRequest {
  return createRequest({
    method,
    uri,
    from: '<sip:alice@strowger.example>;tag=1928301774',
    to: '<sip:alice@strowger.example>',
    callId: 'a84b4c76e66710@pc33.strowger.example',
    cseq: 1,
    headers,
    body,
  });
}
