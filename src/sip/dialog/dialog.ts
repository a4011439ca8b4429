/**
 * Dialog state (RFC 3261 §12): what a UA remembers between requests of one peer-to-peer
 * relationship, and the rules for building and accepting requests inside it.
 */
import { ownedText } from '../auth/owned-text.js';
import { createRequest, formatNameAddr, formatUri, getRoutes, parseContacts } from '../message/index.js';
import type { NameAddr, SipRequest, SipResponse, Uri } from '../message/types.js';

export type DialogRole = 'uac' | 'uas';
export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export interface Dialog {
  readonly id: DialogId;
  readonly role: DialogRole;
  state: DialogState;
  /** The local party (From of our requests). */
  readonly localUri: NameAddr;
  /** The remote party (To of our requests). */
  readonly remoteUri: NameAddr;
  /** Where in-dialog requests go: the peer's Contact, updated by target refresh requests. */
  remoteTarget: Uri;
  /**
   * Route set, in the order it is put in Route headers of requests we send. Fixed once the
   * dialog is confirmed; the 2xx that confirms an early UAC dialog sets it anew (RFC 3261 §13.2.2.4).
   */
  routeSet: readonly NameAddr[];
  /** CSeq of the last request we sent in the dialog; undefined until we send one. */
  localSeq: number | undefined;
  /** CSeq of the last request received in the dialog; undefined until one arrives. */
  remoteSeq: number | undefined;
  readonly secure: boolean;
}

/**
 * The key of a dialog in maps that live as long as calls. Joined from an array it is one flat
 * string: a template literal would be a rope of slices keeping the whole head of the message
 * the Call-ID and tags were read from alive with it.
 */
export function dialogKey(id: DialogId): string {
  return [id.callId, id.localTag, id.remoteTag].join('\u0000');
}

/** What of our INVITE (or SUBSCRIBE, REFER) the dialogs its responses create are made from. */
export type DialogOrigin = Pick<SipRequest, 'callId' | 'from' | 'cseq' | 'uri'>;

/*
 * A dialog lasts as long as its call; a message it is made from, a moment. Every value parsed
 * from a received message is a slice of that message's head (see ownedText), so a dialog made
 * of the parsed values would keep the whole 180 or 200 it came from alive for the call, and for
 * the 64*T1 its INVITE waits for forks after it. A dialog therefore copies what it keeps of the
 * far end's messages; what comes from our own (a UAC's From, Call-ID, a UAS's To) is kept as is.
 */

/** V8 copies a substring shorter than this instead of slicing it (SlicedString::kMinLength). */
const SHORTEST_SLICE = 13;

function owned(text: string): string {
  return text.length < SHORTEST_SLICE ? text : ownedText(text);
}

/** Shared by every party and URI of a dialog without parameters (most of them); a dialog's URIs are never written to. */
const NO_PARAMS: Record<string, string | null> = Object.freeze({});
const NO_URI_HEADERS: Record<string, string> = Object.freeze({});

function ownedRecord<V extends string | null>(record: Record<string, V>, empty: Record<string, V>) {
  let copy: Record<string, V> | undefined;
  for (const name in record) {
    const value = record[name] as V;
    copy ??= {};
    copy[owned(name)] = value === null ? value : (owned(value) as V);
  }
  return copy ?? empty;
}

/**
 * Built as the parser builds a URI (the same fields, added in the same order), so that a
 * dialog's URIs share the hidden class of parsed ones and the code reading both stays
 * monomorphic.
 */
function ownedUri(uri: Uri): Uri {
  const copy: Uri = {
    scheme: owned(uri.scheme),
    host: owned(uri.host),
    params: ownedRecord(uri.params, NO_PARAMS),
    headers: ownedRecord(uri.headers, NO_URI_HEADERS),
  };
  if (uri.user !== undefined) copy.user = owned(uri.user);
  if (uri.password !== undefined) copy.password = owned(uri.password);
  if (uri.port !== undefined) copy.port = uri.port;
  if (uri.opaque !== undefined) copy.opaque = owned(uri.opaque);
  return copy;
}

/** As the parser builds a name-addr, for the same reason as ownedUri. */
function ownedNameAddr(party: NameAddr): NameAddr {
  const copy: NameAddr = { uri: ownedUri(party.uri), params: ownedRecord(party.params, NO_PARAMS) };
  if (party.displayName !== undefined) copy.displayName = owned(party.displayName);
  return copy;
}

function tagOf(party: NameAddr): string | undefined {
  const tag = party.params.tag;
  return typeof tag === 'string' && tag !== '' ? tag : undefined;
}

function contactTarget(message: SipRequest | SipResponse): Uri | undefined {
  const contacts = parseContacts(message);
  if (!contacts.ok) return undefined;
  const first = contacts.value[0];
  return first === undefined || first === '*' ? undefined : first.uri;
}

function recordRoute(message: SipRequest | SipResponse): NameAddr[] {
  const routes = getRoutes(message, 'record-route');
  return routes.ok ? routes.value.map(ownedNameAddr) : [];
}

/**
 * RFC 3261 §12.1.2: the UAC side of a dialog, from a 1xx (early) or 2xx (confirmed) response
 * with a To tag to our INVITE (or SUBSCRIBE / REFER). Returns undefined when the response
 * cannot create a dialog (no To tag, no Contact).
 */
export function createUacDialog(request: DialogOrigin, response: SipResponse): Dialog | undefined {
  const remoteTag = tagOf(response.to);
  const localTag = tagOf(request.from);
  const target = contactTarget(response);
  if (!remoteTag || !localTag || !target || response.status < 101 || response.status >= 300) return undefined;
  const remoteUri = ownedNameAddr(response.to);
  return {
    id: { callId: request.callId, localTag, remoteTag: tagOf(remoteUri) as string },
    role: 'uac',
    state: response.status >= 200 ? 'confirmed' : 'early',
    localUri: request.from,
    remoteUri,
    remoteTarget: ownedUri(target),
    // RFC 3261 12.1.2: the UAC takes Record-Route of the response in reverse order.
    routeSet: recordRoute(response).reverse(),
    localSeq: request.cseq.seq,
    remoteSeq: undefined,
    secure: request.uri.scheme === 'sips',
  };
}

/**
 * Whether answering the request could create a UAS dialog: it names a remote target in Contact
 * (RFC 3261 §8.1.1.8) and carries a From tag (§8.1.1.3).
 */
export function canCreateUasDialog(request: SipRequest): boolean {
  return tagOf(request.from) !== undefined && contactTarget(request) !== undefined;
}

/**
 * RFC 3261 §12.1.1: the UAS side of a dialog, created when we answer a dialog-creating request
 * with a 1xx or 2xx carrying our To tag.
 */
export function createUasDialog(request: SipRequest, response: SipResponse): Dialog | undefined {
  const localTag = tagOf(response.to);
  const remoteTag = tagOf(request.from);
  const target = contactTarget(request);
  if (!localTag || !remoteTag || !target || response.status < 101 || response.status >= 300) return undefined;
  const remoteUri = ownedNameAddr(request.from);
  return {
    id: { callId: owned(request.callId), localTag, remoteTag: tagOf(remoteUri) as string },
    role: 'uas',
    state: response.status >= 200 ? 'confirmed' : 'early',
    localUri: response.to,
    remoteUri,
    remoteTarget: ownedUri(target),
    // RFC 3261 12.1.1: the UAS keeps Record-Route of the request in order.
    routeSet: recordRoute(request),
    localSeq: undefined,
    remoteSeq: request.cseq.seq,
    secure: request.uri.scheme === 'sips',
  };
}

/** RFC 3261 §12.2.1.1 (and §22.2 for stateless CSeq): the next local CSeq of the dialog. */
export function nextLocalSeq(dialog: Dialog): number {
  // A UAS that has not sent a request yet starts from any value; 1 keeps traces readable.
  dialog.localSeq = dialog.localSeq === undefined ? 1 : dialog.localSeq + 1;
  return dialog.localSeq;
}

export interface InDialogRequestOptions {
  /** Extra headers, e.g. Content-Type, Contact for target refresh, Event, Refer-To. */
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
  contact?: NameAddr | string;
  /** For ACK and CANCEL (required): the CSeq number of the INVITE they belong to. */
  cseq?: number;
}

/**
 * The CSeq number of a request: ACK and CANCEL reuse their INVITE's (RFC 3261 §13.2.2.4, §9.1),
 * so a missing one is a programming error rather than a reason to consume a new number.
 */
function sequenceFor(dialog: Dialog, method: string, cseq: number | undefined): number {
  if (cseq !== undefined) return cseq;
  if (method === 'ACK' || method === 'CANCEL') {
    throw new TypeError(`${method} needs the CSeq number of the INVITE it belongs to`);
  }
  return nextLocalSeq(dialog);
}

/**
 * RFC 3261 §19.1.1 Table 1: a strict router's URI becomes the Request-URI without the method
 * parameter and URI headers, which a Request-URI may not carry. A copy: the route set stays as learnt.
 */
function strictRouterRequestUri(route: Uri): Uri {
  const { method: _method, ...params } = route.params;
  return { ...route, params, headers: {} };
}

/**
 * RFC 3261 §12.2.1.1: builds a request inside the dialog. Loose routing (`;lr` on the first
 * route) keeps the remote target as Request-URI; a strict router gets the Request-URI and the
 * remote target becomes the last Route.
 */
export function createInDialogRequest(
  dialog: Dialog,
  method: string,
  options: InDialogRequestOptions = {},
): SipRequest {
  const seq = sequenceFor(dialog, method, options.cseq);
  const first = dialog.routeSet[0];
  let requestUri: Uri = dialog.remoteTarget;
  let routes = dialog.routeSet.map(formatNameAddr);
  if (first && !('lr' in first.uri.params)) {
    requestUri = strictRouterRequestUri(first.uri);
    routes = [...dialog.routeSet.slice(1).map(formatNameAddr), `<${formatUri(dialog.remoteTarget)}>`];
  }
  const headers: [string, string][] = routes.map((route): [string, string] => ['Route', route]);
  if (options.headers) headers.push(...options.headers);
  return createRequest({
    method,
    uri: requestUri,
    from: dialog.localUri,
    to: dialog.remoteUri,
    callId: dialog.id.callId,
    cseq: seq,
    contact: options.contact,
    headers,
    body: options.body,
    contentType: options.contentType,
  });
}

export type InDialogVerdict = { accept: true } | { accept: false; status: number; reason: string };

/**
 * RFC 3261 §12.2.2: checks a request received in the dialog and updates the remote CSeq and,
 * for target refresh requests (re-INVITE, UPDATE: RFC 3311 §5.2), the remote target.
 */
export function receiveInDialogRequest(dialog: Dialog, request: SipRequest): InDialogVerdict {
  const seq = request.cseq.seq;
  // ACK and CANCEL carry the INVITE's CSeq number and do not advance the sequence.
  if (request.method !== 'ACK' && request.method !== 'CANCEL') {
    if (dialog.remoteSeq !== undefined && seq <= dialog.remoteSeq) {
      return { accept: false, status: 500, reason: 'CSeq Out of Order' };
    }
    dialog.remoteSeq = seq;
  }
  if (request.method === 'INVITE' || request.method === 'UPDATE') {
    const target = contactTarget(request);
    if (target) dialog.remoteTarget = ownedUri(target);
  }
  if (request.method === 'BYE') dialog.state = 'terminated';
  return { accept: true };
}

/**
 * A 2xx to our target refresh request (re-INVITE / UPDATE) also refreshes the remote target
 * (RFC 3261 §12.2.1.2); a 2xx to the initial INVITE confirms an early dialog and recomputes its
 * route set from the 2xx (RFC 3261 §13.2.2.4: the proxies that record-route may differ).
 */
export function receiveInDialogResponse(
  dialog: Dialog,
  request: Pick<SipRequest, 'method'>,
  response: SipResponse,
): void {
  if (response.status < 200 || response.status >= 300) {
    // RFC 3261 12.2.1.2: 481 and 408 to an in-dialog request end the dialog.
    if (response.status === 481 || response.status === 408) dialog.state = 'terminated';
    return;
  }
  if (request.method === 'INVITE' || request.method === 'UPDATE') {
    const target = contactTarget(response);
    if (target) dialog.remoteTarget = ownedUri(target);
    if (request.method === 'INVITE' && dialog.state === 'early') {
      dialog.state = 'confirmed';
      if (dialog.role === 'uac') dialog.routeSet = recordRoute(response).reverse();
    }
  }
  if (request.method === 'BYE') dialog.state = 'terminated';
}

/** The dialog a request received belongs to, from our point of view (To tag is ours). */
export function incomingDialogId(request: SipRequest): DialogId | undefined {
  const localTag = tagOf(request.to);
  const remoteTag = tagOf(request.from);
  if (!localTag || !remoteTag) return undefined;
  return { callId: request.callId, localTag, remoteTag };
}

/** The dialog a response received belongs to, from our point of view (From tag is ours). */
export function responseDialogId(response: SipResponse): DialogId | undefined {
  const localTag = tagOf(response.from);
  const remoteTag = tagOf(response.to);
  if (!localTag || !remoteTag) return undefined;
  return { callId: response.callId, localTag, remoteTag };
}
