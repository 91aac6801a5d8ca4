/**
 * The configuration contract of SPEC §6. process.env is read here and nowhere else; a `.env`
 * file in the working directory fills in what the real environment does not set.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseEnv } from "node:util";
import path from "node:path";
import { readUsersFile, UsersFileError, type ApiUserConfig } from "./api-users";

export interface Config {
  readonly port: number;
  readonly host: string;
  /** postgres://… ; undefined selects the embedded database under dataDir. */
  readonly databaseUrl?: string;
  /** A direct connection for migrations (e.g. when databaseUrl is a PgBouncer, or its role may not change the schema). */
  readonly databaseMigrationUrl?: string;
  /** A streaming standby of databaseUrl's database, for the reads that may lag (README, Operations: scaling). */
  readonly databaseReadUrl?: string;
  /** How long a read from the standby waits for it to replay what the primary had committed when the request came; then it reads from the primary. */
  readonly readMaxLagMs: number;
  /**
   * "transaction": databaseUrl is PgBouncer in transaction pooling, so no session state is
   * relied on and no startup parameter (statement_timeout) is sent. "session": PostgreSQL
   * itself, or a pooler in session mode.
   */
  readonly databasePoolMode: "session" | "transaction";
  /** A call in flight counts towards concurrentCalls for at most this long (a process that died mid-call). */
  readonly callLimitLeaseMs: number;
  readonly dataDir: string;
  readonly mktowsUserId?: string;
  readonly mktowsEncryptionKey?: string;
  readonly adminToken?: string;
  readonly emailHashKey?: string;
  /** The Salesforce org whose outbound messages are accepted; with sfdcOutboundToken, enables /sfdc/outbound. */
  readonly sfdcOrganizationId?: string;
  /** The secret path segment of the Salesforce outbound-message endpoint. */
  readonly sfdcOutboundToken?: string;
  /** Sender authentication of the Salesforce endpoint: source networks (CIDR) and/or client certificate SHA-256 fingerprints. */
  readonly sfdcSenders?: { readonly networks?: string[]; readonly certFingerprints?: string[] };
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  /** Accepted clock difference of requestTimestamp, in seconds (SPEC §5: default ±15 min). */
  readonly timestampWindowSeconds: number;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  /** How long to wait for a database connection (a new one, or a free one from the pool). */
  readonly connectionTimeoutMs: number;
  /** A transaction still running after this long has its connection closed and fails (0: no limit). */
  readonly transactionTimeoutMs: number;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** How long a stop waits for in-flight requests before closing their connections. */
  readonly shutdownDrainMs: number;
  /** PEM certificate chain and private key: when both are set the server speaks HTTPS only. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Slow or idle clients: how long a request's headers, the whole request, and silence may take; open connections at most. */
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  /** Failed authentications a source may have in the window before it is refused (SOAP, admin API, web UI). */
  readonly authThrottle: { readonly maxFailures: number; readonly windowSeconds: number };
  /** How long unsubscribe links signed with the key before a rotation keep working. */
  readonly unsubscribeLinkGraceDays: number;
  /** Pushed changes of address status (issue 14): where, and the signing secret. */
  readonly webhook?: {
    readonly url: string;
    readonly secret: string;
    readonly timeoutMs: number;
    /** First retry delay; doubled per attempt, at most an hour. */
    readonly retryBaseMs: number;
    /** How long a lease lasts: longer than a delivery can take. */
    readonly leaseMs: number;
    readonly pollMs: number;
    /** Delivered events are kept this long (for replay), then deleted. */
    readonly retentionDays: number;
  };
  /** Users from MKTOWS_USERS_FILE (besides MKTOWS_USER_ID). */
  readonly apiUsers: ApiUserConfig[];
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged: Record<string, string | undefined> = { ...readDotEnv(path.join(cwd, ".env")), ...env };
  const get = (name: string): string | undefined => {
    const v = merged[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
    return n;
  };
  const databaseUrl = get("DATABASE_URL");
  const postgresUrl = (name: string): string | undefined => {
    const v = get(name);
    if (v && !/^postgres(ql)?:\/\//.test(v)) throw new ConfigError(`${name} must start with postgres:// or postgresql://`);
    if (v && name !== "DATABASE_URL" && !databaseUrl) throw new ConfigError(`${name} needs DATABASE_URL (the embedded database is one process's, with no standby or pooler)`);
    return v;
  };
  postgresUrl("DATABASE_URL");
  const databaseMigrationUrl = postgresUrl("DATABASE_MIGRATION_URL");
  const databaseReadUrl = postgresUrl("DATABASE_READ_URL");
  const poolMode = get("DATABASE_POOL_MODE") ?? "session";
  if (poolMode !== "session" && poolMode !== "transaction") throw new ConfigError(`DATABASE_POOL_MODE must be session or transaction, not '${poolMode}'`);
  if (poolMode === "transaction" && !databaseUrl) throw new ConfigError("DATABASE_POOL_MODE=transaction needs DATABASE_URL (a PgBouncer in transaction pooling)");
  const userId = get("MKTOWS_USER_ID");
  const key = get("MKTOWS_ENCRYPTION_KEY");
  if ((userId === undefined) !== (key === undefined)) throw new ConfigError("set both MKTOWS_USER_ID and MKTOWS_ENCRYPTION_KEY, or neither");
  // Secrets short enough to guess are refused (the users file asks the same of its keys).
  const minimum = (name: string, value: string | undefined, length: number) => {
    if (value !== undefined && value.length < length) throw new ConfigError(`${name} must be at least ${length} characters (it is ${value.length}); leave it unset to have one generated`);
  };
  minimum("MKTOWS_ENCRYPTION_KEY", key, 8);
  minimum("ADMIN_TOKEN", get("ADMIN_TOKEN"), 16);
  minimum("EMAIL_HASH_KEY", get("EMAIL_HASH_KEY"), 16);
  const sfdcOrganizationId = get("SFDC_ORGANIZATION_ID");
  const sfdcOutboundToken = get("SFDC_OUTBOUND_TOKEN");
  if ((sfdcOrganizationId === undefined) !== (sfdcOutboundToken === undefined)) throw new ConfigError("set both SFDC_ORGANIZATION_ID and SFDC_OUTBOUND_TOKEN, or neither");
  if (sfdcOrganizationId !== undefined && !/^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(sfdcOrganizationId)) {
    throw new ConfigError("SFDC_ORGANIZATION_ID must be a Salesforce organization id (00D…, 15 or 18 characters)");
  }
  // The token is the endpoint's only secret: long enough not to be guessed, and safe in a URL path.
  if (sfdcOutboundToken !== undefined && !/^[A-Za-z0-9._~-]{16,200}$/.test(sfdcOutboundToken)) {
    throw new ConfigError("SFDC_OUTBOUND_TOKEN must be 16 to 200 characters of A-Z a-z 0-9 . _ ~ -");
  }
  const sfdcSenders = sfdcSendersFrom(get("SFDC_ALLOWED_NETWORKS"), get("SFDC_CLIENT_CERT_SHA256"), get("TLS_CERT_FILE") !== undefined);
  const level = get("LOG_LEVEL") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, not '${level}'`);
  const publicUrl = get("PUBLIC_URL");
  if (publicUrl && !/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError("PUBLIC_URL must be an http:// or https:// URL");
  return {
    port: int("PORT", 8080, 0, 65535),
    host: get("HOST") ?? "0.0.0.0",
    databaseUrl,
    databaseMigrationUrl,
    databaseReadUrl,
    readMaxLagMs: int("DATABASE_READ_MAX_LAG_MS", 1000, 0, 600000),
    databasePoolMode: poolMode,
    callLimitLeaseMs: int("CALL_LIMIT_LEASE_MS", 120000, 1000, 86400000),
    dataDir: path.resolve(cwd, get("DATA_DIR") ?? "./data"),
    mktowsUserId: userId,
    mktowsEncryptionKey: key,
    adminToken: get("ADMIN_TOKEN"),
    emailHashKey: get("EMAIL_HASH_KEY"),
    sfdcOrganizationId,
    sfdcOutboundToken,
    sfdcSenders,
    publicUrl: publicUrl?.replace(/\/+$/, ""),
    trustProxy: /^(1|true|yes|on)$/i.test(get("TRUST_PROXY") ?? ""),
    timestampWindowSeconds: int("TIMESTAMP_WINDOW_SECONDS", 900, 1, 7 * 24 * 3600),
    maxBodyBytes: int("MAX_BODY_BYTES", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    poolSize: int("DB_POOL_SIZE", 10, 1, 200),
    statementTimeoutMs: int("DB_STATEMENT_TIMEOUT_MS", 30000, 0, 3600000),
    connectionTimeoutMs: int("DB_CONNECTION_TIMEOUT_MS", 10000, 100, 600000),
    transactionTimeoutMs: int("DB_TRANSACTION_TIMEOUT_MS", 60000, 0, 3600000),
    logLevel: level as Config["logLevel"],
    shutdownDrainMs: int("SHUTDOWN_DRAIN_MS", 10000, 0, 600000),
    http: httpLimits(int),
    unsubscribeLinkGraceDays: int("UNSUBSCRIBE_LINK_GRACE_DAYS", 90, 0, 3650),
    webhook: webhookFrom(get("WEBHOOK_URL"), get("WEBHOOK_SECRET"), {
      timeoutMs: int("WEBHOOK_TIMEOUT_MS", 10000, 100, 120000),
      retryBaseMs: int("WEBHOOK_RETRY_BASE_MS", 1000, 10, 3600000),
      leaseMs: int("WEBHOOK_LEASE_MS", 60000, 200, 3600000),
      pollMs: int("WEBHOOK_POLL_MS", 1000, 50, 600000),
      retentionDays: int("WEBHOOK_RETENTION_DAYS", 7, 0, 3650),
    }),
    authThrottle: { maxFailures: int("AUTH_MAX_FAILURES", 20, 1, 1000000), windowSeconds: int("AUTH_FAILURE_WINDOW_SECONDS", 60, 1, 86400) },
    apiUsers: usersFrom(get("MKTOWS_USERS_FILE"), cwd),
    tls: tlsFrom(get("TLS_CERT_FILE"), get("TLS_KEY_FILE"), cwd),
  };
}

function webhookFrom(url: string | undefined, secret: string | undefined, timing: Omit<NonNullable<Config["webhook"]>, "url" | "secret">): Config["webhook"] {
  if (!url && !secret) return undefined;
  if (!url || !secret) throw new ConfigError("set both WEBHOOK_URL and WEBHOOK_SECRET, or neither");
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError("WEBHOOK_URL must be an http:// or https:// URL");
  if (secret.length < 16) throw new ConfigError(`WEBHOOK_SECRET must be at least 16 characters (it is ${secret.length})`);
  if (timing.leaseMs <= timing.timeoutMs) throw new ConfigError("WEBHOOK_LEASE_MS must be longer than WEBHOOK_TIMEOUT_MS (a lease must outlast a delivery)");
  return { url, secret, ...timing };
}

function httpLimits(int: (name: string, fallback: number, min: number, max: number) => number): Config["http"] {
  const requestTimeoutMs = int("HTTP_REQUEST_TIMEOUT_MS", 60000, 1000, 3600000);
  const headersTimeoutMs = int("HTTP_HEADERS_TIMEOUT_MS", Math.min(20000, requestTimeoutMs), 1000, 3600000);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError("HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS");
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: int("HTTP_IDLE_TIMEOUT_MS", 30000, 1000, 3600000),
    keepAliveTimeoutMs: int("HTTP_KEEPALIVE_TIMEOUT_MS", 5000, 100, 600000),
    maxConnections: int("HTTP_MAX_CONNECTIONS", 1024, 1, 1000000),
  };
}

function sfdcSendersFrom(networks: string | undefined, fingerprints: string | undefined, tls: boolean): Config["sfdcSenders"] {
  if (!networks && !fingerprints) return undefined;
  const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const nets = list(networks);
  for (const n of nets) {
    const [address, bits, extra] = n.split("/");
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(`SFDC_ALLOWED_NETWORKS: '${n}' is not an IP address or CIDR network (e.g. 13.108.0.0/14)`);
    }
  }
  const prints = list(fingerprints).map((f) => f.replace(/:/g, "").toLowerCase());
  for (const f of prints) if (!/^[0-9a-f]{64}$/.test(f)) throw new ConfigError("SFDC_CLIENT_CERT_SHA256 takes SHA-256 fingerprints (64 hex digits, colons allowed)");
  if (prints.length > 0 && !tls) throw new ConfigError("SFDC_CLIENT_CERT_SHA256 needs TLS_CERT_FILE and TLS_KEY_FILE: a client certificate is only sent over HTTPS");
  return { ...(nets.length ? { networks: nets } : {}), ...(prints.length ? { certFingerprints: prints } : {}) };
}

function tlsFrom(certFile: string | undefined, keyFile: string | undefined, cwd: string): Config["tls"] {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ConfigError("set both TLS_CERT_FILE and TLS_KEY_FILE, or neither");
  const read = (name: string, file: string) => {
    try {
      return readFileSync(path.resolve(cwd, file));
    } catch (error) {
      throw new ConfigError(`${name} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  return { cert: read("TLS_CERT_FILE", certFile), key: read("TLS_KEY_FILE", keyFile) };
}

function usersFrom(file: string | undefined, cwd: string): ApiUserConfig[] {
  if (!file) return [];
  try {
    return readUsersFile(path.resolve(cwd, file));
  } catch (error) {
    if (error instanceof UsersFileError) throw new ConfigError(error.message);
    throw error;
  }
}

/** A `.env` file read with Node's own parser (quotes, `export`, inline `# comments`); only what the environment does not set is used. */
function readDotEnv(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
}
