/**
 * Instance secrets (SPEC §1): the email hash key, the generated SOAP API credentials and the
 * admin token. Each is taken from the environment when set, otherwise generated once and kept
 * in the database, so every process on one database agrees. The database also keeps a check
 * value of the hash key: a process started with a different EMAIL_HASH_KEY refuses to start,
 * since a wrong key would silently detach every address from its unsubscribe.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { rowsOf } from "./repositories/lead.repository";

const INSERT_SECRET = `INSERT INTO instance_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING name`;
const READ_SECRET = `SELECT value FROM instance_secret WHERE name = $1`;

/** The generated secrets an operator can rotate, by the name `npm run secrets rotate` takes. */
export const ROTATABLE = {
  "admin-token": { name: "admin_token", env: "ADMIN_TOKEN", make: () => randomBytes(24).toString("base64url") },
  "soap-key": { name: "mktows_encryption_key", env: "MKTOWS_ENCRYPTION_KEY", make: () => randomBytes(22).toString("hex").toUpperCase() },
} as const;

export type RotatableSecret = keyof typeof ROTATABLE;

export class HashKeyMismatchError extends Error {}

export interface InstanceSecrets {
  readonly emailHashKey: string;
  readonly mktowsUserId: string;
  readonly mktowsEncryptionKey: string;
  readonly adminToken: string;
  /** Names of the secrets this start generated (to print once). */
  readonly generated: string[];
}

export interface SecretsFromEnv {
  readonly emailHashKey?: string;
  readonly mktowsUserId?: string;
  readonly mktowsEncryptionKey?: string;
  readonly adminToken?: string;
}

export async function loadInstanceSecrets(dataSource: DataSource, env: SecretsFromEnv): Promise<InstanceSecrets> {
  const generated: string[] = [];
  const stored = async (name: string, make: () => string, manager?: EntityManager): Promise<string> => {
    const work = async (m: EntityManager) => {
      const inserted = rowsOf(await m.query(INSERT_SECRET, [name, make()]));
      if (inserted.length > 0) generated.push(name);
      return String(rowsOf(await m.query(READ_SECRET, [name]))[0].value);
    };
    return manager ? work(manager) : dataSource.transaction(work);
  };

  // The key and its check in one transaction: a refused start rolls back a key it generated
  // (a start without EMAIL_HASH_KEY on a database whose key came from the environment).
  const emailHashKey = await dataSource.transaction(async (m) => {
    const key = env.emailHashKey ?? (await stored("email_hash_key", () => randomBytes(32).toString("hex"), m));
    const check = hashKeyCheck(key);
    const storedCheck = await stored("email_hash_key_check", () => check, m);
    if (storedCheck !== check) {
      throw new HashKeyMismatchError(
        "EMAIL_HASH_KEY does not match the key this database was created with: every stored unsubscribe would be lost. " +
          "Start with the original key (or unset EMAIL_HASH_KEY if the database generated it).",
      );
    }
    return key;
  });
  generated.splice(generated.indexOf("email_hash_key_check") >>> 0, generated.includes("email_hash_key_check") ? 1 : 0);

  let mktowsUserId = env.mktowsUserId;
  let mktowsEncryptionKey = env.mktowsEncryptionKey;
  if (!mktowsUserId || !mktowsEncryptionKey) {
    mktowsUserId = await stored("mktows_user_id", () => `mktows1_${randomBytes(11).toString("hex").toUpperCase()}`);
    mktowsEncryptionKey = await stored("mktows_encryption_key", ROTATABLE["soap-key"].make);
  }
  const adminToken = env.adminToken ?? (await stored("admin_token", ROTATABLE["admin-token"].make));
  // The unsubscribe-link key: made here once; read by loadLinkKeys (it changes without a restart).
  await stored("unsubscribe_link_key", () => randomBytes(32).toString("base64url"));
  return { emailHashKey, mktowsUserId, mktowsEncryptionKey, adminToken, generated };
}

/** A value that tells whether a key is the database's key without revealing it. */
export function hashKeyCheck(key: string): string {
  return createHmac("sha256", key).update("mktows email hash key check v1").digest("hex");
}

/** Replaces a generated secret in the database; returns the new value. */
export async function rotateInstanceSecret(dataSource: DataSource, which: RotatableSecret): Promise<string> {
  const { name, make } = ROTATABLE[which];
  const value = make();
  await dataSource.query(`INSERT INTO instance_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, [name, value]);
  return value;
}

/**
 * The unsubscribe-link keys: the current one, and those a rotation replaced, each with the time
 * until which its links keep working (a bad time counts as passed).
 */
export async function loadLinkKeys(dataSource: DataSource): Promise<{ current: { secret: string }; previous: { secret: string; until: Date }[] }> {
  const rows = rowsOf(await dataSource.query(`SELECT name, value FROM instance_secret WHERE name IN ('unsubscribe_link_key', 'unsubscribe_link_keys_previous')`));
  const current = rows.find((r) => r.name === "unsubscribe_link_key")?.value;
  if (typeof current !== "string") throw new Error("the unsubscribe link key is missing from instance_secret");
  return { current: { secret: current }, previous: previousKeys(rows.find((r) => r.name === "unsubscribe_link_keys_previous")?.value) };
}

function previousKeys(raw: unknown): { secret: string; until: Date }[] {
  try {
    const list = JSON.parse(typeof raw === "string" ? raw : "[]") as unknown;
    if (!Array.isArray(list)) return [];
    return list
      .filter((k): k is { secret: string; until: string } => typeof k?.secret === "string" && typeof k?.until === "string")
      .map((k) => ({ secret: k.secret, until: new Date(k.until) }))
      .filter((k) => !Number.isNaN(k.until.getTime()));
  } catch {
    return [];
  }
}

/**
 * A new unsubscribe-link key; links signed with the ones before keep working until their own
 * grace time ends (each rotation gives the key it replaces `graceDays`). Returns that time.
 */
export async function rotateLinkKey(dataSource: DataSource, graceDays: number): Promise<Date> {
  const until = new Date(Date.now() + graceDays * 86400_000);
  await dataSource.transaction(async (m) => {
    const rows = rowsOf(await m.query(`SELECT name, value FROM instance_secret WHERE name IN ('unsubscribe_link_key', 'unsubscribe_link_keys_previous') FOR UPDATE`));
    const current = rows.find((r) => r.name === "unsubscribe_link_key")?.value;
    const kept = previousKeys(rows.find((r) => r.name === "unsubscribe_link_keys_previous")?.value).filter((k) => k.until.getTime() > Date.now());
    const previous = [...(typeof current === "string" ? [{ secret: current, until }] : []), ...kept].map((k) => ({ secret: k.secret, until: k.until.toISOString() }));
    const upsert = `INSERT INTO instance_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`;
    await m.query(upsert, ["unsubscribe_link_keys_previous", JSON.stringify(previous)]);
    await m.query(upsert, ["unsubscribe_link_key", randomBytes(32).toString("base64url")]);
  });
  return until;
}
