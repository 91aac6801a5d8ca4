/**
 * The web UI's login session, with no server-side state: several processes may serve one
 * database, so a session is a cookie signed with a key derived from ADMIN_TOKEN. Changing the
 * token ends every session. The CSRF token of a session is derived from its random nonce, so a
 * form posted from another site (which cannot read the page) cannot carry it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "mktows_ui";

export interface UiSession {
  readonly nonce: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
}

export interface SessionSignerOptions {
  readonly maxAgeSeconds: number;
  /** Seconds since the epoch (tests move the clock). */
  readonly now?: () => number;
}

export class SessionSigner {
  private readonly key: Buffer;
  private readonly tokenDigest: Buffer;

  constructor(
    adminToken: string,
    private readonly options: SessionSignerOptions,
  ) {
    this.key = createHmac("sha256", adminToken).update("mktows web ui session v1").digest();
    this.tokenDigest = createHash("sha256").update(adminToken, "utf8").digest();
  }

  get maxAgeSeconds(): number {
    return this.options.maxAgeSeconds;
  }

  /** The login check: constant time, whatever the length of what was typed. */
  checkToken(given: string): boolean {
    const digest = createHash("sha256").update(given.trim(), "utf8").digest();
    return timingSafeEqual(digest, this.tokenDigest);
  }

  /** A new session, as the cookie value `<issuedAt>.<nonce>.<mac>`. */
  issue(): string {
    const issuedAt = this.now();
    const nonce = randomBytes(18).toString("base64url");
    return `${issuedAt}.${nonce}.${this.mac(`session.${issuedAt}.${nonce}`)}`;
  }

  /** The session a cookie value proves, or null (missing, forged, or expired). */
  verify(cookieValue: string | undefined): UiSession | null {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/.exec(cookieValue ?? "");
    if (!m) return null;
    const [, issued, nonce, mac] = m;
    if (!equal(mac, this.mac(`session.${issued}.${nonce}`))) return null;
    const issuedAt = Number(issued);
    const age = this.now() - issuedAt;
    if (age < -60 || age > this.options.maxAgeSeconds) return null;
    return { nonce, issuedAt };
  }

  csrfToken(session: UiSession): string {
    return this.mac(`csrf.${session.nonce}`);
  }

  checkCsrf(session: UiSession, given: unknown): boolean {
    return typeof given === "string" && equal(given, this.csrfToken(session));
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text, "utf8").digest("base64url");
  }

  private now(): number {
    return this.options.now?.() ?? Math.floor(Date.now() / 1000);
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One cookie's value from a Cookie header (no cookie-parser dependency for one cookie). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value: HttpOnly, SameSite=Strict, only under /ui, Secure over HTTPS. */
export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  return [`${SESSION_COOKIE}=${value}`, "Path=/ui", "HttpOnly", "SameSite=Strict", `Max-Age=${options.maxAgeSeconds}`, ...(options.secure ? ["Secure"] : [])].join("; ");
}
