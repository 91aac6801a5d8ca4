/**
 * Marketo's per-user call limits (reference §7), off unless a user's limits say otherwise:
 * calls per 20 s (20023), concurrent calls (20024), calls per day (20015, reset at midnight US
 * Central time as Marketo did). Where they are counted is a CallCounter: PostgreSQL for every
 * process of the database (persistence/sql-call-counter.ts), or this process's memory for the
 * embedded database, which is one process's.
 */
import type { CallCounter, CallLimits, CallAdmission, CallLimitName } from "../domain/call-limit-ports";
import { MarketoCodes, MarketoFault } from "./faults";

const WINDOW_MS = 20000;
const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Chicago", year: "numeric", month: "2-digit", day: "2-digit" });

const noop = async (): Promise<void> => undefined;

export class CallLimiter {
  constructor(private readonly counter: CallCounter = new MemoryCallCounter()) {}

  /** Counts a call in, or throws the limit's fault. Call (and await) the returned function when the call ends. */
  async acquire(userId: string, limits: CallLimits | undefined): Promise<() => Promise<void>> {
    if (!limits || (!limits.callsPer20Seconds && !limits.concurrentCalls && !limits.dailyQuota)) return noop;
    const admission = await this.counter.acquire(userId, limits);
    if ("refused" in admission) throw faultOf(admission.refused, limits);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await admission.release();
    };
  }
}

function faultOf(limit: CallLimitName, limits: CallLimits): MarketoFault {
  switch (limit) {
    case "dailyQuota":
      return new MarketoFault(MarketoCodes.requestLimitExceeded, `Number of calls today exceeded the quota of ${limits.dailyQuota}`);
    case "callsPer20Seconds":
      return new MarketoFault(MarketoCodes.rateLimitExceeded, `The number of calls in the past 20 seconds was greater than ${limits.callsPer20Seconds}`);
    case "concurrentCalls":
      return new MarketoFault(MarketoCodes.concurrencyLimitExceeded, `The number of concurrent calls was greater than ${limits.concurrentCalls}`);
  }
}

interface UserState {
  recent: number[];
  inFlight: number;
  day: string;
  today: number;
}

/** The limits counted in this process (the embedded database; the unit tests). */
export class MemoryCallCounter implements CallCounter {
  private readonly users = new Map<string, UserState>();

  constructor(private readonly now: () => number = Date.now) {}

  acquire(userId: string, limits: CallLimits): Promise<CallAdmission> {
    const t = this.now();
    let s = this.users.get(userId);
    if (!s) this.users.set(userId, (s = { recent: [], inFlight: 0, day: "", today: 0 }));
    const day = dayOf.format(t);
    if (day !== s.day) {
      s.day = day;
      s.today = 0;
    }
    while (s.recent.length && s.recent[0] <= t - WINDOW_MS) s.recent.shift();
    if (limits.dailyQuota && s.today >= limits.dailyQuota) return Promise.resolve({ refused: "dailyQuota" });
    if (limits.callsPer20Seconds && s.recent.length >= limits.callsPer20Seconds) return Promise.resolve({ refused: "callsPer20Seconds" });
    if (limits.concurrentCalls && s.inFlight >= limits.concurrentCalls) return Promise.resolve({ refused: "concurrentCalls" });
    s.recent.push(t);
    s.today++;
    s.inFlight++;
    const state = s;
    return Promise.resolve({
      release: async () => {
        state.inFlight--;
      },
    });
  }
}
