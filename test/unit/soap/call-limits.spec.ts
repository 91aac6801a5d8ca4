import { CallLimiter } from "../../../src/soap/call-limits";
import { MarketoFault } from "../../../src/soap/faults";

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof MarketoFault ? e.code : -1;
  }
}

describe("CallLimiter", () => {
  it("is off without limits", () => {
    const limiter = new CallLimiter(() => 0);
    for (let i = 0; i < 1000; i++) limiter.acquire("u", undefined);
    expect(codeOf(() => limiter.acquire("u", {}))).toBeUndefined();
  });

  it("allows N calls per 20 seconds, then 20023 until the window moves on", () => {
    let now = 1_000_000;
    const limiter = new CallLimiter(() => now);
    const limits = { callsPer20Seconds: 2 };
    expect(codeOf(() => limiter.acquire("u", limits)())).toBeUndefined();
    now += 1000;
    expect(codeOf(() => limiter.acquire("u", limits)())).toBeUndefined();
    expect(codeOf(() => limiter.acquire("u", limits))).toBe(20023);
    expect(codeOf(() => limiter.acquire("other", limits))).toBeUndefined();
    now += 19_001;
    expect(codeOf(() => limiter.acquire("u", limits))).toBeUndefined();
  });

  it("counts calls in flight: 20024 until one is released", () => {
    const limiter = new CallLimiter(() => 0);
    const limits = { concurrentCalls: 1 };
    const release = limiter.acquire("u", limits);
    expect(codeOf(() => limiter.acquire("u", limits))).toBe(20024);
    release();
    release(); // twice is harmless
    expect(codeOf(() => limiter.acquire("u", limits))).toBeUndefined();
  });

  it("resets the daily quota at midnight US Central time (20015 before)", () => {
    let now = Date.parse("2026-01-10T05:59:00Z"); // 23:59 CST
    const limiter = new CallLimiter(() => now);
    const limits = { dailyQuota: 1 };
    limiter.acquire("u", limits)();
    expect(codeOf(() => limiter.acquire("u", limits))).toBe(20015);
    now = Date.parse("2026-01-10T06:00:30Z"); // 00:00:30 CST, the next day
    expect(codeOf(() => limiter.acquire("u", limits))).toBeUndefined();
  });
});
