/**
 * The one-click unsubscribe channel (SPEC §4, RFC 8058) and the sending system's suppression
 * check. Links name an address by its keyed hash; a one-click POST unsubscribes the address in
 * every partition (D1) through the one write path, idempotently. Looking at a link changes
 * nothing (mail scanners follow links).
 */
import { emailKey, type EmailHasher } from "./email";
import { InvalidValueError } from "./errors";
import type { LeadWriteService } from "./lead-write.service";
import type { TransactionRunner } from "./ports";
import { Channels } from "./types";
import { LinkSigner, type LinkClaims, type LinkKey } from "./unsubscribe-link";

export const MAX_LINKS_PER_CALL = 10_000;

export type LinkResult = { readonly email: string; readonly leadId?: number; readonly token: string } | { readonly email?: string; readonly leadId?: number; readonly error: string };

export interface LinkView {
  /** The address with most of it hidden (`a***@example.com`); null once erased or never known. */
  readonly maskedEmail: string | null;
  readonly unsubscribed: boolean;
}

export class OneClickService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly writes: Pick<LeadWriteService, "run">;
      /** The link keys as stored now (a rotation by another process or the CLI shows here without a restart). */
      readonly linkKeys: () => Promise<{ current: LinkKey; previous: LinkKey[] }>;
    },
  ) {}

  private cached: { signer: LinkSigner; at: number } | undefined;

  /** The keys, re-read every minute, and at once (at most twice a second) for a token of a key not known yet. */
  private async signer(stale = false): Promise<LinkSigner> {
    const now = Date.now();
    const age = this.cached ? now - this.cached.at : Infinity;
    if (age > 60_000 || (stale && age > 500)) {
      const keys = await this.deps.linkKeys();
      this.cached = { signer: new LinkSigner(keys.current, keys.previous), at: now };
    }
    return (this.cached as { signer: LinkSigner }).signer;
  }

  private async verify(token: string): Promise<LinkClaims | null> {
    const signer = await this.signer();
    if (signer.knowsKeyOf(token)) return signer.verify(token);
    return (await this.signer(true)).verify(token);
  }

  /** Tokens for these addresses, or for the addresses of these leads, each with an optional label. */
  async links(request: { emails?: readonly string[]; leadIds?: readonly number[]; label?: string }): Promise<LinkResult[]> {
    const count = (request.emails?.length ?? 0) + (request.leadIds?.length ?? 0);
    if (count === 0) throw new InvalidValueError("give emails or leadIds");
    if (count > MAX_LINKS_PER_CALL) throw new InvalidValueError(`at most ${MAX_LINKS_PER_CALL} links a call`);
    if (request.label !== undefined && request.label.length > 255) throw new InvalidValueError("label is longer than 255 characters");
    const label = request.label?.trim() || undefined;
    const out: LinkResult[] = [];
    const remembered: { emailHash: string; email: string }[] = [];
    for (const email of request.emails ?? []) {
      const key = addressKey(email);
      if (!key) {
        out.push({ email, error: "not an email address" });
        continue;
      }
      const emailHash = this.deps.hasher(key);
      remembered.push({ emailHash, email: email.trim() });
      out.push({ email, token: (await this.signer()).sign({ emailHash, label }) });
    }
    // The token has no plaintext: the master row keeps it, for the suppression export and the webhook.
    if (remembered.length) await this.deps.tx.run((repos) => repos.writes.rememberAddresses(remembered));
    if (request.leadIds?.length) {
      const leads = new Map((await this.deps.tx.read((repos) => repos.leads.findByIds([...new Set(request.leadIds)]))).map((l) => [l.id, l]));
      for (const leadId of request.leadIds) {
        const lead = leads.get(leadId);
        if (!lead) out.push({ leadId, error: "no such lead" });
        else if (!lead.email || !lead.emailHash) out.push({ leadId, error: "the lead has no email address" });
        else out.push({ email: lead.email, leadId, token: (await this.signer()).sign({ emailHash: lead.emailHash, leadId, label }) });
      }
    }
    return out;
  }

  /** What a link's page shows; null for a token that is not one of ours. Reads only. */
  async view(token: string): Promise<LinkView | null> {
    const claims = await this.verify(token);
    if (!claims) return null;
    const status = await this.deps.tx.read((repos) => repos.emailStatuses.find(claims.emailHash));
    return { maskedEmail: status?.email ? mask(status.email) : null, unsubscribed: status?.unsubscribed ?? false };
  }

  /** The one-click unsubscribe; false for a token that is not one of ours (nothing changes). */
  async unsubscribe(token: string): Promise<boolean> {
    const claims = await this.verify(token);
    if (!claims) return false;
    const [result] = await this.deps.writes.run([{ op: "oneClick", emailHash: claims.emailHash, leadId: claims.leadId, label: claims.label, channel: Channels.oneClick }]);
    if ("error" in result) throw result.error;
    return true;
  }

  /** Which of these addresses are unsubscribed (by hash, so erased ones too), in one query. */
  async check(emails: readonly string[]): Promise<{ email: string; unsubscribed: boolean; error?: string }[]> {
    if (emails.length > MAX_LINKS_PER_CALL) throw new InvalidValueError(`at most ${MAX_LINKS_PER_CALL} addresses a call`);
    const hashes = emails.map((e) => {
      const key = addressKey(e);
      return key ? this.deps.hasher(key) : null;
    });
    const unsubscribed = await this.deps.tx.read((repos) => repos.emailStatuses.unsubscribedAmong(hashes.filter((h): h is string => h !== null)));
    return emails.map((email, i) => {
      const hash = hashes[i];
      return hash ? { email, unsubscribed: unsubscribed.has(hash) } : { email, unsubscribed: false, error: "not an email address" };
    });
  }
}

/** The email key of something that looks like an address (local@domain, no spaces), else null. */
function addressKey(email: string): string | null {
  const key = emailKey(email);
  return key && /^[^\s@]+@[^\s@]+$/.test(key) ? key : null;
}

/** `ana@example.com` → `a**@example.com`: enough for its owner to recognise, little for anyone else. */
export function mask(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  const local = email.slice(0, at);
  return `${local[0]}${"*".repeat(Math.min(Math.max(local.length - 1, 2), 8))}${email.slice(at)}`;
}
