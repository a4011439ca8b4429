/** The message objects: start line, header fields, body, and cached typed views. */
import { parseCSeq } from './cseq.js';
import { HeaderFields } from './headers.js';
import { FROM_MARK, marksOf, TO_MARK, VIA_MARK } from './marks.js';
import { nameAddrFromMarks, parseNameAddr, parseNameAddrIn } from './name-addr.js';
import type { CSeq, NameAddr, Result, SipHeaders, SipRequest, SipResponse, Uri, Via } from './types.js';
import { formatUri, parseUri } from './uri.js';
import { parseViaList, parseViaListIn, viasFromMarks } from './via.js';

/** What the parser keeps of the received bytes, so an unchanged message serialises by copy. */
export interface ReceivedForm {
  /** The received octets; [start, end) is the message from the start line through the body, its Content-Length correct. */
  data: Buffer;
  start: number;
  end: number;
  startLine: string;
  headersVersion: number;
  body: Buffer;
}

/** Thrown by a typed view whose header a program set to an unparseable value (a programming error). */
function unwrap<T>(result: Result<T>, header: string): T {
  if (result.ok) return result.value;
  throw new TypeError(`${header} header is invalid: ${result.error.message}`);
}

abstract class MessageBase {
  version: string;
  headers: SipHeaders;
  body: Buffer;
  /** @internal */
  received: ReceivedForm | undefined;
  /**
   * Typed views of one version of the header fields, each parsed on its first read unless the
   * parser built it while checking it. They are emptied when the headers changed since.
   */
  #viewsOf: SipHeaders | undefined;
  #viewsVersion = -1;
  #via: readonly Via[] | undefined;
  /** The via-parms of the first Via field, when the parser built them. */
  #topVias: Via[] | undefined;
  /** The header block the parser recorded some views in, to build from its marks (see marks.ts). */
  #markedText: string | undefined;
  #from: NameAddr | undefined;
  #to: NameAddr | undefined;
  #callId: string | undefined;
  #cseq: CSeq | undefined;

  constructor(version: string, headers: SipHeaders, body: Buffer) {
    this.version = version;
    this.headers = headers;
    this.body = body;
  }

  /**
   * @internal The views the parser built from the headers as received, and the header block
   * it recorded the others in (see marks.ts), if any.
   */
  adoptViews(
    headers: HeaderFields,
    markedText: string | undefined,
    topVias: Via[] | undefined,
    from: NameAddr | undefined,
    to: NameAddr | undefined,
    callId: string,
    cseq: CSeq,
  ): void {
    this.#viewsOf = headers;
    this.#viewsVersion = headers.version;
    this.#markedText = markedText;
    this.#topVias = topVias;
    this.#from = from;
    this.#to = to;
    this.#callId = callId;
    this.#cseq = cseq;
  }

  /** Empties the views when the headers changed since they were read. */
  #checkViews(): void {
    const headers = this.headers;
    const version = headers instanceof HeaderFields ? headers.version : -1;
    if (this.#viewsOf === headers && this.#viewsVersion === version && version >= 0) return;
    this.#viewsOf = headers;
    this.#viewsVersion = version;
    this.#via = undefined;
    this.#topVias = undefined;
    this.#markedText = undefined;
    this.#from = undefined;
    this.#to = undefined;
    this.#callId = undefined;
    this.#cseq = undefined;
  }

  get via(): readonly Via[] {
    this.#checkViews();
    this.#via ??= this.#readVias();
    return this.#via;
  }

  #readVias(): Via[] {
    const headers = this.headers;
    if (!(headers instanceof HeaderFields)) {
      const vias: Via[] = [];
      for (const value of headers.getAll('Via')) vias.push(...unwrap(parseViaList(value), 'Via'));
      return vias;
    }
    // The parser built or recorded the first Via field: its via-parms start the list.
    const top = this.#topVias ?? this.#fromMarks(VIA_MARK, viasFromMarks);
    const vias = top ?? [];
    let skip = top !== undefined;
    for (let i = 0; i < headers.size; i++) {
      if (headers.keyAt(i) !== 'via') continue;
      if (skip) {
        skip = false;
        continue;
      }
      const parsed = parseViaListIn(headers.textOf(i), headers.valueStart(i), headers.valueEnd(i));
      for (const via of unwrap(parsed, 'Via')) vias.push(via);
    }
    return vias;
  }

  get from(): NameAddr {
    this.#checkViews();
    this.#from ??=
      this.#fromMarks(FROM_MARK, nameAddrFromMarks) ?? unwrap(nameAddrView(this.headers, 'From'), 'From');
    return this.#from;
  }

  get to(): NameAddr {
    this.#checkViews();
    this.#to ??=
      this.#fromMarks(TO_MARK, nameAddrFromMarks) ?? unwrap(nameAddrView(this.headers, 'To'), 'To');
    return this.#to;
  }

  /** The view the parser recorded under `head`, built from the marks while this message's header block owns them. */
  #fromMarks<T>(
    head: number,
    build: (text: string, marks: readonly number[], at: number) => T,
  ): T | undefined {
    const text = this.#markedText;
    const marks = text === undefined ? undefined : marksOf(text);
    const at = marks === undefined ? -1 : marks[head]!;
    return at < 0 ? undefined : build(text!, marks!, at);
  }

  get callId(): string {
    this.#checkViews();
    this.#callId ??= required(this.headers, 'Call-ID');
    return this.#callId;
  }

  get cseq(): CSeq {
    this.#checkViews();
    this.#cseq ??= unwrap(parseCSeq(required(this.headers, 'CSeq')), 'CSeq');
    return this.#cseq;
  }

  /** @internal Whether the header fields and body are as received. */
  headersAndBodyUnchanged(): ReceivedForm | undefined {
    const received = this.received;
    if (received === undefined || this.body !== received.body) return undefined;
    const headers = this.headers;
    if (!(headers instanceof HeaderFields) || headers.version !== received.headersVersion) return undefined;
    return received;
  }
}

/** The first field of a name-addr header, read in place when it has not been sliced out yet. */
function nameAddrView(headers: SipHeaders, name: string): Result<NameAddr> {
  if (!(headers instanceof HeaderFields)) return parseNameAddr(required(headers, name));
  const index = headers.indexOf(name);
  if (index < 0) throw new TypeError(`${name} header is missing`);
  return parseNameAddrIn(headers.textOf(index), headers.valueStart(index), headers.valueEnd(index));
}

function required(headers: SipHeaders, name: string): string {
  const value = headers.get(name);
  if (value === undefined) throw new TypeError(`${name} header is missing`);
  return value;
}

export class Request extends MessageBase implements SipRequest {
  readonly kind = 'request' as const;
  method: string;
  /** Undefined until first read when the request was parsed: built from `#receivedUri`. */
  #uri: Uri | undefined;
  /** Request-URI text as received, and its formatted form when first read (to detect edits). */
  #receivedUri: string | undefined;
  #uriSnapshot: string | undefined;

  /** `uri` may be left out only with `receivedUri`, which the parser has validated. */
  constructor(
    method: string,
    uri: Uri | undefined,
    version: string,
    headers: SipHeaders,
    body: Buffer,
    receivedUri?: string,
  ) {
    super(version, headers, body);
    this.method = method;
    this.#uri = uri;
    this.#receivedUri = receivedUri;
  }

  get uri(): Uri {
    let uri = this.#uri;
    if (uri === undefined) {
      uri = unwrap(parseUri(this.#receivedUri ?? ''), 'Request-URI');
      this.#uri = uri;
    }
    if (this.#receivedUri !== undefined && this.#uriSnapshot === undefined) {
      this.#uriSnapshot = formatUri(uri);
    }
    return uri;
  }

  set uri(uri: Uri) {
    this.#uri = uri;
    this.#receivedUri = undefined;
  }

  /** The Request-URI to write: as received when it was not changed in place. */
  uriText(): string {
    const received = this.#receivedUri;
    if (received !== undefined) {
      const snapshot = this.#uriSnapshot;
      if (snapshot === undefined) return received;
      const now = formatUri(this.uri);
      return now === snapshot ? received : now;
    }
    return formatUri(this.uri);
  }
}

export class Response extends MessageBase implements SipResponse {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(status: number, reason: string, version: string, headers: SipHeaders, body: Buffer) {
    super(version, headers, body);
    this.status = status;
    this.reason = reason;
  }
}
