/**
 * Marketo's per-user call limits (reference §7), off unless a user's limits say otherwise:
 * calls per 20 s (20023), concurrent calls (20024), calls per day (20015, reset at midnight US
 * Central time as Marketo did). Counted in this process: with several processes behind a load
 * balancer each enforces the limits on its own share (README, Operations).
 */
import type { UserLimits } from "../api-users";
import { MarketoCodes, MarketoFault } from "./faults";

const WINDOW_MS = 20000;
const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Chicago", year: "numeric", month: "2-digit", day: "2-digit" });

interface UserState {
  recent: number[];
  inFlight: number;
  day: string;
  today: number;
}

export class CallLimiter {
  private readonly users = new Map<string, UserState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a call in, or throws the limit's fault. Call the returned function when the call ends. */
  acquire(userId: string, limits: UserLimits | undefined): () => void {
    if (!limits || (!limits.callsPer20Seconds && !limits.concurrentCalls && !limits.dailyQuota)) return () => undefined;
    const t = this.now();
    let s = this.users.get(userId);
    if (!s) this.users.set(userId, (s = { recent: [], inFlight: 0, day: "", today: 0 }));
    const day = dayOf.format(t);
    if (day !== s.day) {
      s.day = day;
      s.today = 0;
    }
    while (s.recent.length && s.recent[0] <= t - WINDOW_MS) s.recent.shift();
    if (limits.dailyQuota && s.today >= limits.dailyQuota) {
      throw new MarketoFault(MarketoCodes.requestLimitExceeded, `Number of calls today exceeded the quota of ${limits.dailyQuota}`);
    }
    if (limits.callsPer20Seconds && s.recent.length >= limits.callsPer20Seconds) {
      throw new MarketoFault(MarketoCodes.rateLimitExceeded, `The number of calls in the past 20 seconds was greater than ${limits.callsPer20Seconds}`);
    }
    if (limits.concurrentCalls && s.inFlight >= limits.concurrentCalls) {
      throw new MarketoFault(MarketoCodes.concurrencyLimitExceeded, `The number of concurrent calls was greater than ${limits.concurrentCalls}`);
    }
    s.recent.push(t);
    s.today++;
    s.inFlight++;
    const state = s;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inFlight--;
    };
  }
}
