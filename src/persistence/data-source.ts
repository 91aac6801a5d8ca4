import "reflect-metadata";
import { DataSource, MigrationExecutor } from "typeorm";
import type { EmailHasher } from "../domain/email";
import { ActivityEntity } from "./entities/activity.entity";
import { EmailStatusEntity, EmailStatusHistoryEntity } from "./entities/email-status.entity";
import { LeadEntity } from "./entities/lead.entity";
import { PartitionEntity, WorkspaceEntity } from "./entities/partition.entity";
import { InitialSchema1764140000000 } from "./migrations/1764140000000-initial-schema";
import { Surface1764150000000 } from "./migrations/1764150000000-surface";
import { LockEmailStatus1764190000000 } from "./migrations/1764190000000-lock-email-status";
import { SfdcSync1764180000000 } from "./migrations/1764180000000-sfdc-sync";
import { LockForWrite1764200000000 } from "./migrations/1764200000000-lock-for-write";
import { Hardening1764210000000 } from "./migrations/1764210000000-hardening";
import { WebhookOutbox1764220000000 } from "./migrations/1764220000000-webhook-outbox";
import { AddressPlaintext1764230000000 } from "./migrations/1764230000000-address-plaintext";
import { SharedCallLimits1764250015000 } from "./migrations/1764250015000-shared-call-limits";
import { createLeadSubscriber } from "./subscribers/lead.subscriber";

export const entities = [LeadEntity, EmailStatusEntity, EmailStatusHistoryEntity, ActivityEntity, PartitionEntity, WorkspaceEntity];
export const migrations = [InitialSchema1764140000000, Surface1764150000000, SfdcSync1764180000000, LockEmailStatus1764190000000, LockForWrite1764200000000, Hardening1764210000000, WebhookOutbox1764220000000, AddressPlaintext1764230000000, SharedCallLimits1764250015000];

export interface DataSourceOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  /** Wait for a connection (new, or free in the pool); 10 s when absent. */
  readonly connectionTimeoutMs?: number;
  /** What the lead subscriber checks email hashes with; absent only for the TypeORM CLI (migrations). */
  readonly hasher?: EmailHasher;
  /**
   * Send statement_timeout as a startup parameter of each connection (default). Off behind
   * PgBouncer in transaction pooling, which refuses startup parameters it does not track
   * ("unsupported startup parameter"); the role's own setting applies there.
   */
  readonly sessionParameters?: boolean;
}

/** Explicit entity, subscriber and migration lists; never `synchronize`. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: "postgres",
    url: options.url,
    entities,
    migrations,
    subscribers: options.hasher ? [createLeadSubscriber(options.hasher)] : [],
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: options.poolSize,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10000,
      ...(options.statementTimeoutMs > 0 && options.sessionParameters !== false ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
}

/** Any fixed number: the advisory lock that lets one process at a time run migrations. */
const MIGRATION_LOCK = 7245001;

/**
 * Runs pending migrations under a database lock, so several processes can start together.
 * All pending migrations run in one transaction that first takes a transaction-level advisory
 * lock (pg_advisory_xact_lock): a second process waits there, then finds them applied. Nothing
 * of it outlives the transaction, so it works the same on a direct connection and through
 * PgBouncer in transaction pooling, where a session-level lock could be taken on one server
 * connection and released on another. A failing migration leaves none of them applied.
 */
export async function migrate(dataSource: DataSource, options: { lock: boolean } = { lock: true }): Promise<string[]> {
  if (!options.lock) {
    // The embedded database is one process's by its lock file; its advisory locks exclude nothing.
    return (await dataSource.runMigrations({ transaction: "each" })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    try {
      await runner.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = "all";
      const done = await executor.executePendingMigrations();
      await runner.commitTransaction();
      return done.map((m) => m.name);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
