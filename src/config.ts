/**
 * The configuration contract of SPEC §6. process.env is read here and nowhere else; a `.env`
 * file in the working directory fills in what the real environment does not set.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface Config {
  readonly port: number;
  readonly host: string;
  /** postgres://… ; undefined selects the embedded database under dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly mktowsUserId?: string;
  readonly mktowsEncryptionKey?: string;
  readonly adminToken?: string;
  readonly emailHashKey?: string;
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  /** Accepted clock difference of requestTimestamp, in seconds (SPEC §5: default ±15 min). */
  readonly timestampWindowSeconds: number;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly logLevel: "debug" | "info" | "warn" | "error";
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
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  const userId = get("MKTOWS_USER_ID");
  const key = get("MKTOWS_ENCRYPTION_KEY");
  if ((userId === undefined) !== (key === undefined)) throw new ConfigError("set both MKTOWS_USER_ID and MKTOWS_ENCRYPTION_KEY, or neither");
  const level = get("LOG_LEVEL") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, not '${level}'`);
  const publicUrl = get("PUBLIC_URL");
  if (publicUrl && !/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError("PUBLIC_URL must be an http:// or https:// URL");
  return {
    port: int("PORT", 8080, 0, 65535),
    host: get("HOST") ?? "0.0.0.0",
    databaseUrl,
    dataDir: path.resolve(cwd, get("DATA_DIR") ?? "./data"),
    mktowsUserId: userId,
    mktowsEncryptionKey: key,
    adminToken: get("ADMIN_TOKEN"),
    emailHashKey: get("EMAIL_HASH_KEY"),
    publicUrl: publicUrl?.replace(/\/+$/, ""),
    trustProxy: /^(1|true|yes|on)$/i.test(get("TRUST_PROXY") ?? ""),
    timestampWindowSeconds: int("TIMESTAMP_WINDOW_SECONDS", 900, 1, 7 * 24 * 3600),
    maxBodyBytes: int("MAX_BODY_BYTES", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    poolSize: int("DB_POOL_SIZE", 10, 1, 200),
    statementTimeoutMs: int("DB_STATEMENT_TIMEOUT_MS", 30000, 0, 3600000),
    logLevel: level as Config["logLevel"],
  };
}

/** KEY=value lines; # comments; optional quotes. Only what the environment does not set is used. */
function readDotEnv(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith("#")) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}
