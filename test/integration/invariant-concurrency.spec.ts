/**
 * The invariant of SPEC §2 under concurrency: 16 SOAP/admin clients run seeded random,
 * conflicting writes on a handful of shared addresses (unsubscribes, re-subscribes, duplicate
 * creates, email changes between the addresses, deletes), then the database is checked:
 * every lead agrees with its master row, and every master row's history ends in (and
 * alternates towards) its current status. Runs on the tests' database (PostgreSQL in CI) and
 * on the embedded default (PGlite) started by the application itself.
 *
 * Once more with both instances connected through PgBouncer in transaction pooling
 * (TEST_PGBOUNCER_URL, issue 15): every transaction may get another server connection.
 *
 * Reproduce a failure with INVARIANT_SEED=<seed printed in the failure>.
 */
import { startEmbeddedApp, type EmbeddedApp } from "../support/embedded-app";
import { runAndCheck } from "../support/concurrent-workload";
import { startTestApp, TEST_ADMIN_TOKEN, TEST_EMAIL_HASH_KEY, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";
import { describeWithTool, onRealPostgres, PGBOUNCER_NEEDS, pgbouncerUrl, testDatabaseUrl, throughPgbouncer } from "../support/test-env";

describe("the invariant holds under 16 concurrent clients (the tests' database)", () => {
  // On PostgreSQL, two app instances (two pools, as two server processes would have) share the
  // clients; the embedded server of global setup takes only one pool's connections.
  const apps: TestApp[] = [];
  beforeAll(async () => {
    apps.push(await startTestApp());
    if (onRealPostgres()) apps.push(await startTestApp({ DB_POOL_SIZE: "10" }));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
  });

  it("the invariant holds under 16 concurrent clients", async () => {
    const label = `invariant-concurrency (${onRealPostgres() ? "PostgreSQL, 2 app instances" : "embedded via global setup"})`;
    await runAndCheck({ urls: apps.map((a) => a.url), db: apps[0].dataSource }, 30, label);
  });
});

describeWithTool("the invariant holds under 16 concurrent clients, through PgBouncer (transaction pooling)", onRealPostgres() && !!pgbouncerUrl(), PGBOUNCER_NEEDS, () => {
  // Two instances, as above, each with its own pool of client connections to PgBouncer, which
  // hands each transaction one of its server connections.
  const apps: TestApp[] = [];
  beforeAll(async () => {
    apps.push(await startTestApp(throughPgbouncer(testDatabaseUrl())));
    apps.push(await startTestApp({ ...throughPgbouncer(testDatabaseUrl()), DB_POOL_SIZE: "10" }));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
  });

  it("the invariant holds under 16 concurrent clients", async () => {
    await runAndCheck({ urls: apps.map((a) => a.url), db: apps[0].dataSource }, 30, "invariant-concurrency (PgBouncer, transaction pooling, 2 app instances)");
  });
});

describe("the invariant holds under 16 concurrent clients (embedded default database, no DATABASE_URL)", () => {
  // startApplication() in a child process: PGlite cannot start inside jest's module sandbox
  // (see test/support/embedded-app-child.ts).
  let app: EmbeddedApp | undefined;
  beforeAll(async () => {
    app = await startEmbeddedApp({
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY,
    });
    expect(app.databaseKind).toBe("embedded");
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the invariant holds under 16 concurrent clients", async () => {
    const a = app as EmbeddedApp;
    await runAndCheck({ urls: [a.url], db: a }, 20, "invariant-concurrency (embedded default)", () => a.logs.filter((l) => l.startsWith("error: ")));
  });
});
