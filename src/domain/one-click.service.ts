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
import type { LinkClaims, LinkSigner } from "./unsubscribe-link";

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
      readonly links: LinkSigner;
    },
  ) {}

  /** Tokens for these addresses, or for the addresses of these leads, each with an optional label. */
  async links(request: { emails?: readonly string[]; leadIds?: readonly number[]; label?: string }): Promise<LinkResult[]> {
    const count = (request.emails?.length ?? 0) + (request.leadIds?.length ?? 0);
    if (count === 0) throw new InvalidValueError("give emails or leadIds");
    if (count > MAX_LINKS_PER_CALL) throw new InvalidValueError(`at most ${MAX_LINKS_PER_CALL} links a call`);
    if (request.label !== undefined && request.label.length > 255) throw new InvalidValueError("label is longer than 255 characters");
    const label = request.label?.trim() || undefined;
    const out: LinkResult[] = [];
    for (const email of request.emails ?? []) {
      const key = addressKey(email);
      out.push(key ? { email, token: this.deps.links.sign({ emailHash: this.deps.hasher(key), label }) } : { email, error: "not an email address" });
    }
    if (request.leadIds?.length) {
      const leads = new Map((await this.deps.tx.read((repos) => repos.leads.findByIds([...new Set(request.leadIds)]))).map((l) => [l.id, l]));
      for (const leadId of request.leadIds) {
        const lead = leads.get(leadId);
        if (!lead) out.push({ leadId, error: "no such lead" });
        else if (!lead.email || !lead.emailHash) out.push({ leadId, error: "the lead has no email address" });
        else out.push({ email: lead.email, leadId, token: this.deps.links.sign({ emailHash: lead.emailHash, leadId, label }) });
      }
    }
    return out;
  }

  /** What a link's page shows; null for a token that is not one of ours. Reads only. */
  async view(token: string): Promise<LinkView | null> {
    const claims = this.deps.links.verify(token);
    if (!claims) return null;
    const status = await this.deps.tx.read((repos) => repos.emailStatuses.find(claims.emailHash));
    return { maskedEmail: status?.email ? mask(status.email) : null, unsubscribed: status?.unsubscribed ?? false };
  }

  /** The one-click unsubscribe; false for a token that is not one of ours (nothing changes). */
  async unsubscribe(token: string): Promise<boolean> {
    const claims: LinkClaims | null = this.deps.links.verify(token);
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
