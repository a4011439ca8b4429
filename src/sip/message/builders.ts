/** Building requests (RFC 3261 §8.1.1) and responses (RFC 3261 §8.2.6). */
import { allIn, TOKEN } from './chars.js';
import { formatCSeq, MAX_CSEQ } from './cseq.js';
import { HeaderFields } from './headers.js';
import { generateTag } from './ids.js';
import { Request, Response } from './message.js';
import { formatNameAddr, parseNameAddr } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import type { CSeq, NameAddr, Result, SipHeaders, SipRequest, SipResponse, Uri, Via } from './types.js';
import { parseUri } from './uri.js';
import { formatVia } from './via.js';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export interface RequestInit {
  /** Case-sensitive method token (RFC 3261 §7.1). */
  method: string;
  uri: Uri | string;
  from: NameAddr | string;
  to: NameAddr | string;
  callId: string;
  /** The sequence number; the CSeq method is always `method` (RFC 3261 §8.1.1.5). */
  cseq: number | CSeq;
  /** Via values, top first; usually left out so that the transaction layer adds its own. */
  via?: readonly Via[];
  /** RFC 3261 §8.1.1.6: 70 by default. */
  maxForwards?: number;
  contact?: NameAddr | string;
  /** Further fields, in order, after the standard ones. */
  headers?: HeaderList;
  body?: Buffer | string;
  contentType?: string;
}

export interface ResponseOptions {
  /** To tag to add when the request's To has none and the status is above 100; random by default. */
  toTag?: string;
  headers?: HeaderList;
  body?: Buffer | string;
  contentType?: string;
}

/** RFC 3261 §8.1.1.6. */
const DEFAULT_MAX_FORWARDS = 70;

function orThrow<T>(result: Result<T>, what: string): T {
  if (result.ok) return result.value;
  throw new TypeError(`invalid ${what}: ${result.error.message}`);
}

function nameAddrText(value: NameAddr | string, what: string): string {
  return typeof value === 'string'
    ? formatNameAddr(orThrow(parseNameAddr(value), what))
    : formatNameAddr(value);
}

/** Shared by every message built without a body: no octet of it can be changed. */
const NO_BODY = Buffer.alloc(0);

function toBuffer(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return NO_BODY;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/**
 * The standard fields of a message being built, straight into the arrays a HeaderFields is made
 * of: the names are ours and written canonically, so only a value can be unfit, and only one
 * that did not come from a checked HeaderFields is checked (as HeaderFields.append would).
 */
class StandardFields {
  readonly names: string[] = [];
  readonly values: string[] = [];
  readonly keys: string[] = [];

  /** A value from a caller or formatted from a caller's object: CR or LF would inject a field. */
  add(name: string, key: string, value: string): void {
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      throw new TypeError(`SIP header ${name} value contains CR or LF`);
    }
    this.addChecked(name, key, value);
  }

  addChecked(name: string, key: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
    this.keys.push(key);
  }

  /** Every field of header `key` in `source`, in order, under the canonical `name`. */
  copy(source: HeaderFields, name: string, key: string): void {
    for (let i = 0; i < source.size; i++)
      if (source.keyAt(i) === key) this.addChecked(name, key, source.valueAt(i));
  }

  toHeaders(): HeaderFields {
    return new HeaderFields(this.names, this.values, this.keys);
  }
}

function appendExtras(
  headers: HeaderFields,
  extra: HeaderList | undefined,
  contentType: string | undefined,
): void {
  if (extra !== undefined) for (const [name, value] of extra) headers.append(name, value);
  if (contentType !== undefined) headers.set('Content-Type', contentType);
}

/**
 * Builds a request. String arguments are parsed; an invalid one (or a method that is not a
 * token, or a sequence number outside 0..2**32-1) is a programming error and throws TypeError.
 */
export function createRequest(init: RequestInit): SipRequest {
  if (init.method.length === 0 || !allIn(TOKEN, init.method)) {
    throw new TypeError(`invalid SIP method ${JSON.stringify(init.method)}`);
  }
  const uri = typeof init.uri === 'string' ? orThrow(parseUri(init.uri), 'Request-URI') : init.uri;
  const seq = typeof init.cseq === 'number' ? init.cseq : init.cseq.seq;
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_CSEQ) throw new TypeError(`invalid CSeq number ${seq}`);
  const fields = new StandardFields();
  if (init.via !== undefined) for (const via of init.via) fields.add('Via', 'via', formatVia(via));
  fields.add('Max-Forwards', 'max-forwards', String(init.maxForwards ?? DEFAULT_MAX_FORWARDS));
  fields.add('From', 'from', nameAddrText(init.from, 'From'));
  fields.add('To', 'to', nameAddrText(init.to, 'To'));
  fields.add('Call-ID', 'call-id', init.callId);
  fields.add('CSeq', 'cseq', formatCSeq({ seq, method: init.method }));
  if (init.contact !== undefined) fields.add('Contact', 'contact', nameAddrText(init.contact, 'Contact'));
  const headers = fields.toHeaders();
  appendExtras(headers, init.headers, init.contentType);
  return new Request(init.method, uri, 'SIP/2.0', headers, toBuffer(init.body));
}

/**
 * Builds a response to a request (RFC 3261 §8.2.6): every Via in order, From, To (with a tag
 * when the status is above 100 and the request's To has none, §8.2.6.2), Call-ID and CSeq; a
 * 100 Trying also copies Timestamp (§8.2.6.1). Record-Route is the dialog layer's business.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  options: ResponseOptions = {},
): SipResponse {
  return buildResponse(request.headers, hasTag(request.to), status, reason, options);
}

/**
 * Builds a response from the header fields of a request that failed to parse (for the
 * stateless 400 of RFC 3261 §8.2 / §16.3), copying what is there. Never throws for any
 * header content; a To that cannot be parsed is copied without a tag.
 */
export function createResponseFromHeaders(headers: SipHeaders, status: number, reason?: string): SipResponse {
  const to = headers.get('To');
  const parsedTo = to === undefined ? undefined : parseNameAddr(to);
  return buildResponse(headers, parsedTo?.ok ? hasTag(parsedTo.value) : true, status, reason, {});
}

/** A foreign SipHeaders as a HeaderFields, its values split as its `getAll` splits them. */
function asHeaderFields(source: SipHeaders): HeaderFields {
  const copy = new HeaderFields();
  const copyAll = (name: string) => {
    for (const value of source.getAll(name)) copy.append(name, value);
  };
  copyAll('Via');
  copyAll('From');
  // To is one name-addr, whose display name may hold a comma: never split.
  const to = source.get('To');
  if (to !== undefined) copy.append('To', to);
  copyAll('Call-ID');
  copyAll('CSeq');
  copyAll('Timestamp');
  return copy;
}

function hasTag(nameAddr: NameAddr): boolean {
  const tag = nameAddr.params.tag;
  return tag !== undefined && tag !== null;
}

function buildResponse(
  source: SipHeaders,
  toHasTag: boolean,
  status: number,
  reason: string | undefined,
  options: ResponseOptions,
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699)
    throw new TypeError(`invalid SIP status ${status}`);
  // The request's fields were checked on their way in (parsed, or set through HeaderFields).
  const request = source instanceof HeaderFields ? source : asHeaderFields(source);
  const fields = new StandardFields();
  fields.copy(request, 'Via', 'via');
  fields.copy(request, 'From', 'from');
  const to = request.get('To');
  if (to !== undefined) {
    if (status > 100 && !toHasTag) fields.add('To', 'to', `${to};tag=${options.toTag ?? generateTag()}`);
    else fields.addChecked('To', 'to', to);
  }
  fields.copy(request, 'Call-ID', 'call-id');
  fields.copy(request, 'CSeq', 'cseq');
  if (status === 100) fields.copy(request, 'Timestamp', 'timestamp');
  const headers = fields.toHeaders();
  appendExtras(headers, options.headers, options.contentType);
  return new Response(status, reason ?? reasonPhrase(status), 'SIP/2.0', headers, toBuffer(options.body));
}
