/**
 * LeadSearchService: finds leads for the person page by id, email or name. Apart from
 * LeadService because it only reads, and matches loosely (a part of a name or an address)
 * where LeadService matches exact keys.
 */
import { emailKey } from "./email";
import type { TransactionRunner } from "./ports";
import type { Lead } from "./types";

export interface LeadSearchServiceDeps {
  readonly tx: TransactionRunner;
}

/** Longest query accepted; longer text is cut (nobody types a 200-character name). */
const MAX_QUERY_LENGTH = 200;

export class LeadSearchService {
  constructor(private readonly deps: LeadSearchServiceDeps) {}

  /**
   * Leads whose id is q, whose email key contains key(q), or whose name contains q. An exact
   * address comes first, then the most recently updated. An empty query finds nothing.
   */
  async searchLeads(q: string, limit: number): Promise<Lead[]> {
    const text = q.trim().slice(0, MAX_QUERY_LENGTH);
    if (text === "") return [];
    const id = /^\d{1,10}$/.test(text) && Number(text) > 0 && Number(text) <= 2147483647 ? Number(text) : undefined;
    const key = emailKey(text);
    const cappedLimit = Math.max(1, Math.min(Math.trunc(limit), 200));
    return this.deps.tx.run((repos) =>
      repos.leads.search({
        id,
        emailKeyPart: key ?? undefined,
        namePart: text,
        limit: cappedLimit,
      }),
    );
  }
}
