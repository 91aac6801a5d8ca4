/**
 * Scale-out (issue "Reliability and security"): two server processes on one PostgreSQL
 * database, started together on an empty database (migrations under the database lock), take
 * the 16-client conflicting workload of the invariant test between them. Afterwards every
 * lead agrees with its master row and every master's history is consistent: the rules
 * serialize on the database, not in one process's memory.
 *
 * The servers run as child processes (src/main.ts) on a database of their own on the
 * TEST_DATABASE_URL server, created and dropped here. INVARIANT_SEED reproduces a failure.
 *
 * Once more through PgBouncer in transaction pooling (TEST_PGBOUNCER_URL, issue 15): one process
 * migrates over a direct DATABASE_MIGRATION_URL, the other through the pooler, both under the
 * same transaction-level lock.
 */
import type { Client } from "pg";
import { runAndCheck } from "../support/concurrent-workload";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { describeWithTool, onRealPostgres, PGBOUNCER_NEEDS, pgbouncerUrl, throughPgbouncer } from "../support/test-env";

describeWithTool("two server processes on one database", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () =>
  twoProcesses("scale-out (2 server processes, one PostgreSQL database)", (url) => {
    const env = { DATABASE_URL: url, DB_POOL_SIZE: "8" };
    return [env, env];
  }),
);
describeWithTool("two server processes on one database, through PgBouncer (transaction pooling)", onRealPostgres() && !!pgbouncerUrl(), PGBOUNCER_NEEDS, () =>
  twoProcesses("scale-out (2 server processes through PgBouncer, transaction pooling)", (url) => [
    { ...throughPgbouncer(url), DATABASE_MIGRATION_URL: url, DB_POOL_SIZE: "8" },
    { ...throughPgbouncer(url), DB_POOL_SIZE: "8" },
  ]),
);

/** `envs` gives each process's environment for the scratch database's direct URL. */
function twoProcesses(label: string, envs: (url: string) => [Record<string, string>, Record<string, string>]): void {
  let scratch: ScratchDatabase | undefined;
  let db: Client;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_scale");
    db = await scratch.connect();
    // Both start at once on the empty database: one runs the migrations, the other waits for it.
    const started = await Promise.allSettled(envs(scratch.url).map((env) => spawnServer(env)));
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
    await runAndCheck({ urls: servers.map((s) => s.url), db }, 30, label, internalErrors);
    // Both processes did their share of the writes.
    for (const s of servers) expect(s.logs.filter((l) => l.message === "soap request" && l.outcome === "ok").length).toBeGreaterThan(50);
    for (const s of servers) expect(s.child.exitCode).toBeNull();
  });
}
