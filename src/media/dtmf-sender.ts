/**
 * Sends DTMF digits on an endpoint, one after another: as RFC 4733 telephone-events or as
 * in-band G.711 tones. While a digit goes out it owns the endpoint's outgoing stream, so relayed
 * audio pauses (RFC 4733 §2.5.1.2 lets the sender suppress audio during an event).
 */

import { FRAME_SAMPLES } from './frame-ticker.js';
import { encodeFrame, silenceCode } from './g711.js';
import { GeneratorClock } from './outgoing-stream.js';
import type { FrameProducer, RelayEndpoint } from './relay-endpoint.js';
import { allocateRtp, RTP_HEADER_LENGTH } from './rtp-packet.js';
import { eventForDigit, TELEPHONE_EVENT_LENGTH, writeTelephoneEvent } from './telephone-event.js';
import { dtmfTone } from './tone-generator.js';
import { type DtmfDigit, type DtmfMethod, MediaError } from './types.js';

export const MAX_QUEUED_DIGITS = 32;
/** Silence after an in-band digit, so the same digit twice is heard as two (Q.24 pause ≥ 40 ms). */
const INBAND_GAP_MS = 60;
/** §2.5.1.4: the final packet of an event is sent three times. */
const END_REPETITIONS = 3;
/** Volume field: the power of the tone the event stands for, as -dBm0 (§2.3.4). */
const EVENT_VOLUME = 10;

export interface DtmfJob {
  digit: DtmfDigit;
  durationMs: number;
  method: DtmfMethod;
  done(error?: MediaError): void;
}

interface ActiveJob extends DtmfJob {
  /** In-band: samples still to send; RFC 4733: unused. */
  samples: Int16Array | null;
  position: number;
  endsSent: number;
}

export class DtmfSender implements FrameProducer {
  private readonly queue: DtmfJob[] = [];
  private readonly clock = new GeneratorClock();
  private job: ActiveJob | null = null;

  /** False when the queue is full. */
  enqueue(job: DtmfJob): boolean {
    if (this.queue.length >= MAX_QUEUED_DIGITS) return false;
    this.queue.push(job);
    return true;
  }

  tick(endpoint: RelayEndpoint): boolean {
    if (!this.job) {
      const next = this.queue.shift();
      if (!next) return false;
      const samples =
        next.method === 'inband'
          ? concatSilence(dtmfTone(next.digit, next.durationMs), (INBAND_GAP_MS * 8000) / 1000)
          : null;
      this.job = { ...next, samples, position: 0, endsSent: 0 };
    }
    const job = this.job;
    const finished = job.method === 'inband' ? this.sendTone(endpoint, job) : this.sendEvent(endpoint, job);
    if (finished) {
      this.job = null;
      job.done();
      return this.queue.length > 0;
    }
    return true;
  }

  /** RFC 4733 §2.5.1: one timestamp for the whole event, growing duration, then the end bit. */
  private sendEvent(endpoint: RelayEndpoint, job: ActiveJob): boolean {
    const codec = endpoint.codecs.forName('telephone-event');
    if (!codec) {
      this.job = null;
      job.done(new MediaError('codec-unsupported', 'the leg no longer offers telephone-event'));
      return false;
    }
    const total = Math.min(0xffff, Math.round((job.durationMs * codec.clockRate) / 1000));
    const first = job.position === 0;
    job.position = Math.min(total, job.position + (codec.clockRate * 20) / 1000);
    const end = job.position >= total;
    const packet = allocateRtp(TELEPHONE_EVENT_LENGTH);
    writeTelephoneEvent(packet, RTP_HEADER_LENGTH, {
      event: eventForDigit(job.digit)!,
      end,
      volume: EVENT_VOLUME,
      duration: job.position,
    });
    endpoint.sendGenerated(packet, this.clock, codec.payloadType, first, null);
    this.clock.advance(0);
    if (!end) return false;
    job.endsSent++;
    if (job.endsSent < END_REPETITIONS) return false;
    // The audio after the event continues where the event's time ends.
    this.clock.timestamp = (this.clock.timestamp + total) >>> 0;
    return true;
  }

  private sendTone(endpoint: RelayEndpoint, job: ActiveJob): boolean {
    const codec = endpoint.codecs.g711;
    const samples = job.samples!;
    if (!codec?.law) {
      this.job = null;
      job.done(new MediaError('codec-unsupported', 'the leg no longer offers G.711'));
      return false;
    }
    const packet = allocateRtp(FRAME_SAMPLES);
    const frame = samples.subarray(job.position, job.position + FRAME_SAMPLES);
    packet.fill(silenceCode(codec.law), RTP_HEADER_LENGTH);
    encodeFrame(codec.law, frame, packet, RTP_HEADER_LENGTH);
    endpoint.sendGenerated(packet, this.clock, codec.payloadType, false, codec.law);
    this.clock.advance(FRAME_SAMPLES);
    job.position += FRAME_SAMPLES;
    return job.position >= samples.length;
  }

  stop(): void {
    const error = new MediaError('closed', 'DTMF sending stopped: the endpoint was released');
    if (this.job) this.job.done(error);
    for (const job of this.queue) job.done(error);
    this.job = null;
    this.queue.length = 0;
  }
}

function concatSilence(tone: Int16Array, silentSamples: number): Int16Array {
  const out = new Int16Array(tone.length + silentSamples);
  out.set(tone);
  return out;
}
