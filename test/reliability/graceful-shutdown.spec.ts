/**
 * Graceful shutdown on SIGTERM (issue "Reliability and security"): the server process logs
 * "stopping", stops accepting connections at once, lets the request in flight finish (a big
 * syncMultipleLeads batch answers 200 with every record applied), closes the pool and exits 0.
 * A request that outlasts SHUTDOWN_DRAIN_MS is cut at that bound: the process still exits 0
 * in time, and the batch it cut leaves every record wholly applied or not at all. A batch is held
 * in flight by a lock the test holds on the activity table (its apply waits there, its leads
 * inserted, nothing committed), so "in flight" does not depend on timing.
 *
 * The server runs as a child process (the compiled src/main.ts) on a database of its own on the
 * TEST_DATABASE_URL server, created and dropped here.
 */
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "pg";
import { checkPrefix, holdActivityInserts, makeBatch, postBatch, untilStarted, untilWaitingOnLock } from "../support/batch-records";
import { assertInvariant } from "../support/invariant";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { describeWithTool, onRealPostgres } from "../support/test-env";

const RECORDS = 300;

/** A request on a new TCP connection (no keep-alive pool): the HTTP status, or the connection error's code. */
function freshRequest(url: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

async function leadCount(db: Client): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lead`)).rows[0].n;
}

describeWithTool("graceful shutdown on SIGTERM", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () => {
  let scratch: ScratchDatabase | undefined;
  let db: Client;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_drain");
    db = await scratch.connect();
  });
  afterEach(async () => {
    await server?.stop();
    await db.query(`TRUNCATE lead, activity, email_status_history, email_status RESTART IDENTITY CASCADE`);
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("refuses new connections, finishes the request in flight, closes the pool and exits 0", async () => {
    const drainMs = 30000;
    server = await spawnServer({ DATABASE_URL: (scratch as ScratchDatabase).url, DB_POOL_SIZE: "4", SHUTDOWN_DRAIN_MS: String(drainMs) });
    const s = server;
    expect(await freshRequest(s.url, "/healthz")).toBe("200");
    const batch = makeBatch(31337, RECORDS);

    // The batch is held in flight (leads inserted, activities and COMMIT to come) until released.
    const locker = await (scratch as ScratchDatabase).connect();
    const hold = await holdActivityInserts(locker);
    let answered = false;
    const slow = postBatch(s.url, batch).finally(() => (answered = true));
    expect(await untilWaitingOnLock(db)).toBe(true);
    const seen = await untilStarted(db, 20);
    expect(seen).toBeGreaterThanOrEqual(20);
    const signalledAt = Date.now();
    s.child.kill("SIGTERM");
    // The "stopping" line comes first; from then on no new connection is accepted.
    while (!s.logs.some((l) => l.message === "stopping") && Date.now() - signalledAt < 10000) await sleep(10);
    expect(s.logs.find((l) => l.message === "stopping")).toMatchObject({ level: "info", signal: "SIGTERM" });
    expect(await freshRequest(s.url, "/healthz")).toBe("ECONNREFUSED");
    expect(s.child.exitCode).toBeNull();
    expect(answered).toBe(false);
    await hold.release();
    await locker.end();

    const answer = await slow;
    const answeredAt = Date.now();
    expect(answer.status).toBe(200);
    const statuses = [...answer.body.matchAll(/<status>([A-Z]+)<\/status>/g)].map((m) => m[1]);
    expect(statuses).toEqual(batch.map(() => "CREATED"));

    const exit = await s.exited;
    const exitedAt = Date.now();
    process.stderr.write(
      `graceful-shutdown: SIGTERM with ${seen} of ${RECORDS} records written; the batch answered ${answeredAt - signalledAt} ms later, the process exited ${exitedAt - answeredAt} ms after that\n`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAt - signalledAt).toBeLessThan(drainMs);
    // The client's keep-alive connection (idle once answered) does not hold the exit back.
    expect(exitedAt - answeredAt).toBeLessThan(2000);
    // The pool is closed: none of the server's sessions is left on the database.
    const sessions = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows[0].n;
    expect(sessions).toBe(0);
    await assertInvariant(db);
    expect(await checkPrefix(db, batch, RECORDS)).toEqual([]);
  });

  it("cuts a request that outlasts SHUTDOWN_DRAIN_MS, exits 0 in time, and leaves each record whole or absent", async () => {
    const drainMs = 500;
    server = await spawnServer({ DATABASE_URL: (scratch as ScratchDatabase).url, DB_POOL_SIZE: "4", SHUTDOWN_DRAIN_MS: String(drainMs) });
    const s = server;
    const batch = makeBatch(4711, 1000);

    // Held in flight past the drain bound: the lock is released only once the process is gone.
    const locker = await (scratch as ScratchDatabase).connect();
    const hold = await holdActivityInserts(locker);
    const slow = postBatch(s.url, batch).then(
      (res) => `HTTP ${res.status}`,
      () => "cut",
    );
    expect(await untilWaitingOnLock(db)).toBe(true);
    expect(await untilStarted(db, 20)).toBeGreaterThanOrEqual(20);
    const signalledAt = Date.now();
    s.child.kill("SIGTERM");
    const exit = await s.exited;
    const exitedAt = Date.now();
    await hold.release();
    await locker.end();
    expect(await slow).toBe("cut");
    expect(exit).toEqual({ code: 0, signal: null });
    // The bound, plus closing the pool.
    expect(exitedAt - signalledAt).toBeLessThan(drainMs + 5000);

    const k = await leadCount(db);
    process.stderr.write(`graceful-shutdown: drain bound ${drainMs} ms cut the batch after ${k} of 1000 records; exited ${exitedAt - signalledAt} ms after SIGTERM\n`);
    expect(k).toBeLessThan(1000);
    await assertInvariant(db);
    expect(await checkPrefix(db, batch, k)).toEqual([]);
  });
});
