/**
 * Marketo's call limits hold per user across processes (issue 15): two server processes on one
 * database count one user's calls in PostgreSQL (acquire_api_call), so 100 calls per 20 s and
 * 10 concurrent calls are the user's in total, not per process.
 *
 * The servers run as child processes (src/main.ts) on a scratch database of the
 * TEST_DATABASE_URL server, with the users in a MKTOWS_USERS_FILE of their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "pg";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { SqlCallCounter } from "../../src/persistence/sql-call-counter";
import { envelope, signedHeader, TEST_ADMIN_TOKEN } from "../support/test-app";
import { describeWithTool, onRealPostgres } from "../support/test-env";

const RATE = { id: "rate_user", key: "rate-key-0123456789" };
const CONCURRENT = { id: "concurrent_user", key: "concurrent-key-0123456789" };

const faultCode = (body: string): string | undefined => /<code>(\d+)<\/code>/.exec(body)?.[1];
const getLead = (id: number) => `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`;
const syncLead = (email: string) => `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

describeWithTool("call limits shared by two server processes", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () => {
  let scratch: ScratchDatabase | undefined;
  let db: Client;
  let dir: string;
  const servers: ServerProcess[] = [];

  const call = async (server: ServerProcess, user: { id: string; key: string }, body: string) => {
    const res = await fetch(`${server.url}/soap/mktows/2_2`, {
      method: "POST",
      headers: { "content-type": "text/xml; charset=utf-8" },
      body: envelope(body, signedHeader({ userId: user.id, key: user.key })),
    });
    return { status: res.status, code: faultCode(await res.text()) };
  };
  const admin = async (server: ServerProcess, method: string, route: string, body: unknown) => {
    const res = await fetch(`${server.url}/admin/api${route}`, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    return (await res.json()) as { id: number };
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_limits");
    db = await scratch.connect();
    dir = mkdtempSync(path.join(tmpdir(), "mktows-limits-"));
    const users = path.join(dir, "users.json");
    writeFileSync(users, JSON.stringify([{ ...RATE, limits: { callsPer20Seconds: 100 } }, { ...CONCURRENT, limits: { concurrentCalls: 10 } }]));
    const env = { DATABASE_URL: scratch.url, DB_POOL_SIZE: "12", MKTOWS_USERS_FILE: users };
    const started = await Promise.allSettled([spawnServer(env), spawnServer(env)]);
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await scratch?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("100 calls per 20 s in total: the 101st, on either process, is 20023", async () => {
    const { id } = await admin(servers[0], "POST", "/leads", { email: "limits@example.com" });
    const started = Date.now();
    // 100 calls, alternating between the processes, 4 at a time: 50 reach each.
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 100; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map((j) => call(servers[(i + j) % 2], RATE, getLead(id))));
      codes.push(...batch.map((r) => r.code));
    }
    expect(codes.filter((c) => c !== undefined)).toEqual([]);
    const over = [await call(servers[0], RATE, getLead(id)), await call(servers[1], RATE, getLead(id))];
    // All of it inside one 20-second window, or the window would have moved on.
    expect(Date.now() - started).toBeLessThan(20000);
    expect(over.map((r) => [r.status, r.code])).toEqual([
      [500, "20023"],
      [500, "20023"],
    ]);
  });

  it("10 concurrent calls in total: an 11th on either process is 20024 while they run, and it passes after", async () => {
    // Ten syncLead calls of one address wait on its master row, which the test holds locked.
    await admin(servers[0], "POST", "/leads", { email: "held@example.com" });
    await db.query("BEGIN");
    await db.query(`SELECT 1 FROM email_status WHERE email = 'held@example.com' FOR UPDATE`);
    const held = Array.from({ length: 10 }, (_, i) => call(servers[i % 2], CONCURRENT, syncLead("held@example.com")));
    try {
      for (let waited = 0; ; waited += 20) {
        const n = Number((await db.query(`SELECT count(*) AS n FROM api_call_in_flight WHERE user_id = $1`, [CONCURRENT.id])).rows[0].n);
        if (n === 10) break;
        if (waited > 20000) throw new Error(`only ${n} calls in flight`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const over = [await call(servers[0], CONCURRENT, syncLead("free@example.com")), await call(servers[1], CONCURRENT, syncLead("free@example.com"))];
      expect(over.map((r) => [r.status, r.code])).toEqual([
        [500, "20024"],
        [500, "20024"],
      ]);
    } finally {
      await db.query("COMMIT");
    }
    expect((await Promise.all(held)).map((r) => r.code ?? "ok")).toEqual(Array(10).fill("ok"));
    // Released as they ended: the next calls pass on both processes.
    expect((await call(servers[0], CONCURRENT, syncLead("after@example.com"))).code).toBeUndefined();
    expect((await call(servers[1], CONCURRENT, syncLead("after@example.com"))).code).toBeUndefined();
    expect(Number((await db.query(`SELECT count(*) AS n FROM api_call_in_flight`)).rows[0].n)).toBe(0);
  });

  it("a call in flight of a process that died stops counting when its lease ends", async () => {
    const counter = new SqlCallCounter({ query: async (sql: string, params?: unknown[]) => (await db.query(sql, params)).rows }, 1000);
    const limits = { concurrentCalls: 1 };
    expect(await counter.acquire("lease_user", limits)).toHaveProperty("release"); // never released
    expect(await counter.acquire("lease_user", limits)).toEqual({ refused: "concurrentCalls" });
    await new Promise((r) => setTimeout(r, 1100));
    const admitted = await counter.acquire("lease_user", limits);
    expect(admitted).toHaveProperty("release");
    if ("release" in admitted) await admitted.release();
  });
});
