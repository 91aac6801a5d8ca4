/**
 * The composition root: config → database → secrets → services → HTTP. main.ts runs it as a
 * process; the tests start it in-process the same way.
 */
import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { DataSource } from "typeorm";
import { createAdminRouter } from "./admin/admin-router";
import type { Config } from "./config";
import { EmailStatusQueryService } from "./domain/email-status-query.service";
import { EmailStatusService } from "./domain/email-status.service";
import { CampaignService } from "./domain/campaign.service";
import { FieldRegistry } from "./domain/field-registry";
import { FieldCatalogue } from "./domain/lead-fields";
import { MergeService } from "./domain/merge.service";
import { ErasureService } from "./domain/erasure.service";
import { LeadStreamService } from "./domain/lead-stream.service";
import { LeadService } from "./domain/lead.service";
import { ListService } from "./domain/list.service";
import type { Logger } from "./logger";
import { createDataSource, migrate } from "./persistence/data-source";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./persistence/embedded-database";
import { loadInstanceSecrets, type InstanceSecrets } from "./persistence/instance-secrets";
import { TypeOrmTransactionRunner } from "./persistence/transaction-runner";
import type { ApiUser } from "./soap/auth";
import { mountSoap, soapErrorHandler } from "./soap/soap-server";

export interface Application {
  readonly url: string;
  readonly secrets: InstanceSecrets;
  readonly dataSource: DataSource;
  readonly databaseKind: "postgresql" | "embedded";
  stop(): Promise<void>;
}

export async function startApplication(config: Config, logger: Logger): Promise<Application> {
  let embedded: EmbeddedDatabase | undefined;
  let dataSource: DataSource | undefined;
  try {
    const url = config.databaseUrl ?? (embedded = await startEmbeddedDatabase(config.dataDir)).url;
    // The hash key comes from the database, and the subscriber needs the hasher: the hasher reads
    // a slot filled right after the secrets load, before any lead is written.
    const hashKey: { value?: string } = {};
    const hasher = (key: string): string => {
      if (!hashKey.value) throw new Error("email hash key not loaded yet");
      return createHmac("sha256", hashKey.value).update(key, "utf8").digest("hex");
    };
    // The catalogue of declared fields loads once the database is up; until then, the standard one.
    const standardCatalogue = new FieldCatalogue();
    const registry: { current?: FieldRegistry } = {};
    const fields = () => registry.current?.current() ?? standardCatalogue;
    const rules = new EmailStatusService({ hasher, fields });
    dataSource = createDataSource({
      url,
      poolSize: embedded ? 4 : config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      rules,
    });
    await dataSource.initialize();
    const applied = await migrate(dataSource, { lock: !embedded });
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
      onRetry: (attempt, error) => logger.log("debug", "transaction retried", { attempt, error: String(error) }),
    });
    const fieldRegistry = new FieldRegistry({ tx });
    await fieldRegistry.refresh();
    registry.current = fieldRegistry;
    const leads = new LeadService({ tx, emailStatus: rules, hasher, fields, refreshFields: () => fieldRegistry.refresh() });
    const emailStatus = new EmailStatusQueryService({ tx, hasher });
    const streams = new LeadStreamService({ tx, hasher });
    const lists = new ListService({ tx, hasher });
    const merges = new MergeService({ tx, hasher, emailStatus: rules });
    const erasure = new ErasureService({ tx, hasher, emailStatus: rules });
    const campaigns = new CampaignService({ tx, hasher, leads });
    const users = new Map<string, ApiUser>([[secrets.mktowsUserId, { id: secrets.mktowsUserId, encryptionKey: secrets.mktowsEncryptionKey }]]);

    const app = express();
    app.disable("x-powered-by");
    app.set("trust proxy", config.trustProxy);
    app.get("/healthz", async (_req, res) => {
      try {
        await dataSource?.query("SELECT 1");
        res.json({ status: "ok", database: embedded ? "embedded" : "postgresql" });
      } catch {
        res.status(503).json({ status: "unavailable", database: embedded ? "embedded" : "postgresql" });
      }
    });
    mountSoap(app, {
      findUser: (id) => users.get(id),
      timestampWindowSeconds: config.timestampWindowSeconds,
      maxBodyBytes: config.maxBodyBytes,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      logger,
      services: { leads, streams, lists, merges, campaigns, fields, limits: { maxBatchRecords: 1000 } },
    });
    app.use(
      "/admin/api",
      createAdminRouter({
        adminToken: secrets.adminToken,
        leads,
        emailStatus,
        erasure,
        lists,
        fields: fieldRegistry,
        campaigns,
        partitionName: async (id) => (await tx.run((repos) => repos.partitions.nameOf(id))) ?? String(id),
        logger,
      }),
    );
    app.use(soapErrorHandler);

    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once("error", reject);
    });
    const port = (server.address() as AddressInfo).port;
    const ds = dataSource;
    const db = embedded;
    return {
      url: `http://127.0.0.1:${port}`,
      secrets,
      dataSource: ds,
      databaseKind: db ? "embedded" : "postgresql",
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
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
