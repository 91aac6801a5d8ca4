/**
 * LeadSearchService: finds leads for the person page by id, email or name. Apart from
 * LeadService because it only reads, and matches loosely (a part of a name or an address)
 * where LeadService matches exact keys.
 */
import { emailKey, type EmailHasher } from "./email";
import { InvalidValueError } from "./errors";
import type { TransactionRunner } from "./ports";
import type { Lead } from "./types";

export interface LeadSearchServiceDeps {
  /** Only reads: the standby's runner when there is one (README, Operations: scaling). */
  readonly tx: Pick<TransactionRunner, "read">;
  readonly hasher: EmailHasher;
}

/** Longest query accepted; longer text is cut (nobody types a 200-character name). */
const MAX_QUERY_LENGTH = 200;

export class LeadSearchService {
  constructor(private readonly deps: LeadSearchServiceDeps) {}

  /**
   * Leads whose id is q, whose email key contains key(q), or whose name contains q. An exact
   * address comes first, then the most recently updated. An empty query finds nothing.
   */
  async searchLeads(q: string, limit: number, offset = 0): Promise<Lead[]> {
    const text = q.trim().slice(0, MAX_QUERY_LENGTH);
    if (text === "") return [];
    const id = /^\d{1,10}$/.test(text) && Number(text) > 0 && Number(text) <= 2147483647 ? Number(text) : undefined;
    const key = emailKey(text);
    const cappedLimit = Math.max(1, Math.min(Math.trunc(limit), 201));
    return this.deps.tx.read((repos) =>
      repos.leads.search({
        id,
        emailKeyPart: key ?? undefined,
        namePart: text,
        limit: cappedLimit,
        offset: Math.max(0, Math.min(Math.trunc(offset), 1_000_000)),
      }),
    );
  }

  /**
   * The admin API's list: leads matching every filter given, in id order, `limit` at a time
   * after the cursor (the last id of the previous page), so a page is stable under writes: a
   * lead is listed once, new ones come at the end. With `count`, the number of matches too.
   */
  async list(query: LeadListQuery): Promise<{ leads: Lead[]; nextCursor: string | null; total?: number }> {
    const limit = Math.max(1, Math.min(Math.trunc(query.limit ?? 100), 1000));
    const after = query.cursor === undefined ? 0 : cursorId(query.cursor);
    return this.deps.tx.read(async (repos) => {
      const partitionId = query.partition === undefined ? undefined : await repos.partitions.findByName(query.partition);
      if (partitionId === null) return { leads: [], nextCursor: null, ...(query.count ? { total: 0 } : {}) };
      const key = query.email === undefined ? undefined : emailKey(query.email);
      if (query.email !== undefined && !key?.includes("@")) throw new InvalidValueError("email is not an email address");
      const text = query.q?.trim().slice(0, MAX_QUERY_LENGTH) || undefined;
      const filter = {
        emailHash: key ? this.deps.hasher(key) : undefined,
        textPart: text,
        emailKeyPart: text ? (emailKey(text) ?? text) : undefined,
        partitionId,
        unsubscribed: query.unsubscribed,
        updatedSince: query.updatedSince,
      };
      const leads = await repos.leads.list(filter, after, limit);
      const nextCursor = leads.length === limit ? String(leads[leads.length - 1].id) : null;
      return { leads, nextCursor, ...(query.count ? { total: await repos.leads.count(filter) } : {}) };
    });
  }
}

export interface LeadListQuery {
  readonly email?: string;
  readonly q?: string;
  readonly partition?: string;
  readonly unsubscribed?: boolean;
  readonly updatedSince?: Date;
  readonly limit?: number;
  readonly cursor?: string;
  readonly count?: boolean;
}

function cursorId(cursor: string): number {
  if (!/^\d{1,10}$/.test(cursor) || Number(cursor) > 2147483647) throw new InvalidValueError("cursor is not one this server handed out");
  return Number(cursor);
}
