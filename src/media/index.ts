/**
 * Strowger's media plane: an RTP/RTCP engine in worker threads. Relay endpoints with latching
 * and stream continuity, G.711 transcoding, RFC 4733 and in-band DTMF, file and tone players,
 * a conference mixer and a recorder. It knows nothing about SIP: adapters allocate endpoints,
 * put their addresses in SDP, and connect legs.
 */
export { decodeAudioFile } from './audio-file.js';
export type { Clock, TimerHandle } from './clock.js';
export {
  ALAW_DECODE,
  decodeFrame,
  decodeSample,
  encodeFrame,
  encodeSample,
  type G711Law,
  silenceCode,
  transcodeInPlace,
  ULAW_DECODE,
} from './g711.js';
export {
  type Conference,
  type ConferenceOptions,
  type ConnectOptions,
  createMediaEngine,
  type EngineStats,
  type MediaEngine,
  type MediaEngineOptions,
  type MediaLogger,
} from './media-engine.js';
export { buildRtcpReport, type RtcpReport, validateRtcp } from './rtcp.js';
export {
  emptyRtpHeader,
  parseRtp,
  type RtpHeader,
  type RtpPacketFields,
  type RtpParseError,
  serializeRtp,
} from './rtp-packet.js';
export { digitForEvent, eventForDigit, isDtmfDigit } from './telephone-event.js';
export * from './types.js';
export { encodeWav } from './wav-writer.js';
