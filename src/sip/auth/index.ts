/** SIP Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760): header codec, server and client. */
export {
  DIGEST_ALGORITHMS_BY_STRENGTH,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
  type DigestResponseInput,
  digestHa1,
  digestResponse,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
export {
  type AuthorizationHeaders,
  type AuthorizeOptions,
  answerChallenge,
  authorizeRequest,
  type DigestAccount,
  type DigestAnswer,
  type DigestAnswerInput,
  DigestNonceCounter,
} from './digest-client.js';
export {
  type DigestChallenge,
  type DigestCredentials,
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestChallenge,
  parseDigestCredentials,
} from './digest-header.js';
export {
  createDigestServer,
  type DigestChallengeHeaders,
  type DigestChallengeOptions,
  type DigestLookup,
  type DigestRejection,
  type DigestSecret,
  type DigestServer,
  type DigestServerOptions,
  type DigestVerifyOptions,
  type DigestVerifyResult,
} from './digest-server.js';
export { ownedText } from './owned-text.js';
