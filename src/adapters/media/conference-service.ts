/**
 * Ad hoc conferences over the engine's mixer (CME `max-conferences 12 gain -6`). Legs of anchored
 * calls join by call and leg id; the anchor lends their endpoints to the conference. When only two
 * parties are left the conference ends and they fall back to a plain call: their endpoints are
 * connected directly.
 */
import type { CoreLogger } from '../../core/index.js';
import { type MediaEngine, MediaError } from '../../media/index.js';
import type { MediaAnchor } from './media-anchor.js';

export interface ConferenceServiceOptions {
  engine: MediaEngine;
  anchor: MediaAnchor;
  /** Gain of every voice in the mix, in dB (CME `gain -6`). Default -6. */
  gainDb?: number;
  transcode?: boolean;
  logger?: CoreLogger;
}

export interface LegRef {
  callId: string;
  legId: string;
}

export type ConferenceResult<T = object> =
  | ({ ok: true } & T)
  | {
      ok: false;
      /** 'conference-limit' when `max-conferences` conferences are running already. */
      code: 'conference-limit' | 'no-such-conference' | 'no-such-leg' | 'failed';
      reason: string;
    };

export interface LeaveResult {
  /** Parties still in the conference (0 once it has ended). */
  remaining: number;
  /** The two parties connected directly when the conference fell back to a plain call. */
  fellBack: [LegRef, LegRef] | null;
}

export interface ConferenceService {
  create(): Promise<ConferenceResult<{ id: string }>>;
  join(conferenceId: string, leg: LegRef): Promise<ConferenceResult>;
  leave(conferenceId: string, leg: LegRef): Promise<ConferenceResult<LeaveResult>>;
  end(conferenceId: string): Promise<ConferenceResult>;
  members(conferenceId: string): LegRef[];
  close(): void;
}

interface Member extends LegRef {
  endpointId: string;
}

export function createConferenceService(options: ConferenceServiceOptions): ConferenceService {
  return new Conferences(options);
}

const key = (leg: LegRef) => `${leg.callId}\u0000${leg.legId}`;

class Conferences implements ConferenceService {
  private readonly conferences = new Map<string, Map<string, Member>>();
  private readonly stopListening: () => void;

  constructor(private readonly options: ConferenceServiceOptions) {
    // A party that hangs up leaves: the engine has already taken its endpoint out of the mix.
    this.stopListening = options.anchor.onLegReleased((callId, legId) => {
      for (const [id, members] of this.conferences)
        if (members.has(key({ callId, legId }))) void this.leave(id, { callId, legId });
    });
  }

  async create(): Promise<ConferenceResult<{ id: string }>> {
    try {
      const conference = await this.options.engine.createConference({ gainDb: this.options.gainDb ?? -6 });
      this.conferences.set(conference.id, new Map());
      return { ok: true, id: conference.id };
    } catch (error) {
      return failure(error);
    }
  }

  async join(conferenceId: string, leg: LegRef): Promise<ConferenceResult> {
    const members = this.conferences.get(conferenceId);
    if (!members) return { ok: false, code: 'no-such-conference', reason: `no conference ${conferenceId}` };
    if (members.has(key(leg))) return { ok: true };
    const endpointId = this.options.anchor.borrowEndpoint(leg.callId, leg.legId);
    if (!endpointId)
      return { ok: false, code: 'no-such-leg', reason: `no anchored leg ${leg.legId} in call ${leg.callId}` };
    try {
      await this.options.engine.join(conferenceId, endpointId);
      members.set(key(leg), { ...leg, endpointId });
      return { ok: true };
    } catch (error) {
      await this.options.anchor.returnEndpoint(leg.callId, leg.legId);
      return failure(error);
    }
  }

  async leave(conferenceId: string, leg: LegRef): Promise<ConferenceResult<LeaveResult>> {
    const members = this.conferences.get(conferenceId);
    if (!members) return { ok: false, code: 'no-such-conference', reason: `no conference ${conferenceId}` };
    const member = members.get(key(leg));
    if (!member)
      return { ok: false, code: 'no-such-leg', reason: `leg ${leg.legId} is not in ${conferenceId}` };
    members.delete(key(leg));
    try {
      await this.options.engine.leave(conferenceId, member.endpointId).catch(ignoreGone);
      await this.options.anchor.returnEndpoint(leg.callId, leg.legId);
      if (members.size > 2) return { ok: true, remaining: members.size, fellBack: null };
      const rest = [...members.values()];
      await this.finish(conferenceId, members);
      const [a, b] = rest;
      if (!a || !b) return { ok: true, remaining: 0, fellBack: null };
      // The last two talk on as a plain call, still owned by this service's link between them.
      await this.options.engine.connect(a.endpointId, b.endpointId, {
        transcode: this.options.transcode !== false,
      });
      const ref = (m: Member): LegRef => ({ callId: m.callId, legId: m.legId });
      return { ok: true, remaining: 0, fellBack: [ref(a), ref(b)] };
    } catch (error) {
      return failure(error);
    }
  }

  async end(conferenceId: string): Promise<ConferenceResult> {
    const members = this.conferences.get(conferenceId);
    if (!members) return { ok: false, code: 'no-such-conference', reason: `no conference ${conferenceId}` };
    try {
      const rest = [...members.values()];
      await this.finish(conferenceId, members);
      for (const member of rest) await this.options.anchor.returnEndpoint(member.callId, member.legId);
      return { ok: true };
    } catch (error) {
      return failure(error);
    }
  }

  members(conferenceId: string): LegRef[] {
    return [...(this.conferences.get(conferenceId)?.values() ?? [])].map((m) => ({
      callId: m.callId,
      legId: m.legId,
    }));
  }

  close(): void {
    this.stopListening();
  }

  private async finish(conferenceId: string, members: Map<string, Member>): Promise<void> {
    members.clear();
    this.conferences.delete(conferenceId);
    await this.options.engine.endConference(conferenceId).catch(ignoreGone);
  }
}

/** A conference or endpoint that vanished with its worker has nothing left to undo. */
function ignoreGone(error: unknown): void {
  if (
    error instanceof MediaError &&
    (error.code === 'no-such-conference' || error.code === 'no-such-endpoint')
  )
    return;
  throw error;
}

function failure(error: unknown): { ok: false; code: 'conference-limit' | 'failed'; reason: string } {
  if (error instanceof MediaError && error.code === 'conference-limit')
    return { ok: false, code: 'conference-limit', reason: error.message };
  return { ok: false, code: 'failed', reason: error instanceof Error ? error.message : String(error) };
}
