/**
 * Scale-out (issue "Reliability and security"): two server processes on one PostgreSQL
 * database, started together on an empty database (migrations under the database lock), take
 * the 16-client conflicting workload of the invariant test between them. Afterwards every
 * lead agrees with its master row and every master's history is consistent: the rules
 * serialize on the database, not in one process's memory.
 *
 * The servers run as child processes (src/main.ts) on a database of their own on the
 * TEST_DATABASE_URL server, created and dropped here. INVARIANT_SEED reproduces a failure.
 */
import type { Client } from "pg";
import { runAndCheck } from "../support/concurrent-workload";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { describeWithTool, onRealPostgres } from "../support/test-env";

describeWithTool("two server processes on one database", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () => {
  let scratch: ScratchDatabase | undefined;
  let db: Client;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_scale");
    db = await scratch.connect();
    const env = { DATABASE_URL: scratch.url, DB_POOL_SIZE: "8" };
    // Both start at once on the empty database: one runs the migrations, the other waits for it.
    const started = await Promise.allSettled([spawnServer(env), spawnServer(env)]);
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await scratch?.drop();
  });

  it("keeps the invariant under the 16-client conflicting workload split across both", async () => {
    expect(servers).toHaveLength(2);
    expect(new Set(servers.map((s) => s.pid)).size).toBe(2);
    const internalErrors = () => servers.flatMap((s, i) => s.logs.filter((l) => l.level === "error").map((l) => `process ${i + 1}: ${JSON.stringify(l).slice(0, 300)}`));
    await runAndCheck({ urls: servers.map((s) => s.url), db }, 30, "scale-out (2 server processes, one PostgreSQL database)", internalErrors);
    // Both processes did their share of the writes.
    for (const s of servers) expect(s.logs.filter((l) => l.message === "soap request" && l.outcome === "ok").length).toBeGreaterThan(50);
    for (const s of servers) expect(s.child.exitCode).toBeNull();
  });
});
