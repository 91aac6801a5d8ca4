/**
 * Where the tests' database is, and which external tools they may use. In CI (CI=true) a
 * missing tool or database is a failure; on a developer's machine it is a skip with a message.
 */
import { execFileSync } from "node:child_process";

export const inCi = /^(1|true)$/i.test(process.env.CI ?? "");

/** The PostgreSQL the database tests use: TEST_DATABASE_URL, or the embedded one global setup started. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL ?? process.env.MKTOWS_TEST_EMBEDDED_URL;
  if (!url) throw new Error("no test database: global setup did not run (run the tests with `npm test`)");
  return url;
}

/** True when the tests run on a real PostgreSQL server (not the embedded database). */
export function onRealPostgres(): boolean {
  return !!process.env.TEST_DATABASE_URL;
}

/** Finds a command on PATH (or one of the given absolute paths). */
export function findTool(candidates: string[], versionArgs: string[] = ["--version"]): string | undefined {
  for (const c of candidates) {
    try {
      execFileSync(c, versionArgs, { stdio: "ignore", timeout: 20000 });
      return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * `describe` when the tool is there; otherwise a skip that says why (a failure in CI).
 * Usage: describeWithTool("zeep", found, "python3-zeep", () => { … }).
 */
export function describeWithTool(title: string, available: boolean, install: string, body: () => void): void {
  if (available) {
    describe(title, body);
    return;
  }
  if (inCi) {
    describe(title, () => {
      it(`needs ${install} (missing in CI)`, () => {
        throw new Error(`${title}: ${install} is not installed; .ci/run must install it`);
      });
    });
    return;
  }
  process.stderr.write(`SKIPPED ${title}: ${install} is not installed on this machine (CI installs it)\n`);
  describe.skip(`${title} (skipped: ${install} not installed)`, body);
}

/**
 * Past one process (issue 15): .ci/run starts a PgBouncer in transaction pooling in front of the
 * TEST_DATABASE_URL server (TEST_PGBOUNCER_URL, a `* =` wildcard entry, so scratch databases are
 * reachable too) and a streaming standby of that server (TEST_STANDBY_URL). The tests named in
 * the issue run once more through each; without the variable they are skipped saying so (a
 * failure in CI).
 */
export const pgbouncerUrl = (): string | undefined => process.env.TEST_PGBOUNCER_URL || undefined;
export const standbyUrl = (): string | undefined => process.env.TEST_STANDBY_URL || undefined;
export const PGBOUNCER_NEEDS = "TEST_PGBOUNCER_URL (a PgBouncer in transaction pooling in front of TEST_DATABASE_URL's server; .ci/run starts one)";
export const STANDBY_NEEDS = "TEST_STANDBY_URL (a streaming standby of TEST_DATABASE_URL's server; .ci/run starts one)";

/** `url` with the database of `databaseUrl` (the same database, on another server or through a pooler). */
export function withDatabaseOf(url: string, databaseUrl: string): string {
  const u = new URL(url);
  u.pathname = new URL(databaseUrl).pathname;
  return u.toString();
}

/** The environment that makes a server reach `databaseUrl` through TEST_PGBOUNCER_URL (transaction pooling). */
export function throughPgbouncer(databaseUrl: string): Record<string, string> {
  const pooler = pgbouncerUrl();
  if (!pooler) throw new Error(`no ${PGBOUNCER_NEEDS}`);
  return { DATABASE_URL: withDatabaseOf(pooler, databaseUrl), DATABASE_POOL_MODE: "transaction" };
}

/** The environment that makes a server on `databaseUrl` read what may lag from TEST_STANDBY_URL. */
export function readingFromStandby(databaseUrl: string): Record<string, string> {
  const standby = standbyUrl();
  if (!standby) throw new Error(`no ${STANDBY_NEEDS}`);
  return { DATABASE_URL: databaseUrl, DATABASE_READ_URL: withDatabaseOf(standby, databaseUrl) };
}
