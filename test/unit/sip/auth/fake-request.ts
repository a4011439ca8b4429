/**
 * A minimal SipRequest for auth tests: the auth module reads only method, uri, body and the
 * Authorization / Proxy-Authorization header values.
 */
import type { SipHeaders, SipRequest, Uri } from '../../../../src/sip/message/types.js';

export function sipUri(host: string, user?: string, params: Record<string, string | null> = {}): Uri {
  return { scheme: 'sip', host, params, headers: {}, ...(user === undefined ? {} : { user }) };
}

export function fakeRequest(
  method: string,
  uri: Uri,
  headers: ReadonlyArray<[string, string]>,
  body: Buffer = Buffer.alloc(0),
): SipRequest {
  const fields = headers.map(([name, value]) => ({ name, value }));
  const getAll = (name: string) =>
    fields.filter((field) => field.name.toLowerCase() === name.toLowerCase()).map((field) => field.value);
  const sipHeaders: Partial<SipHeaders> = {
    getAll,
    get: (name) => getAll(name)[0],
    has: (name) => getAll(name).length > 0,
    fields: () => fields,
  };
  const request: Partial<SipRequest> = {
    kind: 'request',
    method,
    uri,
    body,
    headers: sipHeaders as SipHeaders,
  };
  return request as SipRequest;
}
