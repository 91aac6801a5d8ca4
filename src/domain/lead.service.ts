/**
 * LeadService: reads and writes leads. Every write runs in one transaction and goes through
 * LeadRepository.save(), where the lead subscriber applies the durable-unsubscribe rules.
 * Matching happens twice: once to learn which addresses to lock, and again under those locks,
 * so two requests for one new address create one lead, not two.
 */
import { emailKey, type EmailHasher } from "./email";
import { AccessDeniedError, ConcurrentChangeError, InvalidValueError, LeadNotFoundError, UnknownFieldError } from "./errors";
import type { EmailStatusService } from "./email-status.service";
import type { FieldCatalogue } from "./lead-fields";
import { normaliseLeadInput, type NormalisedInput } from "./lead-input";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { Repositories, TransactionRunner } from "./ports";
import type { Channel, Lead, LeadInput, SyncResult, WriteIntent } from "./types";

export interface LeadServiceDeps {
  readonly tx: TransactionRunner;
  readonly emailStatus: Pick<EmailStatusService, "lockAddresses">;
  readonly hasher: EmailHasher;
  readonly fields: () => FieldCatalogue;
  /** Reloads declared custom fields; true when something new appeared. */
  readonly refreshFields?: () => Promise<boolean>;
}

export interface SyncOptions {
  readonly channel: Channel;
  /** Match an existing lead by email when no Id or foreign id is given (syncMultipleLeads dedupEnabled). */
  readonly dedupByEmail: boolean;
  /**
   * The import keeps Marketo's ids: an Id that matches no lead is not an error; matching goes on
   * by foreign id, and a created lead takes that Id. A record with an Id never matches by email
   * (Marketo's duplicates stay the separate leads they were).
   */
  readonly keepGivenId?: boolean;
  /** Workspace whose primary partition takes a created lead (MktowsContextHeader); Default when absent. */
  readonly workspace?: string;
  /** The API user's limits: its workspaces (all when absent) and whether it may re-subscribe. */
  readonly caller?: CallerScope;
  /**
   * For a batch that looked its addresses up at once, under their locks: the lead an email-only
   * record matches (an id), that it matches none (null), or unknown (undefined: look it up).
   */
  readonly emailMatchHint?: (emailHash: string) => number | null | undefined;
}

export type { CallerScope };


export interface CreateOptions {
  readonly channel: Channel;
  readonly partitionName?: string;
  readonly createPartition?: boolean;
}


export class LeadService {
  private defaultPartitionId?: number;

  constructor(private readonly deps: LeadServiceDeps) {}

  /** syncLead: match Id > ForeignSysPersonId > Email, then update or create. */
  async syncLead(input: LeadInput, options: SyncOptions): Promise<SyncResult> {
    const data = await this.normaliseFresh(input);
    return this.deps.tx.run((repos) => this.syncInTransaction(data, options, repos));
  }

  /** Checks an input against the field catalogue (reloaded once for an unknown name), outside any transaction. */
  prepare(input: LeadInput): Promise<NormalisedInput> {
    return this.normaliseFresh(input);
  }

  /** syncLead inside the caller's transaction, for a bulk channel (the import); `data` comes from prepare(). */
  syncLeadWith(repos: Repositories, data: NormalisedInput, options: SyncOptions): Promise<SyncResult> {
    return this.syncInTransaction(data, options, repos);
  }

  /** Creates a lead in a partition even when the email exists elsewhere (admin API). */
  async createLead(input: LeadInput, options: CreateOptions): Promise<Lead> {
    const data = await this.normaliseFresh(input);
    return this.deps.tx.run(async (repos) => {
      const partitionId = options.partitionName
        ? await this.partitionFor(options.partitionName, options.createPartition ?? false, repos)
        : await repos.partitions.defaultPartitionId();
      await this.deps.emailStatus.lockAddresses(data.email ? [data.email] : [], repos);
      const lead = repos.leads.create(partitionId);
      await this.checkForeignId(lead, data, repos);
      this.apply(lead, data);
      return repos.leads.save(lead, this.intent(data, options.channel));
    });
  }

  /** Changes an existing lead found by id. */
  async updateLead(id: number, input: LeadInput, channel: Channel, caller?: CallerScope): Promise<Lead> {
    const data = await this.normaliseFresh({ ...input, id });
    return this.deps.tx.run((repos) => this.updateInTransaction(id, data, channel, repos, caller));
  }

  /**
   * updateLead inside the caller's transaction, for a channel whose own bookkeeping must commit
   * with the write (the Salesforce sync). Standard and known fields only: no catalogue reload.
   */
  async updateLeadWith(repos: Repositories, id: number, input: LeadInput, channel: Channel): Promise<Lead> {
    return this.updateInTransaction(id, this.normalise({ ...input, id }), channel, repos);
  }

  /** createLead (Default partition) inside the caller's transaction; see updateLeadWith. */
  async createLeadWith(repos: Repositories, input: LeadInput, channel: Channel): Promise<Lead> {
    const data = this.normalise(input);
    const partitionId = await repos.partitions.defaultPartitionId();
    await this.deps.emailStatus.lockAddresses(data.email ? [data.email] : [], repos);
    const lead = repos.leads.create(partitionId);
    await this.checkForeignId(lead, data, repos);
    this.apply(lead, data);
    return repos.leads.save(lead, this.intent(data, channel));
  }

  private async updateInTransaction(id: number, data: NormalisedInput, channel: Channel, repos: Repositories, caller?: CallerScope): Promise<Lead> {
    const scope = await partitionsOf(caller, repos);
    const found = await repos.leads.findById(id);
    if (!found || (scope && !scope.includes(found.partitionId))) throw new LeadNotFoundError(`No lead found with IDNUM = ${id}`);
    const lead = await this.lockAndReload(found, data.email, repos);
    await this.checkForeignId(lead, data, repos);
    this.apply(lead, data);
    return repos.leads.save(lead, { ...this.intent(data, channel), mayResubscribe: caller?.mayResubscribe, scopePartitionIds: scope });
  }

  /** Deletes a lead. Its address keeps its status (D4). */
  async deleteLead(id: number, channel: Channel): Promise<void> {
    await this.deps.tx.run(async (repos) => {
      const found = await repos.leads.findById(id);
      if (!found) throw new LeadNotFoundError(`No lead found with IDNUM = ${id}`);
      const lead = await this.lockAndReload(found, undefined, repos);
      await repos.leads.remove(lead, { channel });
    });
  }

  private async syncInTransaction(data: NormalisedInput, options: SyncOptions, repos: Repositories): Promise<SyncResult> {
    const hash = data.email ? this.hashOf(data.email) : null;
    const scope = await partitionsOf(options.caller, repos);
    // Matching by email alone needs the address's lock first anyway: lock, then match once.
    const emailOnly = data.id === undefined && !data.foreignSysPersonId;
    let lead = emailOnly ? null : await this.match(data, hash, options, repos, scope);
    if (lead) {
      lead = await this.lockAndReload(lead, data.email, repos);
    } else {
      await this.deps.emailStatus.lockAddresses(data.email ? [data.email] : [], repos);
      // Under the lock: another request may have created the lead meanwhile. A lead that keeps a
      // given Id needs no second look: it matches only by Id or foreign id, both unique keys, so a
      // concurrent create makes this insert fail, and the retried transaction matches that lead.
      if (!(options.keepGivenId && data.id !== undefined)) {
        // A batch may already know which lead the address matches (it looked them all up at once).
        const hinted = emailOnly && hash && options.dedupByEmail && !scope ? options.emailMatchHint?.(hash) : undefined;
        if (hinted !== undefined && hinted !== null) {
          const fresh = await repos.leads.findByIdForUpdate(hinted);
          if (fresh && fresh.emailHash === hash) lead = fresh;
        }
        if (!lead && hinted !== null) {
          const again = await this.match(data, hash, options, repos, scope);
          if (again) lead = await this.lockAndReload(again, data.email, repos);
        }
      }
    }
    const status = lead ? "UPDATED" : "CREATED";
    const previous = lead ? { ...lead, fields: { ...lead.fields } } : undefined;
    if (lead && scope && !scope.includes(lead.partitionId)) {
      throw new AccessDeniedError(`lead ${lead.id} is in a workspace this API user may not use`);
    }
    if (!lead) lead = repos.leads.create(await this.partitionForCreate(options, repos), options.keepGivenId ? data.id : undefined);
    await this.checkForeignId(lead, data, repos);
    this.apply(lead, data);
    const saved = await repos.leads.save(lead, {
      ...this.intent(data, options.channel),
      mayResubscribe: options.caller?.mayResubscribe,
      scopePartitionIds: scope,
    });
    return { leadId: saved.id, status, lead: saved, ...(previous ? { previous } : {}) };
  }

  private async match(data: NormalisedInput, hash: string | null, options: SyncOptions, repos: Repositories, scope?: number[]): Promise<Lead | null> {
    if (data.id !== undefined) {
      const lead = await repos.leads.findById(data.id);
      if (lead) return lead;
      if (!options.keepGivenId) throw new LeadNotFoundError(`No lead found with IDNUM = ${data.id}`);
    }
    if (data.foreignSysPersonId) {
      const lead = await repos.leads.findByForeignId(data.foreignSysType ?? "CUSTOM", data.foreignSysPersonId);
      if (lead) return lead;
    }
    if (hash && options.dedupByEmail && !(options.keepGivenId && data.id !== undefined)) {
      if (!scope) return repos.leads.findLatestByEmailHash(hash);
      // A caller limited to workspaces matches by email only among its own leads.
      const mine = (await repos.leads.findByEmailHash(hash)).filter((l) => scope.includes(l.partitionId));
      return mine.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.id - a.id)[0] ?? null;
    }
    return null;
  }

  /** MktowsContextHeader's workspace, else the caller's first workspace, else Default. */
  private async partitionForCreate(options: SyncOptions, repos: Repositories): Promise<number> {
    const allowed = options.caller?.workspaces;
    if (options.workspace && allowed && !allowed.includes(options.workspace)) {
      throw new AccessDeniedError(`workspace '${options.workspace.slice(0, 80)}' is not one this API user may use`);
    }
    return this.partitionOfWorkspace(options.workspace ?? allowed?.[0], repos);
  }

  /** Locks the lead's address and the new one, then re-reads the lead under its row lock. */
  private async lockAndReload(lead: Lead, newEmail: string | undefined, repos: Repositories): Promise<Lead> {
    const emails = [lead.email, newEmail].filter((e): e is string => !!e);
    await this.deps.emailStatus.lockAddresses(emails, repos);
    const fresh = await repos.leads.findByIdForUpdate(lead.id);
    if (!fresh) throw new ConcurrentChangeError(`lead ${lead.id} was deleted meanwhile`);
    if (fresh.emailHash !== lead.emailHash) throw new ConcurrentChangeError(`lead ${lead.id} changed email meanwhile`);
    return fresh;
  }

  /**
   * A foreign id names one lead: giving a lead the ForeignSysPersonId another lead holds is a bad
   * value, not a unique-key violation (which would be retried, then answered as an internal error).
   */
  private async checkForeignId(lead: Lead, data: NormalisedInput, repos: Repositories): Promise<void> {
    if (!data.foreignSysPersonId) return;
    const type = data.foreignSysType ?? lead.foreignSysType ?? "CUSTOM";
    if (lead.foreignSysPersonId === data.foreignSysPersonId && lead.foreignSysType === type) return;
    const holder = await repos.leads.findByForeignId(type, data.foreignSysPersonId);
    if (holder && holder.id !== lead.id) {
      throw new InvalidValueError(`ForeignSysPersonId '${data.foreignSysPersonId.slice(0, 80)}' (${type}) belongs to another lead`);
    }
  }

  private apply(lead: Lead, data: NormalisedInput): void {
    if (data.email) lead.email = data.email;
    if (data.foreignSysPersonId) {
      lead.foreignSysPersonId = data.foreignSysPersonId;
      lead.foreignSysType = data.foreignSysType ?? lead.foreignSysType ?? "CUSTOM";
    }
    if (data.unsubscribedReason !== undefined) lead.unsubscribedReason = data.unsubscribedReason || null;
    // The requested flag, which the lead subscriber replaces with what the rules decide. Without
    // it an update that only sets Unsubscribed has no changed column, so TypeORM skips the save
    // and its beforeUpdate listener: the request would be silently lost.
    if (data.unsubscribed !== undefined) lead.unsubscribed = data.unsubscribed;
    const fields = { ...lead.fields };
    for (const [name, value] of Object.entries(data.fields)) {
      if (value === "") delete fields[name];
      else fields[name] = value;
    }
    lead.fields = fields;
  }

  private intent(data: NormalisedInput, channel: Channel): WriteIntent {
    return { channel, requestedUnsubscribed: data.unsubscribed };
  }

  private async partitionFor(name: string, create: boolean, repos: Repositories): Promise<number> {
    if (create) return repos.partitions.findOrCreate(name, true);
    const id = await repos.partitions.findByName(name);
    if (id === null) throw new InvalidValueError(`partition '${name}' does not exist`);
    return id;
  }

  private async partitionOfWorkspace(workspace: string | undefined, repos: Repositories): Promise<number> {
    // "Default" is created by the first migration and never removed: look it up once.
    if (!workspace) return (this.defaultPartitionId ??= await repos.partitions.defaultPartitionId());
    const id = await repos.partitions.primaryPartitionOfWorkspace(workspace);
    if (id === null) throw new InvalidValueError(`workspace '${workspace.slice(0, 80)}' does not exist`);
    return id;
  }

  private hashOf(email: string): string | null {
    const key = emailKey(email);
    return key ? this.deps.hasher(key) : null;
  }

  /** normalise(), once more after reloading the custom fields when a name is unknown. */
  private async normaliseFresh(input: LeadInput): Promise<NormalisedInput> {
    try {
      return this.normalise(input);
    } catch (error) {
      if (!(error instanceof UnknownFieldError) || !this.deps.refreshFields || !(await this.deps.refreshFields())) throw error;
      return this.normalise(input);
    }
  }

  /** Resolves attributes against the current catalogue (lead-input.ts). */
  private normalise(input: LeadInput): NormalisedInput {
    return normaliseLeadInput(input, this.deps.fields());
  }
}
