/**
 * Reads of leads and their activity: getLead, getLeadActivity, the admin and person-page views.
 * Reads run without a transaction (TransactionRunner.read); a caller limited to workspaces sees
 * only the leads in them.
 */
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { EmailHasher } from "./email";
import { LeadNotFoundError } from "./errors";
import { findLeadsByKey } from "./lead-key";
import type { Repositories, TransactionRunner } from "./ports";
import type { Activity, Lead, LeadKey } from "./types";

export interface ActivityFilter {
  readonly typeNames?: string[];
  readonly excludeTypeNames?: string[];
  /** Continue below this activity id (the stream position's offset). */
  readonly beforeId?: number;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
}

export class LeadQueryService {
  constructor(private readonly deps: { readonly tx: TransactionRunner; readonly hasher: EmailHasher }) {}

  /** getLead: every lead the key matches (EMAIL matches in every partition). */
  async getLeads(key: LeadKey, caller?: CallerScope): Promise<Lead[]> {
    return this.deps.tx.read(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      const leads = (await this.findByKey(key, repos)).filter((l) => !scope || scope.includes(l.partitionId));
      if (leads.length === 0) throw new LeadNotFoundError(`No lead found with ${key.type} = ${key.value}`);
      return leads;
    });
  }

  async getLeadById(id: number): Promise<Lead> {
    return this.deps.tx.read(async (repos) => {
      const lead = await repos.leads.findById(id);
      if (!lead) throw new LeadNotFoundError(`No lead found with IDNUM = ${id}`);
      return lead;
    });
  }

  /** getLeadActivity: the activity rows of every lead the key matches, newest first. */
  async getActivity(key: LeadKey, filter: ActivityFilter, caller?: CallerScope): Promise<{ activities: Activity[]; remaining: number }> {
    return this.deps.tx.read(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      const leads = (await this.findByKey(key, repos)).filter((l) => !scope || scope.includes(l.partitionId));
      if (leads.length === 0) throw new LeadNotFoundError(`No lead found with ${key.type} = ${key.value}`);
      const page = await repos.activities.find({
        leadIds: leads.map((l) => l.id),
        typeNames: filter.typeNames,
        excludeTypeNames: filter.excludeTypeNames,
        afterId: filter.beforeId,
        since: filter.since,
        until: filter.until,
        limit: filter.limit,
      });
      return { activities: page.rows, remaining: page.remaining };
    });
  }

  private findByKey(key: LeadKey, repos: Repositories): Promise<Lead[]> {
    return findLeadsByKey(key, this.deps.hasher, repos);
  }
}
