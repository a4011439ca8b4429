/** The SIP transport layer: UDP, TCP, TLS and WebSocket (RFC 3261 §18, RFC 7118). */

export { type FramerSink, type FramingFailure, StreamFramer } from './stream-framer.js';
export { createTransportLayer } from './transport-layer.js';
export * from './types.js';
export {
  encodeWsClose,
  encodeWsFrame,
  WsCloseCode,
  type WsDecoderOptions,
  WsFrameDecoder,
  type WsFrameSink,
  WsOpcode,
} from './ws-frame-codec.js';
