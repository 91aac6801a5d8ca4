/**
 * SOAP API users (SPEC §6 MKTOWS_USERS_FILE): each with its encryption key, optionally limited
 * to workspaces, with Marketo's limits (off by default) and the permission to re-subscribe
 * (on by default, as in Marketo).
 */
import { readFileSync } from "node:fs";

export interface UserLimits {
  /** Calls per 20 seconds (Marketo: 100) → fault 20023 above it. */
  readonly callsPer20Seconds?: number;
  /** Calls in flight at once (Marketo: 10) → fault 20024 above it. */
  readonly concurrentCalls?: number;
  /** Calls per day, reset at midnight US Central time (Marketo: 10,000) → fault 20015. */
  readonly dailyQuota?: number;
}

export interface ApiUserConfig {
  readonly id: string;
  readonly encryptionKey: string;
  /** Workspace names this user may work in; every workspace when absent. */
  readonly workspaces?: string[];
  readonly limits?: UserLimits;
  readonly mayResubscribe: boolean;
}

export class UsersFileError extends Error {}

/** Reads and checks the users file: `[{ "id", "key", "workspaces"?, "limits"?, "mayResubscribe"? }]`. */
export function readUsersFile(file: string): ApiUserConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsersFileError(`MKTOWS_USERS_FILE ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(raw)) throw new UsersFileError(`MKTOWS_USERS_FILE ${file}: expected a JSON array of users`);
  const seen = new Set<string>();
  return raw.map((u: unknown, i: number) => {
    const where = `MKTOWS_USERS_FILE ${file}, user ${i + 1}`;
    if (!u || typeof u !== "object" || Array.isArray(u)) throw new UsersFileError(`${where}: expected an object`);
    const o = u as Record<string, unknown>;
    const known = new Set(["id", "key", "encryptionKey", "workspaces", "limits", "mayResubscribe"]);
    const unknown = Object.keys(o).filter((k) => !known.has(k));
    if (unknown.length) throw new UsersFileError(`${where}: unknown properties ${unknown.join(", ")}`);
    const id = o.id;
    const key = o.key ?? o.encryptionKey;
    if (typeof id !== "string" || !id.trim()) throw new UsersFileError(`${where}: "id" must be a non-empty string`);
    if (typeof key !== "string" || key.length < 8) throw new UsersFileError(`${where}: "key" must be a string of at least 8 characters`);
    if (seen.has(id)) throw new UsersFileError(`${where}: user id ${id} appears twice`);
    seen.add(id);
    let workspaces: string[] | undefined;
    if (o.workspaces !== undefined) {
      if (!Array.isArray(o.workspaces) || o.workspaces.length === 0 || !o.workspaces.every((w) => typeof w === "string" && w.trim())) {
        throw new UsersFileError(`${where}: "workspaces" must be a non-empty array of workspace names`);
      }
      workspaces = o.workspaces.map((w: string) => w.trim());
    }
    let limits: UserLimits | undefined;
    if (o.limits !== undefined) {
      const l = o.limits as Record<string, unknown>;
      if (!l || typeof l !== "object") throw new UsersFileError(`${where}: "limits" must be an object`);
      const n = (name: string) => {
        const v = l[name];
        if (v === undefined) return undefined;
        if (!Number.isInteger(v) || (v as number) < 1) throw new UsersFileError(`${where}: limits.${name} must be a whole number ≥ 1`);
        return v as number;
      };
      const extra = Object.keys(l).filter((k) => !["callsPer20Seconds", "concurrentCalls", "dailyQuota"].includes(k));
      if (extra.length) throw new UsersFileError(`${where}: unknown limits ${extra.join(", ")}`);
      limits = { callsPer20Seconds: n("callsPer20Seconds"), concurrentCalls: n("concurrentCalls"), dailyQuota: n("dailyQuota") };
    }
    if (o.mayResubscribe !== undefined && typeof o.mayResubscribe !== "boolean") throw new UsersFileError(`${where}: "mayResubscribe" must be true or false`);
    return { id: id.trim(), encryptionKey: key, workspaces, limits, mayResubscribe: o.mayResubscribe !== false };
  });
}
