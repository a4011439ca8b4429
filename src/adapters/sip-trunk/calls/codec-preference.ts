/**
 * A trunk's codec preference (`voice class codec`: `codec preference 1 g711ulaw` …) applied to
 * an SDP offer: the audio formats are filtered to the list and reordered by it (RFC 3264 §5.1:
 * the order of formats is the offerer's preference), RFC 4733 telephone-events are kept for
 * DTMF relay. An offer with nothing in common cannot go over the trunk.
 */
import { parse, write } from 'sdp-transform';
import type { MediaDescription } from '../../../core/index.js';

/** IOS codec names and the RTP encoding names (RFC 3551 §6) they stand for. */
const ENCODINGS: Readonly<Record<string, string>> = {
  g711ulaw: 'PCMU',
  g711alaw: 'PCMA',
  g722: 'G722',
  g729: 'G729',
};

/** RFC 3551 §6 static payload types an offer may use without an rtpmap. */
const STATIC_PAYLOADS: Readonly<Record<number, string>> = { 0: 'PCMU', 8: 'PCMA', 9: 'G722', 18: 'G729' };

/** Kept whatever the preference: DTMF relay as RFC 4733 events (R-TRUNK-27). */
const ALWAYS_KEPT = 'TELEPHONE-EVENT';

/** SDP bodies are a few hundred bytes; anything huge is not worth parsing. */
const MAX_SDP_BYTES = 16_384;

export type CodecPreferenceResult =
  | { readonly ok: true; readonly media: MediaDescription | undefined }
  /** No audio format of the offer is in the list. */
  | { readonly ok: false };

/** The encoding names of a preference list, unknown codec names left out. */
export function encodingsOf(codecs: readonly string[] | undefined): readonly string[] {
  const names: string[] = [];
  for (const codec of codecs ?? []) {
    const encoding = typeof codec === 'string' ? ENCODINGS[codec.toLowerCase()] : undefined;
    if (encoding !== undefined && !names.includes(encoding)) names.push(encoding);
  }
  return names;
}

/**
 * The offer with its audio formats filtered and ordered by `preference` (encoding names). No
 * preference, no body, or a body that is not SDP: the offer as it is.
 */
export function applyCodecPreference(
  media: MediaDescription | undefined,
  preference: readonly string[],
): CodecPreferenceResult {
  if (media === undefined || preference.length === 0) return { ok: true, media };
  if (!media.contentType.toLowerCase().startsWith('application/sdp') || media.body.length > MAX_SDP_BYTES)
    return { ok: true, media };
  let session: ReturnType<typeof parse>;
  try {
    session = parse(media.body.toString('utf8'));
  } catch {
    return { ok: true, media };
  }
  let audioLines = 0;
  let usable = 0;
  for (const line of session.media ?? []) {
    if (line.type !== 'audio' || line.port === 0) continue;
    audioLines++;
    if (reorder(line, preference)) usable++;
  }
  if (audioLines > 0 && usable === 0) return { ok: false };
  return { ok: true, media: { contentType: media.contentType, body: Buffer.from(write(session)) } };
}

type MediaLine = NonNullable<ReturnType<typeof parse>['media']>[number];

/** Filters one m-line in place; false (and port 0, RFC 3264 §6) when nothing in it is wanted. */
function reorder(line: MediaLine, preference: readonly string[]): boolean {
  const payloads = String(line.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((payload) => /^[0-9]{1,3}$/.test(payload))
    .map(Number);
  const encodingOf = (payload: number) =>
    (line.rtp.find((rtp) => rtp.payload === payload)?.codec ?? STATIC_PAYLOADS[payload] ?? '').toUpperCase();
  const kept: number[] = [];
  for (const wanted of preference)
    for (const payload of payloads)
      if (encodingOf(payload) === wanted && !kept.includes(payload)) kept.push(payload);
  if (kept.length === 0) {
    // The m-line stays, refused, with a format so that it is still well formed (RFC 4566 §5.14).
    line.port = 0;
    return false;
  }
  for (const payload of payloads) if (encodingOf(payload) === ALWAYS_KEPT) kept.push(payload);
  line.payloads = kept.join(' ');
  line.rtp = line.rtp.filter((rtp) => kept.includes(rtp.payload));
  if (line.fmtp) line.fmtp = line.fmtp.filter((fmtp) => kept.includes(fmtp.payload));
  if (line.rtcpFb) line.rtcpFb = line.rtcpFb.filter((feedback) => kept.includes(Number(feedback.payload)));
  return true;
}
