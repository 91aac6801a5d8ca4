/**
 * The configuration of issue 15 (past one process): PgBouncer's pool mode, the migration and
 * read URLs, the standby's lag bound and the call-limit lease, validated at start like the rest.
 */
import { ConfigError, loadConfig } from "../../src/config";

const DB = "postgres://mktows@db.example.com/mktows";
const load = (env: Record<string, string>) => loadConfig(env, "/nonexistent");

describe("configuration past one process", () => {
  it("defaults: session pooling, no migration or read URL, a 1 s lag bound, a 2 min lease", () => {
    const c = load({ DATABASE_URL: DB });
    expect([c.databasePoolMode, c.databaseMigrationUrl, c.databaseReadUrl, c.readMaxLagMs, c.callLimitLeaseMs]).toEqual(["session", undefined, undefined, 1000, 120000]);
  });

  it("takes PgBouncer's transaction pooling, a direct migration URL and a standby", () => {
    const c = load({
      DATABASE_URL: "postgres://mktows@pgbouncer:6432/mktows",
      DATABASE_POOL_MODE: "transaction",
      DATABASE_MIGRATION_URL: DB,
      DATABASE_READ_URL: "postgresql://mktows@standby/mktows",
      DATABASE_READ_MAX_LAG_MS: "250",
      CALL_LIMIT_LEASE_MS: "30000",
    });
    expect([c.databasePoolMode, c.databaseMigrationUrl, c.databaseReadUrl, c.readMaxLagMs, c.callLimitLeaseMs]).toEqual(["transaction", DB, "postgresql://mktows@standby/mktows", 250, 30000]);
  });

  it.each([
    [{ DATABASE_URL: DB, DATABASE_POOL_MODE: "statement" }, "DATABASE_POOL_MODE must be session or transaction"],
    [{ DATABASE_POOL_MODE: "transaction" }, "DATABASE_POOL_MODE=transaction needs DATABASE_URL"],
    [{ DATABASE_URL: DB, DATABASE_READ_URL: "mysql://standby/mktows" }, "DATABASE_READ_URL must start with postgres://"],
    [{ DATABASE_READ_URL: DB }, "DATABASE_READ_URL needs DATABASE_URL"],
    [{ DATABASE_MIGRATION_URL: DB }, "DATABASE_MIGRATION_URL needs DATABASE_URL"],
    [{ DATABASE_URL: DB, DATABASE_READ_MAX_LAG_MS: "-1" }, "DATABASE_READ_MAX_LAG_MS must be a whole number"],
    [{ DATABASE_URL: DB, CALL_LIMIT_LEASE_MS: "10" }, "CALL_LIMIT_LEASE_MS must be a whole number from 1000"],
  ])("refuses %j", (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
