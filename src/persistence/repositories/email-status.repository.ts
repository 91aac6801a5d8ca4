import type { EntityManager } from "typeorm";
import type { EmailStatusRepository } from "../../domain/ports";
import type { EmailStatus, EmailStatusChange } from "../../domain/types";
import { rowsOf } from "./lead.repository";

/**
 * lockEmailStatus: a subscribed master row for each new address (never overwriting one), then all
 * of them locked in hash order, the one lock order of every writer (migration 1764190000000).
 */
const LOCK_EMAIL_STATUS = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM lock_email_status($1::text[], $2::text[])`;

const FIND_EMAIL_STATUS = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM email_status WHERE email_hash = $1`;

/** changeEmailStatus: the address's new status, and the history row that explains it. */
const CHANGE_EMAIL_STATUS = `
  UPDATE email_status
     SET unsubscribed = $3, reason = $4, channel = $5, source = $6, changed_at = $7, lead_id = $8,
         email = CASE WHEN $2 = '' THEN email ELSE $2 END
   WHERE email_hash = $1`;

const INSERT_HISTORY = `
  INSERT INTO email_status_history (email_hash, email, unsubscribed, channel, reason, source, lead_id, at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

/** erasure: the address's plaintext goes, its hash and status stay (SPEC §1). */
const BLANK_STATUS = `UPDATE email_status SET email = '' WHERE email_hash = $1`;
const BLANK_HISTORY = `UPDATE email_status_history SET email = '' WHERE email_hash = $1`;

/** suppressionExport: unsubscribed addresses in hash order (keyset), skipping erased ones. */
const UNSUBSCRIBED_PAGE = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM email_status WHERE unsubscribed AND email <> '' AND email_hash > $1
   ORDER BY email_hash LIMIT $2`;

const HISTORY = `
  SELECT at, unsubscribed, channel, reason, source, lead_id
    FROM email_status_history WHERE email_hash = $1 ORDER BY id DESC`;

export class SqlEmailStatusRepository implements EmailStatusRepository {
  constructor(private readonly manager: EntityManager) {}

  async lock(entries: { emailHash: string; email: string }[]): Promise<Map<string, EmailStatus>> {
    const out = new Map<string, EmailStatus>();
    // Rows this transaction locked already are known: a write path that locks twice (the
    // service before matching, the subscriber before deciding) pays for one round trip.
    const held = this.lockedInThisTransaction();
    const wanted = new Map(entries.map((e) => [e.emailHash, e.email]));
    for (const hash of [...wanted.keys()]) {
      const known = held?.cache.get(hash);
      if (known) {
        out.set(hash, known);
        wanted.delete(hash);
      }
    }
    const sorted = [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (sorted.length === 0) return out;
    const hashes = sorted.map(([h]) => h);
    for (const row of rowsOf(await this.manager.query(LOCK_EMAIL_STATUS, [hashes, sorted.map(([, e]) => e)]))) {
      const status = toStatus(row);
      out.set(status.emailHash, status);
      if (held?.topLevel) held.cache.set(status.emailHash, status);
    }
    return out;
  }

  /**
   * The master rows this transaction holds locks on, kept on its query runner. Only locks taken
   * at the top level are remembered (a lock taken in a savepoint goes if the savepoint rolls
   * back), and a change made inside a savepoint forgets the row instead of updating it.
   */
  private lockedInThisTransaction(): { cache: Map<string, EmailStatus>; topLevel: boolean } | undefined {
    const runner = this.manager.queryRunner;
    if (!runner?.isTransactionActive) return undefined;
    const data = runner.data as { lockedEmailStatus?: Map<string, EmailStatus> };
    const depth = (runner as unknown as { transactionDepth?: number }).transactionDepth;
    return { cache: (data.lockedEmailStatus ??= new Map()), topLevel: depth === 1 };
  }

  async find(emailHash: string): Promise<EmailStatus | null> {
    const rows = rowsOf(await this.manager.query(FIND_EMAIL_STATUS, [emailHash]));
    return rows.length ? toStatus(rows[0]) : null;
  }

  async change(emailHash: string, email: string, c: EmailStatusChange): Promise<void> {
    await this.manager.query(CHANGE_EMAIL_STATUS, [emailHash, email, c.unsubscribed, c.reason, c.channel, c.source, c.at, c.leadId]);
    await this.manager.query(INSERT_HISTORY, [emailHash, email, c.unsubscribed, c.channel, c.reason, c.source, c.leadId, c.at]);
    const held = this.lockedInThisTransaction();
    const known = held?.cache.get(emailHash);
    if (held && known) {
      if (held.topLevel) held.cache.set(emailHash, { ...known, unsubscribed: c.unsubscribed, reason: c.reason, channel: c.channel, source: c.source, changedAt: c.at, leadId: c.leadId });
      else held.cache.delete(emailHash);
    }
  }

  async history(emailHash: string): Promise<EmailStatusChange[]> {
    return rowsOf(await this.manager.query(HISTORY, [emailHash])).map((r) => ({
      at: new Date(r.at as string),
      unsubscribed: r.unsubscribed === true,
      channel: String(r.channel),
      reason: String(r.reason),
      source: String(r.source),
      leadId: r.lead_id === null ? null : Number(r.lead_id),
    }));
  }

  async blankPlaintext(emailHash: string): Promise<void> {
    await this.manager.query(BLANK_STATUS, [emailHash]);
    await this.manager.query(BLANK_HISTORY, [emailHash]);
  }

  async unsubscribedPage(afterHash: string, limit: number): Promise<EmailStatus[]> {
    return rowsOf(await this.manager.query(UNSUBSCRIBED_PAGE, [afterHash, limit])).map(toStatus);
  }
}

function toStatus(r: Record<string, unknown>): EmailStatus {
  return {
    emailHash: String(r.email_hash),
    email: String(r.email),
    unsubscribed: r.unsubscribed === true,
    reason: (r.reason as string | null) ?? null,
    channel: (r.channel as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    changedAt: r.changed_at ? new Date(r.changed_at as string) : null,
    leadId: r.lead_id === null || r.lead_id === undefined ? null : Number(r.lead_id),
  };
}
