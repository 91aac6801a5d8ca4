/**
 * The instance secrets as an operator reads them: the lines the start that generated them
 * prints (main.ts, the import command), and what `npm run secrets` shows.
 */
import type { InstanceSecrets } from "./persistence/instance-secrets";

/** Lines for the secrets this start generated; none when it generated none. */
export function generatedSecretLines(secrets: InstanceSecrets): string[] {
  const g = secrets.generated;
  if (g.length === 0) return [];
  return [
    "Generated instance secrets (kept in the database; `npm run secrets` shows them again):",
    ...(g.includes("mktows_user_id") ? [`  MKTOWS_USER_ID=${secrets.mktowsUserId}`, `  MKTOWS_ENCRYPTION_KEY=${secrets.mktowsEncryptionKey}`] : []),
    ...(g.includes("admin_token") ? [`  ADMIN_TOKEN=${secrets.adminToken}`] : []),
    ...(g.includes("email_hash_key") ? ["  EMAIL_HASH_KEY: generated and stored in the database (instance_secret table)"] : []),
  ];
}

/** Every secret with where it comes from (the environment or the database). */
export function allSecretLines(secrets: InstanceSecrets, fromEnv: { readonly [name: string]: boolean }): string[] {
  const where = (name: string) => (fromEnv[name] ? "from the environment" : "generated, stored in the database");
  return [
    `MKTOWS_USER_ID=${secrets.mktowsUserId}          # ${where("MKTOWS_USER_ID")}`,
    `MKTOWS_ENCRYPTION_KEY=${secrets.mktowsEncryptionKey}   # ${where("MKTOWS_ENCRYPTION_KEY")}`,
    `ADMIN_TOKEN=${secrets.adminToken}   # ${where("ADMIN_TOKEN")}`,
    `EMAIL_HASH_KEY=${secrets.emailHashKey}   # ${where("EMAIL_HASH_KEY")}; never change it on a database in use`,
  ];
}
