/**
 * Unsubscribe link tokens (issue 14, SPEC §4 one-click channel): `<key id>.<payload>.<mac>`,
 * the payload base64url JSON of the address's keyed hash, optionally the lead the link was made
 * for and a label (the campaign or mailing), never the plaintext address; the MAC an
 * HMAC-SHA256 with an instance key. After a rotation the previous key still verifies until its
 * `until`; a token of an unknown or expired key, or one whose MAC does not match, is no token.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface LinkKey {
  readonly secret: string;
  /** Tokens of this key are accepted until then (the previous key after a rotation). */
  readonly until?: Date;
}

export interface LinkClaims {
  readonly emailHash: string;
  readonly leadId?: number;
  readonly label?: string;
}

export class LinkSigner {
  private readonly keys: { id: string; key: Buffer; until?: Date }[];

  constructor(
    current: LinkKey,
    previous: readonly LinkKey[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = [current, ...previous].map((k) => ({ id: keyId(k.secret), key: Buffer.from(k.secret, "utf8"), until: k.until }));
  }

  sign(claims: LinkClaims): string {
    const { id, key } = this.keys[0];
    const payload = Buffer.from(JSON.stringify({ h: claims.emailHash, ...(claims.leadId !== undefined ? { l: claims.leadId } : {}), ...(claims.label ? { c: claims.label } : {}) }), "utf8").toString("base64url");
    return `${id}.${payload}.${mac(key, `${id}.${payload}`)}`;
  }

  /** Whether the token names a key this signer has (an unknown one may be newer: reload the keys). */
  knowsKeyOf(token: string): boolean {
    return this.keys.some((k) => token.startsWith(`${k.id}.`));
  }

  /** The claims of a token this instance signed with a key still accepted, or null. */
  verify(token: string): LinkClaims | null {
    const m = /^([0-9a-f]{8})\.([A-Za-z0-9_-]{10,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const [, id, payload, given] = m;
    const key = this.keys.find((k) => k.id === id);
    if (!key || (key.until && !(key.until.getTime() >= this.now().getTime()))) return null;
    const expected = Buffer.from(mac(key.key, `${id}.${payload}`));
    if (!timingSafeEqual(Buffer.from(given), expected)) return null;
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    const o = v as Record<string, unknown>;
    if (typeof o?.h !== "string" || !/^[0-9a-f]{64}$/.test(o.h)) return null;
    if (o.l !== undefined && !(Number.isInteger(o.l) && (o.l as number) > 0 && (o.l as number) <= 2147483647)) return null;
    if (o.c !== undefined && typeof o.c !== "string") return null;
    return { emailHash: o.h, ...(o.l !== undefined ? { leadId: o.l as number } : {}), ...(o.c ? { label: o.c as string } : {}) };
  }
}

function keyId(secret: string): string {
  return createHash("sha256").update(`mktows unsubscribe link key ${secret}`).digest("hex").slice(0, 8);
}

function mac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("base64url");
}
