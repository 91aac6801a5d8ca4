/**
 * The database half of the composition root, without HTTP: the database (PostgreSQL at
 * DATABASE_URL, else the embedded one under DATA_DIR), migrations, instance secrets, the write path
 * and the lead service. The server (app.ts) and the import command (cli/import.ts) both start
 * from it, so they compute the same email hashes and apply the same rules.
 */
import type { DataSource } from "typeorm";
import type { Config } from "./config";
import { hmacEmailKey, type EmailHasher } from "./domain/email";
import { FieldRegistry } from "./domain/field-registry";
import { FieldCatalogue } from "./domain/lead-fields";
import { LeadService } from "./domain/lead.service";
import { LeadWriteService } from "./domain/lead-write.service";
import type { TransactionRunner } from "./domain/ports";
import type { Logger } from "./logger";
import { createDataSource, migrate } from "./persistence/data-source";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./persistence/embedded-database";
import { loadInstanceSecrets, type InstanceSecrets } from "./persistence/instance-secrets";
import { StandbyReadRunner } from "./persistence/standby-reads";
import { TypeOrmTransactionRunner } from "./persistence/transaction-runner";

export interface Database {
  readonly dataSource: DataSource;
  readonly kind: "postgresql" | "embedded";
  readonly secrets: InstanceSecrets;
  readonly hasher: EmailHasher;
  /** The one write path (every lead, activity and email-status write). */
  readonly writes: LeadWriteService;
  readonly tx: TransactionRunner;
  /**
   * Reads that may come from the standby (DATABASE_READ_URL): the suppression export,
   * getMultipleLeads pages, the admin lead list and search. `tx` itself when there is none.
   */
  readonly lagTolerantReads: Pick<TransactionRunner, "read">;
  /** The standby's pool, when DATABASE_READ_URL is set. */
  readonly standby?: DataSource;
  readonly fields: () => FieldCatalogue;
  readonly fieldRegistry: FieldRegistry;
  readonly leads: LeadService;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Connections in the pool (PostgreSQL); the embedded database takes at most 4. */
  readonly poolSize?: number;
  /** Told of every committed change of an address's status (metrics). */
  readonly onStatusChanged?: (e: { unsubscribed: boolean; channel: string; propagatedTo: number }) => void;
  /** Told where each lag-tolerant read ran (metrics). */
  readonly onStandbyRead?: (where: "standby" | "primary", reason?: string) => void;
}

export async function openDatabase(config: Config, logger: Logger, options: DatabaseOptions = {}): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let dataSource: DataSource | undefined;
  let standby: DataSource | undefined;
  try {
    const url = config.databaseUrl ?? (embedded = await startEmbeddedDatabase(config.dataDir)).url;
    if (embedded?.modesFixed) {
      logger.log("warn", "DATA_DIR was readable by other users: narrowed to 0700 (folders) and 0600 (files)", { dataDir: config.dataDir, entries: embedded.modesFixed });
    }
    // As in app.ts: the subscriber needs the hasher before the key is read from the database.
    const hashKey: { value?: string } = {};
    const hasher = (key: string): string => {
      if (!hashKey.value) throw new Error("email hash key not loaded yet");
      return hmacEmailKey(hashKey.value, key);
    };
    const standardCatalogue = new FieldCatalogue();
    const registry: { current?: FieldRegistry } = {};
    const fields = () => registry.current?.current() ?? standardCatalogue;
    dataSource = createDataSource({
      url,
      poolSize: Math.min(options.poolSize ?? config.poolSize, embedded ? 4 : config.poolSize),
      statementTimeoutMs: config.statementTimeoutMs,
      connectionTimeoutMs: config.connectionTimeoutMs,
      hasher,
      sessionParameters: config.databasePoolMode === "session",
    });
    await initialize(dataSource, "DATABASE_URL");
    // PGlite behind a socket (ours, or one a test or operator started) is one shared session:
    // see readsInTransactions. Its advisory locks exclude nothing, and it is one process's anyway.
    const version = String((await dataSource.query("SELECT version() AS v"))[0]?.v ?? "");
    const sharedSession = !!embedded || version.includes("PGlite");
    const applied = config.databaseMigrationUrl ? await migrateThrough(config.databaseMigrationUrl, config) : await migrate(dataSource, { lock: !sharedSession });
    if (applied.length) logger.log("info", "migrations applied", { migrations: applied });
    if (config.databasePoolMode === "transaction") await checkRoleTimeout(dataSource, config, logger);
    const secrets = await loadInstanceSecrets(dataSource, {
      emailHashKey: config.emailHashKey,
      mktowsUserId: config.mktowsUserId,
      mktowsEncryptionKey: config.mktowsEncryptionKey,
      adminToken: config.adminToken,
    });
    hashKey.value = secrets.emailHashKey;

    const tx = new TypeOrmTransactionRunner(dataSource, {
      attempts: 8,
      deadlineMs: config.transactionTimeoutMs,
      readsInTransactions: sharedSession,
      onRetry: (attempt, error) => logger.log("debug", "transaction retried", { attempt, error: String(error) }),
    });
    let lagTolerantReads: Pick<TransactionRunner, "read"> = tx;
    if (config.databaseReadUrl) {
      standby = createDataSource({
        url: config.databaseReadUrl,
        poolSize: config.poolSize,
        statementTimeoutMs: config.statementTimeoutMs,
        connectionTimeoutMs: config.connectionTimeoutMs,
        // The standby's pool may be a PgBouncer too; its reads are whole transactions anyway.
        sessionParameters: config.databasePoolMode === "session",
      });
      await initialize(standby, "DATABASE_READ_URL");
      lagTolerantReads = new StandbyReadRunner(dataSource, standby, tx, {
        maxLagMs: config.readMaxLagMs,
        deadlineMs: config.transactionTimeoutMs,
        onRead: (where, reason, error) => {
          options.onStandbyRead?.(where, reason);
          // "paused" follows a logged fallback: once per pause, not per request.
          if (where === "primary" && reason !== "paused") {
            logger.log("warn", reason === "lag" ? "the standby is behind: reading from the primary for a few seconds" : "the standby failed: reading from the primary for a few seconds", {
              maxLagMs: config.readMaxLagMs,
              ...(error ? { error: error instanceof Error ? error.message : String(error) } : {}),
            });
          }
        },
      });
    }
    const fieldRegistry = new FieldRegistry({ tx });
    await fieldRegistry.refresh();
    registry.current = fieldRegistry;
    const writes = new LeadWriteService({ tx, hasher, fields, onStatusChanged: options.onStatusChanged });
    const leads = new LeadService({ tx, writes, fields, refreshFields: () => fieldRegistry.refresh() });
    const ds = dataSource;
    const db = embedded;
    const replica = standby;
    return {
      dataSource: ds,
      kind: db ? "embedded" : "postgresql",
      secrets,
      hasher,
      writes,
      tx,
      lagTolerantReads,
      standby: replica,
      fields,
      fieldRegistry,
      leads,
      async close() {
        await replica?.destroy();
        await ds.destroy();
        await db?.stop();
      },
    };
  } catch (error) {
    if (standby?.isInitialized) await standby.destroy().catch(() => undefined);
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}

/** Connects, naming the variable when the server refuses (PgBouncer in transaction pooling refuses startup parameters). */
async function initialize(dataSource: DataSource, variable: string): Promise<void> {
  try {
    await dataSource.initialize();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/unsupported startup parameter/i.test(message)) {
      throw new Error(`${variable}: the server refused a connection parameter (${message}); behind PgBouncer in transaction pooling set DATABASE_POOL_MODE=transaction`);
    }
    throw error;
  }
}

/** DATABASE_MIGRATION_URL: migrations over a direct connection of their own, closed afterwards. */
async function migrateThrough(url: string, config: Config): Promise<string[]> {
  const direct = createDataSource({ url, poolSize: 1, statementTimeoutMs: 0, connectionTimeoutMs: config.connectionTimeoutMs });
  await initialize(direct, "DATABASE_MIGRATION_URL");
  try {
    return await migrate(direct, { lock: true });
  } finally {
    await direct.destroy();
  }
}

/**
 * Behind PgBouncer in transaction pooling no statement_timeout is sent (a session setting
 * would stay on a server connection that other clients then get): the role's or database's
 * setting applies. Say so when it is off.
 */
async function checkRoleTimeout(dataSource: DataSource, config: Config, logger: Logger): Promise<void> {
  if (config.statementTimeoutMs <= 0) return;
  const rows = (await dataSource.query("SELECT current_setting('statement_timeout') AS t")) as { t: string }[];
  if (rows[0]?.t === "0") {
    logger.log("warn", "DATABASE_POOL_MODE=transaction: DB_STATEMENT_TIMEOUT_MS is not sent through the pooler, and the server's statement_timeout is off; set it on the role (ALTER ROLE … SET statement_timeout = …)", {
      statementTimeoutMs: config.statementTimeoutMs,
    });
  }
}
