/**
 * The email key (SPEC §1): key(email) = lowercase(NFC(trim(email))).
 * This is the single definition. SQL never re-derives it: PostgreSQL's lower() and
 * JavaScript's toLowerCase() fold some characters differently.
 */
import { createHmac } from "node:crypto";

export function emailKey(email: string | null | undefined): string | null {
  if (email === null || email === undefined) return null;
  const key = email.trim().normalize("NFC").toLowerCase();
  return key === "" ? null : key;
}

/** An email given as empty or blank means "not given" (SPEC D5). */
export function isEmailGiven(email: string | null | undefined): email is string {
  return emailKey(email) !== null;
}

/** Computes the keyed hash (HMAC-SHA256 with the instance secret) of an email key. */
export type EmailHasher = (key: string) => string;

/** The keyed hash itself: every process on one database (server, import) must compute it this way. */
export function hmacEmailKey(secret: string, key: string): string {
  return createHmac("sha256", secret).update(key, "utf8").digest("hex");
}
