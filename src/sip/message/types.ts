/**
 * The SIP message model (RFC 3261 §7, §20, §25). This file is the contract between the parser,
 * the transports, the transaction layer and the dialog layer: change it only with all of them.
 */

/** A parse failure names the RFC 3261 §25 rule (or §20 header rule) that broke. Parsing never throws. */
export interface SipParseError {
  /** ABNF rule or check that failed, e.g. 'Request-Line', 'SIP-Version', 'Via', 'CSeq', 'Content-Length'. */
  rule: string;
  /** One human sentence, safe to log (no raw bytes beyond a short excerpt). */
  message: string;
  /** Header field the error is in, canonical long lower-case name, when it is in one. */
  header?: string;
  /** Byte offset in the datagram / stream message where the problem was found, when known. */
  offset?: number;
}

export type Result<T, E = SipParseError> = { ok: true; value: T } | { ok: false; error: E };

/**
 * sip:, sips:, tel: and any other absoluteURI (RFC 3261 §19.1, RFC 3966). `user` and `password`
 * are unescaped (`%41` → `A`); `host` keeps IPv6 brackets (`[2001:db8::1]`) and is lower-cased.
 * For schemes other than sip/sips/tel the text after the colon is in `opaque` and host is ''.
 * For tel: the number is in `user` and host is ''.
 */
export interface Uri {
  scheme: string; // lower-case
  user?: string;
  password?: string;
  host: string;
  port?: number;
  /** uri-parameters; names lower-cased, values unescaped; `null` for a parameter without value (`;lr`). */
  params: Record<string, string | null>;
  /** URI headers after `?`, unescaped. */
  headers: Record<string, string>;
  opaque?: string;
}

/** A Via header field value (one hop). RFC 3261 §20.42, RFC 3581. */
export interface Via {
  /** 'SIP/2.0' */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, WSS or another token. */
  transport: string;
  host: string;
  port?: number;
  /** Parameters other than branch/received/rport, names lower-cased. */
  params: Record<string, string | null>;
  branch?: string;
  received?: string;
  /** RFC 3581: `true` when `rport` is present without value (a request asking for it), a number when filled. */
  rport?: number | true;
}

/** name-addr / addr-spec with header parameters (From, To, Contact, Route, Record-Route, …). */
export interface NameAddr {
  /** Display name, unquoted and unescaped; undefined when absent. */
  displayName?: string;
  uri: Uri;
  /** Header parameters (after the URI), names lower-cased. `tag` is among them. */
  params: Record<string, string | null>;
}

/** Contact may be the wildcard `*` (REGISTER removal). */
export type Contact = NameAddr | '*';

export interface CSeq {
  seq: number;
  method: string;
}

/**
 * Header fields in the order received. Names compare case-insensitively and compact forms
 * (i, m, e, l, c, f, s, k, t, v, o, u, r, b, x, y, a) are the same header as their long names.
 * Values are unfolded (RFC 3261 §7.3.1) and trimmed; otherwise kept byte-exact so that unknown
 * headers are forwarded unchanged.
 */
export interface SipHeaders {
  /** First field value of the header, undefined when absent. */
  get(name: string): string | undefined;
  /**
   * Every value of the header: one per field, and comma-joined values split into separate
   * entries (quotes and <…> respected) except for headers whose grammar is not a comma list
   * (WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization, Date, …).
   */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replaces every field of the header with one field. */
  set(name: string, value: string): void;
  /** Adds a field after the last one (or at the end). */
  append(name: string, value: string): void;
  /** Adds a field before the first one of that header (for Via, Record-Route). */
  prepend(name: string, value: string): void;
  /** Replaces the value of the first field of that header (e.g. the top Via). Returns whether there was one. */
  replaceFirst(name: string, value: string): boolean;
  /** Removes the first field of that header (e.g. the top Via on a response). Returns whether one was removed. */
  removeFirst(name: string): boolean;
  remove(name: string): void;
  /** All fields in order, with names as written. */
  fields(): ReadonlyArray<{ name: string; value: string }>;
  clone(): SipHeaders;
}

interface SipMessageBase {
  /** 'SIP/2.0' */
  version: string;
  headers: SipHeaders;
  body: Buffer;
  /**
   * Typed views of the headers every layer needs. Validated by the parser for received
   * messages (a message missing one of them is a parse error), parsed once and cached; a
   * change through `headers` to the header is seen on the next read.
   */
  readonly via: readonly Via[]; // every Via, top first
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly callId: string;
  readonly cseq: CSeq;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  method: string; // case-sensitive per RFC 3261 §7.1
  uri: Uri;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * What the parser salvages from a message it rejects, so that a stateless 400 can still be
 * answered (RFC 3261 §8.2, §16.3): present when the start line was a request line and the
 * header block could be split into fields.
 */
export interface ParseFailure extends SipParseError {
  isRequest?: boolean;
  headers?: SipHeaders;
}
