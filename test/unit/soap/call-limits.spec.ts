import { CallLimiter, MemoryCallCounter } from "../../../src/soap/call-limits";
import { MarketoFault } from "../../../src/soap/faults";

async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    return e instanceof MarketoFault ? e.code : -1;
  }
}

const limiterAt = (now: () => number) => new CallLimiter(new MemoryCallCounter(now));

describe("CallLimiter (counted in this process's memory)", () => {
  it("is off without limits", async () => {
    const limiter = limiterAt(() => 0);
    for (let i = 0; i < 1000; i++) await limiter.acquire("u", undefined);
    expect(await codeOf(limiter.acquire("u", {}))).toBeUndefined();
  });

  it("allows N calls per 20 seconds, then 20023 until the window moves on", async () => {
    let now = 1_000_000;
    const limiter = limiterAt(() => now);
    const limits = { callsPer20Seconds: 2 };
    await (await limiter.acquire("u", limits))();
    now += 1000;
    await (await limiter.acquire("u", limits))();
    expect(await codeOf(limiter.acquire("u", limits))).toBe(20023);
    expect(await codeOf(limiter.acquire("other", limits))).toBeUndefined();
    now += 19_001;
    expect(await codeOf(limiter.acquire("u", limits))).toBeUndefined();
  });

  it("counts calls in flight: 20024 until one is released", async () => {
    const limiter = limiterAt(() => 0);
    const limits = { concurrentCalls: 1 };
    const release = await limiter.acquire("u", limits);
    expect(await codeOf(limiter.acquire("u", limits))).toBe(20024);
    await release();
    await release(); // twice is harmless
    expect(await codeOf(limiter.acquire("u", limits))).toBeUndefined();
  });

  it("resets the daily quota at midnight US Central time (20015 before)", async () => {
    let now = Date.parse("2026-01-10T05:59:00Z"); // 23:59 CST
    const limiter = limiterAt(() => now);
    const limits = { dailyQuota: 1 };
    await (await limiter.acquire("u", limits))();
    expect(await codeOf(limiter.acquire("u", limits))).toBe(20015);
    now = Date.parse("2026-01-10T06:00:30Z"); // 00:00:30 CST, the next day
    expect(await codeOf(limiter.acquire("u", limits))).toBeUndefined();
  });
});
