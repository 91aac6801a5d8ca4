/**
 * The cost of the shared call limits (issue 15): SqlCallCounter's acquire + release, the
 * statements every SOAP call of a limited user adds, on the bench's PostgreSQL, beside a
 * `SELECT 1` round trip on the same pool (the floor of any statement).
 *
 * Realistic load: 16 connections spread over 2,000 users with Marketo's limits (100 calls / 20 s,
 * 10 concurrent, a daily quota), so every call is admitted and each user's window holds a few
 * dozen calls; and the worst case, every connection on one user (its row is the one lock all
 * calls queue on), whose calls past the 100th are refused.
 */
import type { Pool } from "pg";
import { SqlCallCounter } from "../src/persistence/sql-call-counter";
import { closedLoop, type LoadResult } from "./load";

export interface LimitCostResult {
  /** One connection: what a call's latency grows by, beside one SELECT 1. */
  readonly serial: LoadResult;
  readonly selectOneSerial: LoadResult;
  readonly selectOne: LoadResult;
  readonly manyUsers: LoadResult;
  readonly oneUser: LoadResult;
  readonly oneUserRefused: number;
}

const MARKETO = { callsPer20Seconds: 100, concurrentCalls: 10, dailyQuota: 1_000_000_000 };

export async function measureLimitCost(pool: Pool, timing: { concurrency: number; warmupMs: number; durationMs: number }, log: (m: string) => void): Promise<LimitCostResult> {
  const counter = new SqlCallCounter({ query: async (sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows }, 120000);
  await pool.query(`TRUNCATE api_call_limit, api_call_in_flight`);
  const admit = async (seq: number) => {
    const admission = await counter.acquire(`bench_user_${seq % 2000}`, MARKETO);
    if ("refused" in admission) throw new Error(`refused (${admission.refused}): the load is above a user's limit`);
    await admission.release();
  };
  log(`call limits: SELECT 1 round trip, then acquire + release, one connection …`);
  const selectOneSerial = await closedLoop({ ...timing, concurrency: 1, request: async () => void (await pool.query("SELECT 1")) });
  const serial = await closedLoop({ ...timing, concurrency: 1, request: admit });
  await pool.query(`TRUNCATE api_call_limit, api_call_in_flight`);
  log(`call limits: SELECT 1 round trip, ${timing.concurrency} connections …`);
  const selectOne = await closedLoop({ ...timing, request: async () => void (await pool.query("SELECT 1")) });
  log(`call limits: acquire + release, ${timing.concurrency} connections over 2,000 users …`);
  const manyUsers = await closedLoop({ ...timing, request: admit });
  log(`call limits: acquire + release, ${timing.concurrency} connections on one user …`);
  let refused = 0;
  const oneUser = await closedLoop({
    ...timing,
    request: async () => {
      const admission = await counter.acquire("bench_hot_user", MARKETO);
      if ("refused" in admission) refused++;
      else await admission.release();
    },
  });
  await pool.query(`TRUNCATE api_call_limit, api_call_in_flight`);
  return { serial, selectOneSerial, selectOne, manyUsers, oneUser, oneUserRefused: refused };
}
