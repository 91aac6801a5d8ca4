/**
 * Marketo's request signature (reference §2): lowercase hex HMAC-SHA1 of
 * requestTimestamp + mktowsUserId, keyed by the user's encryption key as given. The HMAC is
 * computed over the literal timestamp string received; the timestamp is parsed leniently only
 * to check its age.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { MarketoCodes, MarketoFault } from "./faults";

export interface ApiUser {
  readonly id: string;
  readonly encryptionKey: string;
  /** Workspace names the user may work in; every workspace when absent. */
  readonly workspaces?: string[];
  readonly limits?: import("../api-users").UserLimits;
  /** May this user re-subscribe an address (D2)? Marketo allowed it; so do we by default. */
  readonly mayResubscribe?: boolean;
}

export interface AuthenticationHeader {
  readonly mktowsUserId?: unknown;
  readonly requestSignature?: unknown;
  readonly requestTimestamp?: unknown;
}

export function sign(timestamp: string, userId: string, key: string): string {
  return createHmac("sha1", Buffer.from(key, "utf8")).update(timestamp + userId, "utf8").digest("hex");
}

/** Verifies the header; returns the user or throws a 20014/20016 fault. Pure apart from the clock passed in. */
export function verifyAuthenticationHeader(
  header: AuthenticationHeader | undefined,
  findUser: (id: string) => ApiUser | undefined,
  now: Date,
  windowSeconds: number,
): ApiUser {
  const userId = asString(header?.mktowsUserId);
  const signature = asString(header?.requestSignature);
  const timestamp = asString(header?.requestTimestamp);
  if (!header || userId === undefined || signature === undefined || timestamp === undefined) {
    throw new MarketoFault(MarketoCodes.authenticationFailed, "Authentication failed: the AuthenticationHeader is missing or incomplete");
  }
  const user = findUser(userId);
  const expected = Buffer.from(sign(timestamp, userId, user?.encryptionKey ?? "no such user"), "utf8");
  const given = Buffer.from(signature.trim().toLowerCase(), "utf8");
  const equal = given.length === expected.length && timingSafeEqual(given, expected);
  if (!user || !equal) throw new MarketoFault(MarketoCodes.authenticationFailed, "Authentication failed");

  const at = parseTimestamp(timestamp);
  if (at === undefined) {
    throw new MarketoFault(MarketoCodes.requestExpired, `Request timestamp '${timestamp.slice(0, 40)}' is not a date and time`);
  }
  if (Math.abs(now.getTime() - at.getTime()) > windowSeconds * 1000) {
    throw new MarketoFault(MarketoCodes.requestExpired, "Request signature is too old or too far in the future; sign again with a fresh timestamp");
  }
  return user;
}

/**
 * Lenient timestamp parsing: W3C/ISO 8601 with `Z` or an offset (`+05:00`, `+0500`), optional
 * fraction, `T` or a space between date and time (Ruby's `2016-05-10 10:20:30 +0900`). Without
 * an offset the time is taken as UTC.
 */
export function parseTimestamp(value: string): Date | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    if (Number(digits.slice(2, 4)) > 59 || Number(digits.slice(0, 2)) > 14) return undefined;
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), frac ? Math.floor(Number(frac) * 1000) : 0);
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number.isNaN(ms) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  return new Date(ms - offsetMinutes * 60000);
}

function asString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return undefined;
}
