/**
 * The load generator: a closed loop of `concurrency` workers, each sending its next request when
 * the previous one is answered, for a warm-up and then a fixed measuring window. Only requests
 * started inside the window count; throughput is their number over the time from the first of
 * them starting to the last of them finishing.
 */
import { performance } from "node:perf_hooks";

export interface LoadOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Keep going after the window until this many requests were started in it (slow batch calls). */
  readonly minRequests?: number;
  /** One request; throws when the answer is not the expected one. */
  readonly request: (seq: number, worker: number) => Promise<void>;
}

export interface LoadResult {
  readonly requests: number;
  /** Every request sent, warm-up included. */
  readonly allRequests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

export async function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const measureStart = performance.now() + o.warmupMs;
  const end = measureStart + o.durationMs;
  let firstStart = Infinity;
  let lastDone = 0;
  let started = 0;
  const worker = async (w: number) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end && started >= (o.minRequests ?? 0)) return;
      if (t0 >= measureStart) {
        started++;
        if (t0 < firstStart) firstStart = t0;
      }
      const i = seq++;
      try {
        await o.request(i, w);
        const t1 = performance.now();
        if (t0 >= measureStart) {
          latencies.push(t1 - t0);
          if (t1 > lastDone) lastDone = t1;
        }
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        if (errors > 50 && errors > seq / 2) throw new Error(`too many failed requests: ${firstError}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  const seconds = Math.max(lastDone - firstStart, 1) / 1000;
  return {
    requests: latencies.length,
    allRequests: seq,
    errors,
    seconds: round(seconds, 2),
    perSecond: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    ...(firstError ? { firstError } : {}),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
