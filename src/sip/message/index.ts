/**
 * The SIP message layer (RFC 3261 §7, §19, §20, §25): parser, model, serialiser and builders.
 * Every parse function returns a Result and never throws.
 */

export {
  createRequest,
  createResponse,
  createResponseFromHeaders,
  type HeaderList,
  type RequestInit,
  type ResponseOptions,
} from './builders.js';
export { formatCSeq, MAX_CSEQ, parseCSeq } from './cseq.js';
export { quoteString, unquote } from './escape.js';
export { canonicalName, headerKey } from './header-names.js';
export { HeaderFields } from './headers.js';
export { BRANCH_MAGIC_COOKIE, generateBranch, generateCallId, generateTag } from './ids.js';
export { getRoutes, parseContacts } from './lists.js';
export { formatNameAddr, parseNameAddr } from './name-addr.js';
export { formatParams, type Params, parseParams, splitCommaList } from './params.js';
export { DEFAULT_MAX_MESSAGE_SIZE, type ParseOptions, parseMessage } from './parser.js';
export { reasonPhrase } from './reason-phrases.js';
export { checkRequestSemantics, type Rejection, type SemanticsOptions } from './semantics.js';
export { serializeMessage } from './serializer.js';
export type {
  Contact,
  CSeq,
  NameAddr,
  ParseFailure,
  Result,
  SipHeaders,
  SipMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  Uri,
  Via,
} from './types.js';
export { formatUri, parseUri } from './uri.js';
export { formatVia, parseVia, parseViaList } from './via.js';
/** The SIP methods of RFC 3261 and its common extensions. */
export { METHODS as KNOWN_METHODS } from './words.js';
