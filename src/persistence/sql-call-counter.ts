/**
 * The call limits counted in PostgreSQL (migration 1764250015000), so that they hold across
 * every process of the database: one `acquire_api_call` statement per call of a limited user,
 * and with a concurrency limit one DELETE when it ends. Users without limits cost nothing here.
 */
import { randomUUID } from "node:crypto";
import type { CallAdmission, CallCounter, CallLimitName, CallLimits } from "../domain/call-limit-ports";

/** Counts the call in or names the limit it would break (see the migration). Called by SqlCallCounter.acquire. */
const ACQUIRE = `SELECT acquire_api_call($1, $2, $3, $4, $5, $6) AS refused`;
/** Ends a call in flight (its lease would end it otherwise). Called by the release SqlCallCounter.acquire hands out. */
const RELEASE = `DELETE FROM api_call_in_flight WHERE call_id = $1`;

const nothing = async (): Promise<void> => undefined;

export class SqlCallCounter implements CallCounter {
  constructor(
    /** The primary's pool (a DataSource; the bench passes a plain pg pool's query). */
    private readonly dataSource: { query(sql: string, params?: unknown[]): Promise<unknown> },
    /** A call in flight counts for at most this long (a process that died mid-call). */
    private readonly leaseMs: number,
    private readonly onReleaseError: (error: unknown) => void = () => undefined,
  ) {}

  async acquire(userId: string, limits: CallLimits): Promise<CallAdmission> {
    const callId = randomUUID();
    const rows = (await this.dataSource.query(ACQUIRE, [
      userId,
      callId,
      limits.callsPer20Seconds ?? null,
      limits.concurrentCalls ?? null,
      limits.dailyQuota ?? null,
      this.leaseMs,
    ])) as { refused: CallLimitName | null }[];
    const refused = rows[0]?.refused;
    if (refused) return { refused };
    if (!limits.concurrentCalls) return { release: nothing };
    return {
      release: async () => {
        try {
          await this.dataSource.query(RELEASE, [callId]);
        } catch (error) {
          // The answer is ready; the lease frees the slot if the database could not be told.
          this.onReleaseError(error);
        }
      },
    };
  }
}
