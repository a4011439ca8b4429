import { desc } from 'drizzle-orm';
import type { Executor } from './database.js';
import { callRecords } from './schema.js';

export interface CallRecordInput {
  readonly callId: string;
  readonly calling: string;
  readonly called: string;
  /** The number first dialled, when a forward or translation changed `called`. */
  readonly originalCalled: string | null;
  readonly setupAt: Date;
  /** Null for a call that was never answered. */
  readonly answerAt: Date | null;
  readonly endAt: Date;
  /** Why the call ended (Q.850 cause or CSTA cause name). */
  readonly cause: string;
}

export interface CallRecord extends CallRecordInput {
  readonly id: number;
  /** Connected time in whole seconds; 0 when unanswered. */
  readonly duration: number;
}

export const CALL_RECORD_LIST_MAX = 1000;

export class CallRecordRepository {
  constructor(private readonly db: Executor) {}

  async insert(record: CallRecordInput): Promise<CallRecord> {
    const [row] = await this.db
      .insert(callRecords)
      .values({ ...record, duration: connectedSeconds(record) })
      .returning();
    return row!;
  }

  /** The newest records first (by end time), at most `limit` (1–1000, default 100). */
  async list(limit = 100): Promise<CallRecord[]> {
    const bounded = Number.isInteger(limit) ? Math.min(Math.max(limit, 1), CALL_RECORD_LIST_MAX) : 100;
    return this.db
      .select()
      .from(callRecords)
      .orderBy(desc(callRecords.endAt), desc(callRecords.id))
      .limit(bounded);
  }
}

function connectedSeconds(record: CallRecordInput): number {
  if (record.answerAt === null) return 0;
  return Math.max(0, Math.floor((record.endAt.getTime() - record.answerAt.getTime()) / 1000));
}
