import type { EntityManager } from "typeorm";
import type { EmailStatusFilter, EmailStatusRepository } from "../../domain/ports";
import type { EmailStatus, EmailStatusChange } from "../../domain/types";
import { rowsOf } from "./lead.repository";
import { toStatus } from "./write.repository";

const FIND_EMAIL_STATUS = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM email_status WHERE email_hash = $1`;

/** suppressionExport: unsubscribed addresses in hash order (keyset), skipping erased ones. */
const UNSUBSCRIBED_PAGE = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM email_status WHERE unsubscribed AND email <> '' AND email_hash > $1
   ORDER BY email_hash LIMIT $2`;

/** The admin API's email-status search: every filter optional, keyset-paged in hash order. */
const SEARCH_WHERE = `
   WHERE ($1::boolean IS NULL OR unsubscribed = $1)
     AND ($2::text IS NULL OR email ILIKE $2 ESCAPE '\\')
     AND ($3::timestamptz IS NULL OR changed_at >= $3)`;
const SEARCH_PAGE = `
  SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
    FROM email_status ${SEARCH_WHERE} AND email_hash > $4
   ORDER BY email_hash LIMIT $5`;
const SEARCH_COUNT = `SELECT count(*)::int AS n FROM email_status ${SEARCH_WHERE}`;

const HISTORY = `
  SELECT at, unsubscribed, channel, reason, source, lead_id
    FROM email_status_history WHERE email_hash = $1 ORDER BY id DESC`;

export class SqlEmailStatusRepository implements EmailStatusRepository {
  constructor(private readonly manager: EntityManager) {}

  async find(emailHash: string): Promise<EmailStatus | null> {
    const rows = rowsOf(await this.manager.query(FIND_EMAIL_STATUS, [emailHash]));
    return rows.length ? toStatus(rows[0]) : null;
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

  async unsubscribedAmong(emailHashes: string[]): Promise<Set<string>> {
    if (emailHashes.length === 0) return new Set();
    const rows = rowsOf(await this.manager.query(`SELECT email_hash FROM email_status WHERE unsubscribed AND email_hash = ANY($1)`, [emailHashes]));
    return new Set(rows.map((r) => String(r.email_hash)));
  }

  async search(filter: EmailStatusFilter, afterHash: string, limit: number): Promise<EmailStatus[]> {
    return rowsOf(await this.manager.query(SEARCH_PAGE, [...searchParams(filter), afterHash, limit])).map(toStatus);
  }

  async count(filter: EmailStatusFilter): Promise<number> {
    return Number(rowsOf(await this.manager.query(SEARCH_COUNT, searchParams(filter)))[0].n);
  }

  async unsubscribedPage(afterHash: string, limit: number): Promise<EmailStatus[]> {
    return rowsOf(await this.manager.query(UNSUBSCRIBED_PAGE, [afterHash, limit])).map(toStatus);
  }
}

function searchParams(filter: EmailStatusFilter): unknown[] {
  const like = filter.addressPart === undefined ? null : `%${filter.addressPart.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return [filter.unsubscribed ?? null, like, filter.changedSince?.toISOString() ?? null];
}
