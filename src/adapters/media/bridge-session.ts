/**
 * The session descriptions of the conference bridge's own endpoints. The bridge mixes 8 kHz
 * linear audio, so a participant's leg carries G.711 (μ-law or A-law, whichever it offers first
 * of the two); anything else is refused with a 488 Warning (RFC 3261 §20.43). Offers and answers
 * follow RFC 3264: an answer has as many m-lines as the offer, the others declined with port 0.
 */
import type { MediaDescription } from '../../core/index.js';
import type { CodecSpec, EndpointSettings, RemoteAddress } from '../../media/index.js';
import { codecSpecs, type PayloadFormat, staticFormat } from './codecs.js';
import { audioLine, negotiateLine } from './negotiation.js';
import {
  type Direction,
  HOLD_ADDRESS,
  type LineToWrite,
  type MediaLine,
  readSession,
  writeSession,
} from './session-description.js';

const SDP = 'application/sdp';
/** RFC 3551 §4.5.14: 20 ms of G.711 per packet, the frame the mixer works on. */
const PTIME_MS = 20;
const G711_FORMATS: readonly PayloadFormat[] = [staticFormat(0)!, staticFormat(8)!];

/** Our side of one participant's session: one id, a version per new description (RFC 3264 §8). */
export interface BridgeSession {
  readonly sessionId: number;
  version: number;
}

/** What a participant's description asks of its endpoint. */
export interface ParticipantTerms {
  readonly settings: EndpointSettings & { codecs: CodecSpec[] };
  /** False when the participant holds the call (sendonly, inactive, RFC 3264 §8.4): it leaves the mix. */
  readonly listens: boolean;
}

export type OfferTerms =
  | {
      readonly ok: true;
      readonly terms: ParticipantTerms;
      /** The lines of the answer, the audio one still to be pointed at the endpoint. */
      readonly lines: readonly AnswerLine[];
    }
  | { readonly ok: false; readonly warning: string };

type AnswerLine = Omit<LineToWrite, 'port'> & { readonly port: number | 'endpoint' };

const ANSWER_DIRECTION: Record<Direction, Direction> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/** Reads a participant's offer: the G.711 format the bridge uses with it and where to send. */
export function readOffer(offer: MediaDescription, agent: string): OfferTerms {
  const session = readSession(offer);
  if (session === null) return { ok: false, warning: `399 ${agent} "Malformed session description"` };
  const index = audioLine(session.lines);
  const line = session.lines[index];
  if (line === undefined)
    return { ok: false, warning: `304 ${agent} "Media type not available: no RTP/AVP audio stream"` };
  // The mixer speaks G.711 only; no transcoding between laws, the participant's own law is used.
  const negotiated = negotiateLine(
    line,
    index,
    { codecs: ['PCMU', 'PCMA'], dtmfRelay: 'inband', transcode: false },
    agent,
  );
  if (!negotiated.ok) return { ok: false, warning: negotiated.warning };
  const formats = negotiated.formats.slice(0, 1);
  const lines = session.lines.map(
    (other, position): AnswerLine =>
      position === index
        ? {
            type: 'audio',
            port: 'endpoint',
            protocol: other.protocol,
            formats,
            direction: ANSWER_DIRECTION[other.direction],
            ptime: PTIME_MS,
          }
        : {
            type: other.type,
            port: 0,
            protocol: other.protocol,
            formats: [],
            formatList: other.formatList,
            direction: 'inactive',
          },
  );
  return { ok: true, terms: termsOf(line, formats), lines };
}

/** Reads the far end's answer to the bridge's own offer (a participant the bridge called). */
export function readAnswer(answer: MediaDescription): ParticipantTerms | undefined {
  const session = readSession(answer);
  const line = session?.lines[audioLine(session.lines)];
  if (line === undefined) return undefined;
  const formats = line.formats.filter((format) => format.codec === 'PCMU' || format.codec === 'PCMA');
  const first = formats[0];
  return first === undefined ? undefined : termsOf(line, [first]);
}

/** The answer to a participant's offer, pointing at the participant's endpoint. */
export function writeAnswer(
  lines: readonly AnswerLine[],
  session: BridgeSession,
  address: string,
  rtpPort: number,
): MediaDescription {
  session.version++;
  const written = lines.map(
    (line): LineToWrite => ({ ...line, port: line.port === 'endpoint' ? rtpPort : line.port }),
  );
  return { contentType: SDP, body: writeSession({ ...session, address, lines: written }) };
}

/** The bridge's offer to a participant it calls: either G.711 law, μ-law first. */
export function writeOffer(session: BridgeSession, address: string, rtpPort: number): MediaDescription {
  session.version++;
  const line: LineToWrite = {
    type: 'audio',
    port: rtpPort,
    protocol: 'RTP/AVP',
    formats: G711_FORMATS,
    direction: 'sendrecv',
    ptime: PTIME_MS,
  };
  return { contentType: SDP, body: writeSession({ ...session, address, lines: [line] }) };
}

function termsOf(line: MediaLine, formats: readonly PayloadFormat[]): ParticipantTerms {
  const listens = line.direction === 'sendrecv' || line.direction === 'recvonly';
  const remote: RemoteAddress | undefined =
    line.address === null || line.address === HOLD_ADDRESS || line.port === 0
      ? undefined
      : {
          address: line.address,
          port: line.port,
          ...(line.rtcp === null ? {} : { rtcpPort: line.rtcp.port }),
        };
  const codecs = codecSpecs(formats);
  return { settings: remote === undefined ? { codecs } : { codecs, remote }, listens };
}
