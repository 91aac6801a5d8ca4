/**
 * Where Marketo's per-user call limits are counted (SPEC §5, issue 15): in this process's
 * memory (the embedded database, one process) or in PostgreSQL, shared by every process of the
 * database. The SOAP layer turns a refusal into its fault (20023, 20024, 20015).
 */

/** A user's limits; an absent one is off. */
export interface CallLimits {
  readonly callsPer20Seconds?: number;
  readonly concurrentCalls?: number;
  readonly dailyQuota?: number;
}

export type CallLimitName = "callsPer20Seconds" | "concurrentCalls" | "dailyQuota";

export type CallAdmission = { readonly refused: CallLimitName } | { readonly release: () => Promise<void> };

export interface CallCounter {
  /**
   * Counts one call of the user in and hands back its release (call it when the call ends), or
   * names the limit the call would break and counts nothing. Limits are checked in the order
   * daily quota, calls per 20 s, concurrent calls.
   */
  acquire(userId: string, limits: CallLimits): Promise<CallAdmission>;
}
