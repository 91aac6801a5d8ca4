/**
 * Crash safety (issue "Reliability and security"): the server process is killed with SIGKILL
 * in the middle of a big syncMultipleLeads batch. Each record applies atomically, so after a
 * restart every record is either wholly there (lead, New Lead activity, master status and its
 * history when it unsubscribed, the propagation to the other leads of its address with their
 * activity rows) or not there at all; the records that are there are exactly the first k of
 * the batch (k = 0 when the server commits the batch as one transaction); the invariant holds;
 * and sending the batch again completes it without duplicating anything.
 *
 * The server runs as a child process (the compiled src/main.ts) on a database of its own on
 * the TEST_DATABASE_URL server, created and dropped here.
 */
import type { Client } from "pg";
import { checkPrefix, holdActivityInserts, makeBatch, postBatch, untilStarted, untilWaitingOnLock } from "../support/batch-records";
import { assertInvariant } from "../support/invariant";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { describeWithTool, onRealPostgres } from "../support/test-env";

const SEED = Number(process.env.CRASH_SEED ?? 424242);
const RECORDS = 300;
/** SIGKILL once the server has inserted at least this many leads of the batch (and is held before committing). */
const KILL_AFTER = 60;

describeWithTool("crash safety: SIGKILL in the middle of a syncMultipleLeads batch", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () => {
  let scratch: ScratchDatabase | undefined;
  let db: Client;
  let server: ServerProcess | undefined;
  const batch = makeBatch(SEED, RECORDS, 50);

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_crash");
    db = await scratch.connect();
  });
  afterAll(async () => {
    await server?.stop();
    await scratch?.drop();
  });

  it("leaves every record wholly applied or not at all, and the batch completes when sent again", async () => {
    const env = { DATABASE_URL: (scratch as ScratchDatabase).url, DB_POOL_SIZE: "4" };
    server = await spawnServer(env);
    const first = server;
    expect(batch.filter((r) => r.unsubscribe).length).toBeGreaterThan(10);

    // The batch is held after its leads are inserted, before its activities and its COMMIT.
    const locker = await (scratch as ScratchDatabase).connect();
    const hold = await holdActivityInserts(locker);
    const inFlight = postBatch(first.url, batch).then(
      (res) => ({ answered: res }),
      (error: unknown) => ({ error }),
    );
    expect(await untilWaitingOnLock(db)).toBe(true);
    const progressed = await untilStarted(db, KILL_AFTER);
    first.child.kill("SIGKILL");
    const exit = await first.exited;
    expect(exit.signal).toBe("SIGKILL");
    await hold.release();
    await locker.end();
    const outcome = await inFlight;
    expect("answered" in outcome ? `the batch was answered (HTTP ${outcome.answered.status}) before the kill: make it bigger` : "cut").toBe("cut");
    expect(progressed).toBeGreaterThanOrEqual(KILL_AFTER);

    // The process is gone: whatever it had not committed was rolled back by PostgreSQL.
    server = await spawnServer(env);
    const k = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lead`)).rows[0].n;
    process.stderr.write(`crash-safety: seed ${SEED}, killed after ${progressed} leads of the batch were written; ${k} of ${RECORDS} records are there after the restart\n`);
    expect(k).toBeLessThan(RECORDS);
    await assertInvariant(db);
    expect(await checkPrefix(db, batch, k)).toEqual([]);

    // Sending the batch again completes it: the applied records are updated (no duplicate), the rest created.
    const again = await postBatch(server.url, batch);
    expect(again.status).toBe(200);
    const statuses = [...again.body.matchAll(/<status>([A-Z]+)<\/status>/g)].map((m) => m[1]);
    expect(statuses).toEqual(batch.map((r) => (r.index < k ? "UPDATED" : "CREATED")));
    await assertInvariant(db);
    expect(await checkPrefix(db, batch, RECORDS)).toEqual([]);
    // No internal error was logged by either process.
    expect(server.logs.filter((l) => l.level === "error")).toEqual([]);
  });
});
