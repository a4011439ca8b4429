/**
 * The media adapter: anchors the media of B2BUA calls in Strowger's RTP engine. SDP rewriting and
 * codec negotiation, hold with MOH, DTMF interworking between RTP events, tones, SIP INFO and
 * Cisco NOTIFY, conferences and recording. The SIP legs call it; it knows no SIP dialog.
 */
export { ALL_AUDIO_CODECS, type AudioCodec, type PayloadFormat } from './codecs.js';
export {
  type BridgeFailureCode,
  type BridgeResult,
  CONFERENCE_BRIDGE,
  type ConferenceBridge,
  type ConferenceBridgeOptions,
  type ConferenceReach,
  createConferenceBridge,
  type ParticipantState,
  type ParticipantView,
  type RoomView,
} from './conference-bridge.js';
export {
  DEFAULT_DURATION_MS,
  type DtmfMessage,
  type InfoFormat,
  infoMessage,
  NOTIFY_MAX_DURATION_MS,
  notifyCallInfo,
  notifyMessage,
  readInfo,
  readNotify,
  type SignalledDigit,
} from './dtmf-bodies.js';
export { type DtmfAction, dtmfAction } from './dtmf-interworking.js';
export {
  type AnchorResult,
  type Announcement,
  type AnnounceOutcome,
  createMediaAnchor,
  type EndpointOwner,
  type HandedOverLeg,
  type HoldOutcome,
  type LegPolicy,
  type MediaAnchor,
  type MediaAnchorOptions,
  type MediaTimeout,
  type OfferPolicy,
  type Outcome,
  type RingbackOutcome,
} from './media-anchor.js';
export { type DtmfRelay, type Negotiation, type NegotiationPolicy, negotiate } from './negotiation.js';
export {
  createRecordingService,
  type RecordingService,
  type RecordingServiceOptions,
} from './recording-service.js';
