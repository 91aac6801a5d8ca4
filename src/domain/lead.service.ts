/**
 * LeadService: the lead channels' writes (SOAP syncLead and syncMultipleLeads, admin, person
 * page, flow steps, Salesforce, import) as write plans for the one write path
 * (LeadWriteService). It checks inputs against the field catalogue before any transaction and
 * resolves the partitions a write needs; matching, locking and the rules happen in the write path.
 */
import { AccessDeniedError, InvalidValueError, isRequestError, UnknownFieldError, type DomainError } from "./errors";
import type { FieldCatalogue } from "./lead-fields";
import { normaliseLeadInput, type NormalisedInput } from "./lead-input";
import type { LeadWriteService } from "./lead-write.service";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { Repositories, TransactionRunner } from "./ports";
import type { Channel, ChannelName, Lead, LeadInput, SyncResult } from "./types";
import type { PlanResult, WriteDone, WritePlan } from "./write-plan";

export interface LeadServiceDeps {
  readonly tx: TransactionRunner;
  readonly writes: Pick<LeadWriteService, "runIn">;
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
}

export type { CallerScope };

export interface CreateOptions {
  readonly channel: Channel;
  readonly partitionName?: string;
  readonly createPartition?: boolean;
}

/** One record of a batch: what it did, or the error its request explains. */
export type SyncRecordResult = { readonly ok: SyncResult } | { readonly error: DomainError };

export class LeadService {
  private defaultPartitionId?: number;

  constructor(private readonly deps: LeadServiceDeps) {}

  /** syncLead: match Id > ForeignSysPersonId > Email, then update or create. */
  async syncLead(input: LeadInput, options: SyncOptions): Promise<SyncResult> {
    const data = await this.normaliseFresh(input);
    const [result] = await this.deps.tx.run((repos) => this.syncManyWith(repos, [data], options));
    if ("error" in result) throw result.error;
    return result.ok;
  }

  /** Checks an input against the field catalogue (reloaded once for an unknown name), outside any transaction. */
  prepare(input: LeadInput): Promise<NormalisedInput> {
    return this.normaliseFresh(input);
  }

  /** syncLead for many records, in order, as one unit of work inside the caller's transaction; `records` come from prepare(). */
  async syncManyWith(repos: Repositories, records: readonly NormalisedInput[], options: SyncOptions): Promise<SyncRecordResult[]> {
    const scope = await partitionsOf(options.caller, repos);
    const createIn = await this.partitionForCreate(options, repos).catch((error: unknown) => {
      if (isRequestError(error)) return error;
      throw error;
    });
    const target = { kind: "match", dedupByEmail: options.dedupByEmail, keepGivenId: options.keepGivenId ?? false, createIn, scope } as const;
    const intent = (data: NormalisedInput) => ({ channel: options.channel, requestedUnsubscribed: data.unsubscribed, mayResubscribe: options.caller?.mayResubscribe });
    const plans: WritePlan[] = records.map((data) => ({ op: "write", target, data, intent: intent(data) }));
    return (await this.deps.writes.runIn(repos, plans)).map(toSyncResult);
  }

  /** Creates a lead in a partition even when the email exists elsewhere (admin API). */
  async createLead(input: LeadInput, options: CreateOptions): Promise<Lead> {
    const data = await this.normaliseFresh(input);
    return this.deps.tx.run(async (repos) => {
      const partitionId = options.partitionName
        ? await this.partitionFor(options.partitionName, options.createPartition ?? false, repos)
        : await this.defaultPartition(repos);
      return this.writeOne(repos, { op: "write", target: { kind: "new", partitionId }, data, intent: { channel: options.channel, requestedUnsubscribed: data.unsubscribed } });
    });
  }

  /** Changes an existing lead found by id. */
  async updateLead(id: number, input: LeadInput, channel: Channel, caller?: CallerScope): Promise<Lead> {
    const data = await this.normaliseFresh({ ...input, id });
    return this.deps.tx.run(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      return this.writeOne(repos, { op: "write", target: { kind: "existing", leadId: id, scope }, data, intent: { channel, requestedUnsubscribed: data.unsubscribed, mayResubscribe: caller?.mayResubscribe } });
    });
  }

  /** One change (the same fields) on many existing leads, one unit of work: a flow step. Missing leads are each a LeadNotFoundError. */
  async updateLeads(ids: readonly number[], input: LeadInput, channel: Channel, caller?: CallerScope): Promise<PlanResult[]> {
    const data = await this.normaliseFresh(input);
    return this.deps.tx.run(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      const intent = { channel, requestedUnsubscribed: data.unsubscribed, mayResubscribe: caller?.mayResubscribe };
      return this.deps.writes.runIn(repos, ids.map((leadId) => ({ op: "write", target: { kind: "existing", leadId, scope }, data, intent })));
    });
  }

  /**
   * updateLead inside the caller's transaction, for a channel whose own bookkeeping must commit
   * with the write (the Salesforce sync). Standard and known fields only: no catalogue reload.
   */
  updateLeadWith(repos: Repositories, id: number, input: LeadInput, channel: Channel, options: { resubscribeOnlyFrom?: ChannelName } = {}): Promise<Lead> {
    const data = this.normalise({ ...input, id });
    return this.writeOne(repos, { op: "write", target: { kind: "existing", leadId: id }, data, intent: { channel, requestedUnsubscribed: data.unsubscribed, ...options } });
  }

  /** createLead (Default partition) inside the caller's transaction; see updateLeadWith. */
  async createLeadWith(repos: Repositories, input: LeadInput, channel: Channel): Promise<Lead> {
    const data = this.normalise(input);
    const partitionId = await this.defaultPartition(repos);
    return this.writeOne(repos, { op: "write", target: { kind: "new", partitionId }, data, intent: { channel, requestedUnsubscribed: data.unsubscribed } });
  }

  /** Deletes a lead. Its address keeps its status (D4). */
  async deleteLead(id: number, channel: Channel): Promise<void> {
    await this.deps.tx.run((repos) => this.writeOne(repos, { op: "delete", leadId: id, channel }));
  }

  private async writeOne(repos: Repositories, plan: WritePlan): Promise<Lead> {
    const [result] = await this.deps.writes.runIn(repos, [plan]);
    if ("error" in result) throw result.error;
    return result.ok.lead as Lead;
  }

  /** MktowsContextHeader's workspace, else the caller's first workspace, else Default. */
  private async partitionForCreate(options: SyncOptions, repos: Repositories): Promise<number> {
    const allowed = options.caller?.workspaces;
    if (options.workspace && allowed && !allowed.includes(options.workspace)) {
      throw new AccessDeniedError(`workspace '${options.workspace.slice(0, 80)}' is not one this API user may use`);
    }
    const workspace = options.workspace ?? allowed?.[0];
    if (!workspace) return this.defaultPartition(repos);
    const id = await repos.partitions.primaryPartitionOfWorkspace(workspace);
    if (id === null) throw new InvalidValueError(`workspace '${workspace.slice(0, 80)}' does not exist`);
    return id;
  }

  /** "Default" is created by the first migration and never removed: looked up once. */
  private async defaultPartition(repos: Repositories): Promise<number> {
    return (this.defaultPartitionId ??= await repos.partitions.defaultPartitionId());
  }

  private async partitionFor(name: string, create: boolean, repos: Repositories): Promise<number> {
    if (create) return repos.partitions.findOrCreate(name, true);
    const id = await repos.partitions.findByName(name);
    if (id === null) throw new InvalidValueError(`partition '${name}' does not exist`);
    return id;
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

function toSyncResult(result: PlanResult): SyncRecordResult {
  if ("error" in result) return result;
  const done: WriteDone = result.ok;
  const lead = done.lead as Lead;
  return { ok: { leadId: lead.id, status: done.status === "CREATED" ? "CREATED" : "UPDATED", lead, ...(done.previous ? { previous: done.previous } : {}) } };
}
