/**
 * The composition root: config → database → secrets → services → HTTP. main.ts runs it as a
 * process; the tests start it in-process the same way.
 */
import http, { type Server } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import express from "express";
import type { DataSource } from "typeorm";
import { createAdminRouter } from "./admin/admin-router";
import type { Config } from "./config";
import { EmailStatusQueryService } from "./domain/email-status-query.service";
import { CampaignService } from "./domain/campaign.service";
import { MergeService } from "./domain/merge.service";
import { BatchSyncService } from "./domain/batch-sync.service";
import { ErasureService } from "./domain/erasure.service";
import { LeadQueryService } from "./domain/lead-query.service";
import { LeadStreamService } from "./domain/lead-stream.service";
import { ListService } from "./domain/list.service";
import { SfdcSyncService } from "./domain/sfdc-sync.service";
import type { Logger } from "./logger";
import { Metrics, type PoolStats } from "./metrics";
import { loadLinkKeys, type InstanceSecrets } from "./persistence/instance-secrets";
import { openDatabase } from "./database";
import { AuthThrottle } from "./auth-throttle";
import { SqlUiSessionRevocations } from "./persistence/ui-sessions";
import type { ApiUser } from "./soap/auth";
import { CallLimiter } from "./soap/call-limits";
import { mountSoap, soapErrorHandler } from "./soap/soap-server";
import { positionSigner } from "./soap/mappers/stream-position";
import { createSfdcRouter } from "./sfdc/sfdc-router";
import { LeadSearchService } from "./domain/lead-search.service";
import { createPersonPageRouter } from "./web/person-page.router";
import { createOneClickRouter } from "./web/one-click.router";
import { homePage } from "./web/home";
import { OneClickService } from "./domain/one-click.service";
import { SqlOutboxStore } from "./persistence/webhook-outbox";
import { SqlCallCounter } from "./persistence/sql-call-counter";
import { WebhookDispatcher } from "./webhook/dispatcher";

export interface Application {
  readonly url: string;
  readonly secrets: InstanceSecrets;
  readonly dataSource: DataSource;
  readonly databaseKind: "postgresql" | "embedded";
  stop(drainMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Called as soon as the secrets are loaded, before listening: a start that then fails has shown what it generated. */
  readonly onSecrets?: (secrets: InstanceSecrets) => void;
}

export async function startApplication(config: Config, logger: Logger, options: StartOptions = {}): Promise<Application> {
  const pool: { dataSource?: DataSource } = {};
  const metrics = new Metrics(() => poolStats(pool.dataSource));
  const webhook: { dispatcher?: WebhookDispatcher } = {};
  const database = await openDatabase(config, logger, {
    onStatusChanged: (e) => {
      metrics.statusChanged(e);
      webhook.dispatcher?.poke();
    },
    onStandbyRead: (where, reason) => metrics.standbyRead(where, reason),
  });
  try {
    options.onSecrets?.(database.secrets);
    const { dataSource, secrets, hasher, writes, tx, lagTolerantReads, fields, fieldRegistry, leads } = database;
    pool.dataSource = dataSource;
    const queries = new LeadQueryService({ tx, hasher });
    const emailStatus = new EmailStatusQueryService({ tx, hasher, exportReads: lagTolerantReads });
    const streams = new LeadStreamService({ tx, hasher, pageReads: lagTolerantReads });
    const lists = new ListService({ tx, hasher, writes });
    const merges = new MergeService({ tx, hasher, writes });
    const batches = new BatchSyncService({ tx, leads });
    const erasure = new ErasureService({ tx, writes });
    const campaigns = new CampaignService({ tx, hasher, leads });
    const search = new LeadSearchService({ tx: lagTolerantReads, hasher });
    const outbox = new SqlOutboxStore(dataSource);
    // The outbox is filled by a trigger while the database's webhook setting is on: a process
    // with WEBHOOK_URL turns it on for every process and command of the database.
    if (config.webhook) await outbox.setEnabled(true);
    else if (await outbox.enabled()) logger.log("warn", "the webhook outbox of this database is on (another process has WEBHOOK_URL); this process writes events but does not send them", {});
    if (config.webhook) {
      const dispatcher = new WebhookDispatcher(outbox, config.webhook, logger);
      webhook.dispatcher = dispatcher;
      metrics.outbox = () => dispatcher.depth;
    }
    const oneClick = new OneClickService({ tx, hasher, writes, linkKeys: () => loadLinkKeys(dataSource) });
    const sfdc = config.sfdcOrganizationId ? new SfdcSyncService({ tx, hasher, leads, organizationId: config.sfdcOrganizationId }) : undefined;
    // The user of MKTOWS_USER_ID (or the generated one), then those of MKTOWS_USERS_FILE.
    const users = new Map<string, ApiUser>([[secrets.mktowsUserId, { id: secrets.mktowsUserId, encryptionKey: secrets.mktowsEncryptionKey }]]);
    for (const u of config.apiUsers) users.set(u.id, u);

    // One throttle of failed authentications for SOAP, the admin API and the web UI login.
    const throttle = new AuthThrottle({ maxFailures: config.authThrottle.maxFailures, windowMs: config.authThrottle.windowSeconds * 1000 });
    const app = express();
    app.disable("x-powered-by");
    // One trusted hop: the client address is the one the proxy in front saw (the right-most
    // X-Forwarded-For entry), which a client cannot choose; `true` would take the left-most.
    app.set("trust proxy", config.trustProxy ? 1 : false);
    app.use(metrics.middleware);
    app.get("/", homePage);
    app.get("/metrics", async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.render());
    });
    app.get("/healthz", async (_req, res) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        // Bounded: a hung database answers 503, not a hanging health check.
        await Promise.race([
          dataSource.query("SELECT 1"),
          new Promise((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error("database did not answer")), config.connectionTimeoutMs);
          }),
        ]);
        res.json({ status: "ok", database: database.kind });
      } catch {
        res.status(503).json({ status: "unavailable", database: database.kind });
      } finally {
        clearTimeout(timer);
      }
    });
    await mountSoap(app, {
      findUser: (id) => users.get(id),
      timestampWindowSeconds: config.timestampWindowSeconds,
      maxBodyBytes: config.maxBodyBytes,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      logger,
      // Shared by every process of a PostgreSQL database; the embedded one is one process's.
      limiter:
        database.kind === "postgresql"
          ? new CallLimiter(new SqlCallCounter(dataSource, config.callLimitLeaseMs, (error) => logger.log("warn", "a call in flight could not be released (its lease ends it)", { error: String(error) })))
          : new CallLimiter(),
      throttle,
      onRequest: (operation, outcome, code, seconds) => metrics.soapRequest(operation, outcome, code, seconds),
      onRefused: (reason, code) => metrics.soapRefused(reason, code),
      services: { leads, queries, streams, lists, merges, batches, campaigns, fields, limits: { maxBatchRecords: 1000 }, positions: positionSigner(secrets.emailHashKey) },
    });
    app.use(
      "/admin/api",
      createAdminRouter({
        adminToken: secrets.adminToken,
        leads,
        queries,
        emailStatus,
        erasure,
        lists,
        fields: fieldRegistry,
        campaigns,
        partitionName: async (id) => (await tx.run((repos) => repos.partitions.nameOf(id))) ?? String(id),
        logger,
        throttle,
        sfdc,
        oneClick,
        search,
        publicUrl: config.publicUrl,
        outbox,
      }),
    );
    app.use(
      "/sfdc",
      createSfdcRouter({
        outboundToken: config.sfdcOutboundToken,
        sync: sfdc,
        maxBodyBytes: config.maxBodyBytes,
        publicUrl: config.publicUrl,
        logger,
        senders: config.sfdcSenders,
      }),
    );
    app.use(
      "/ui",
      createPersonPageRouter({
        adminToken: secrets.adminToken,
        leads,
        queries,
        search,
        sessions: new SqlUiSessionRevocations(dataSource),
        emailStatus,
        erasure,
        fieldLabel: (name) => fields().displayName(name),
        partitionName: async (id) => (await tx.run((repos) => repos.partitions.nameOf(id))) ?? String(id),
        logger,
        throttle,
      }),
    );
    app.use("/u", createOneClickRouter({ oneClick, logger }));
    app.use(soapErrorHandler((reason, code) => metrics.soapRefused(reason, code)));

    // HTTPS when a certificate is configured (for clients that cannot be pointed at plain HTTP).
    // Slow clients (one byte a second) and idle ones are cut off; requestTimeout is checked
    // every second rather than Node's default 30 s.
    const limits = { requestTimeout: config.http.requestTimeoutMs, headersTimeout: config.http.headersTimeoutMs, keepAliveTimeout: config.http.keepAliveTimeoutMs, connectionsCheckingInterval: 1000 };
    const server: Server = config.tls ? https.createServer({ cert: config.tls.cert, key: config.tls.key, ...clientCerts(config), ...limits }, app) : http.createServer(limits, app);
    server.timeout = config.http.idleTimeoutMs;
    server.maxConnections = config.http.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    webhook.dispatcher?.start();
    return {
      url: `${config.tls ? "https" : "http"}://127.0.0.1:${port}`,
      secrets,
      dataSource,
      databaseKind: database.kind,
      /**
       * Graceful stop: refuse new connections, let in-flight requests finish (idle keep-alive
       * connections are closed at once), cut what is still open after the drain bound, then
       * close the pool and the embedded database.
       */
      async stop(drainMs = config.shutdownDrainMs) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // A keep-alive connection whose request finishes during the drain stays open (and holds
        // the close) until its client drops it: close each one as soon as it is idle.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const timer = setTimeout(() => server.closeAllConnections(), drainMs);
        await closed;
        clearInterval(sweep);
        clearTimeout(timer);
        await webhook.dispatcher?.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** The pg pool behind TypeORM's postgres driver, for the pool gauges. */
function poolStats(dataSource: DataSource | undefined): PoolStats | undefined {
  const pool = (dataSource?.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } } | undefined)?.master;
  return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined;
}

/**
 * With SFDC_CLIENT_CERT_SHA256, the TLS handshake asks for a client certificate (Salesforce
 * sends its own when the endpoint asks) without requiring one: the Salesforce route checks its
 * fingerprint, and every other route ignores it.
 */
function clientCerts(config: Config): { requestCert?: boolean; rejectUnauthorized?: boolean } {
  return config.sfdcSenders?.certFingerprints ? { requestCert: true, rejectUnauthorized: false } : {};
}
