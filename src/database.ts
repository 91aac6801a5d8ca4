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
import { TypeOrmTransactionRunner } from "./persistence/transaction-runner";

export interface Database {
  readonly dataSource: DataSource;
  readonly kind: "postgresql" | "embedded";
  readonly secrets: InstanceSecrets;
  readonly hasher: EmailHasher;
  /** The one write path (every lead, activity and email-status write). */
  readonly writes: LeadWriteService;
  readonly tx: TransactionRunner;
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
}

export async function openDatabase(config: Config, logger: Logger, options: DatabaseOptions = {}): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let dataSource: DataSource | undefined;
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
    });
    await dataSource.initialize();
    // PGlite behind a socket (ours, or one a test or operator started) is one shared session:
    // see readsInTransactions. Its advisory locks exclude nothing, and it is one process's anyway.
    const version = String((await dataSource.query("SELECT version() AS v"))[0]?.v ?? "");
    const sharedSession = !!embedded || version.includes("PGlite");
    const applied = await migrate(dataSource, { lock: !sharedSession });
    if (applied.length) logger.log("info", "migrations applied", { migrations: applied });
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
    const fieldRegistry = new FieldRegistry({ tx });
    await fieldRegistry.refresh();
    registry.current = fieldRegistry;
    const writes = new LeadWriteService({ tx, hasher, fields, onStatusChanged: options.onStatusChanged });
    const leads = new LeadService({ tx, writes, fields, refreshFields: () => fieldRegistry.refresh() });
    const ds = dataSource;
    const db = embedded;
    return {
      dataSource: ds,
      kind: db ? "embedded" : "postgresql",
      secrets,
      hasher,
      writes,
      tx,
      fields,
      fieldRegistry,
      leads,
      async close() {
        await ds.destroy();
        await db?.stop();
      },
    };
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
