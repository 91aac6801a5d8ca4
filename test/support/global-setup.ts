/**
 * Jest global setup: the database the database tests share. CI sets TEST_DATABASE_URL to its
 * own PostgreSQL; without it the tests run on the embedded database (PGlite), started here.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../src/persistence/embedded-database";

declare global {
  var __mktowsEmbedded: EmbeddedDatabase | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.stderr.write(`\ndatabase tests: PostgreSQL at TEST_DATABASE_URL\n`);
    return;
  }
  if (/^(1|true)$/i.test(process.env.CI ?? "")) {
    throw new Error("CI=true but TEST_DATABASE_URL is not set: .ci/run must start PostgreSQL");
  }
  const dir = mkdtempSync(path.join(tmpdir(), "mktows-test-db-"));
  const db = await startEmbeddedDatabase(dir);
  globalThis.__mktowsEmbedded = db;
  process.env.MKTOWS_TEST_EMBEDDED_URL = db.url;
  process.stderr.write(`\ndatabase tests: no TEST_DATABASE_URL, so they run on the embedded database (PGlite) in ${dir}\n`);
}
