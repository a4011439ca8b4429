import { and, asc, eq, lte } from 'drizzle-orm';
import type { Executor } from './database.js';
import { registrations } from './schema.js';

/** A registration binding (RFC 3261 §10.3) persisted so that a restart keeps it. */
export interface RegistrationBinding {
  readonly aor: string;
  readonly contactUri: string;
  /** Configured device the binding belongs to, when the registrar matched one. */
  readonly device: string | null;
  /** Directory number the AOR stands for, when it is a line. */
  readonly line: string | null;
  /** Path header values (RFC 3327 §5.3), in the order the registrar received them. */
  readonly path: readonly string[];
  readonly expiresAt: Date;
  /** `+sip.instance` (RFC 5626 §4.1). */
  readonly instanceId: string | null;
  readonly callId: string;
  readonly cseq: number;
  readonly userAgent: string | null;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly transport: string;
}

export class RegistrationRepository {
  constructor(private readonly db: Executor) {}

  /** Inserts the binding or replaces the one with the same AOR and contact URI. */
  async upsert(binding: RegistrationBinding): Promise<void> {
    const row = { ...binding, path: [...binding.path] };
    await this.db
      .insert(registrations)
      .values(row)
      .onConflictDoUpdate({ target: [registrations.aor, registrations.contactUri], set: row });
  }

  /** Removes one binding; true when it existed. */
  async delete(aor: string, contactUri: string): Promise<boolean> {
    const removed = await this.db
      .delete(registrations)
      .where(and(eq(registrations.aor, aor), eq(registrations.contactUri, contactUri)))
      .returning({ aor: registrations.aor });
    return removed.length > 0;
  }

  /** Removes every binding of an AOR (REGISTER with `Contact: *`, RFC 3261 §10.2.2); returns how many. */
  async deleteAor(aor: string): Promise<number> {
    const removed = await this.db
      .delete(registrations)
      .where(eq(registrations.aor, aor))
      .returning({ aor: registrations.aor });
    return removed.length;
  }

  /** Bindings of one AOR, or all bindings, ordered by AOR then contact. */
  async list(aor?: string): Promise<RegistrationBinding[]> {
    return this.db
      .select()
      .from(registrations)
      .where(aor === undefined ? undefined : eq(registrations.aor, aor))
      .orderBy(asc(registrations.aor), asc(registrations.contactUri));
  }

  /** Removes and returns the bindings whose expiry is at or before `now`. */
  async expire(now: Date): Promise<RegistrationBinding[]> {
    return this.db.delete(registrations).where(lte(registrations.expiresAt, now)).returning();
  }
}
