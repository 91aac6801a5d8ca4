/**
 * The fold of a unit of work: its plans, in request order, through the pure rules of
 * email-status.policy.ts, over what the unit locked (WriteState). No I/O. A plan either applies
 * whole or fails whole with a DomainError: every check runs before the state changes. A repeated
 * key sees the earlier plan's result (a batch that creates an address and then updates it
 * updates the lead it created).
 */
import { booleanText, changeDataValueRow, deleteLeadRow, newLeadRow, unsubscribeEmailRow, type ValueChange } from "./activity-log.service";
import { applyInput, fieldChanges, flagChange, scopeOf, withoutAddress } from "./write-values";
import { emailKey, type EmailHasher } from "./email";
import { decideOnCreate, decideOnUpdate, type FlagDecision } from "./email-status.policy";
import { AccessDeniedError, InvalidValueError, isRequestError, LeadNotFoundError, MergeFailedError } from "./errors";
import type { FieldCatalogue } from "./lead-fields";
import type { NormalisedInput } from "./lead-input";
import { ActivityTypes, SystemReasons, type Lead, type WriteIntent } from "./types";
import type { LockedSnapshot, PlanResult, WriteDone, WriteOutcome, WritePlan, WriteTarget } from "./write-plan";
import { cloneLead, WriteState } from "./write-state";

export const ERASED_REASON = "erased";

export interface DeciderDeps {
  readonly hasher: EmailHasher;
  readonly fields: () => FieldCatalogue;
  readonly now: () => Date;
}

/** Activity rows that may name an erased address, read under the unit's locks, by email hash. */
export type ErasureCandidates = ReadonlyMap<string, readonly { id: number; attributes: { name: string; value: string }[] }[]>;

export function decideWrites(
  plans: readonly WritePlan[],
  snapshot: LockedSnapshot,
  deps: DeciderDeps,
  erasureCandidates: ErasureCandidates = new Map(),
): { outcome: WriteOutcome; results: PlanResult[] } {
  const fold = new Fold(new WriteState(snapshot), deps, erasureCandidates);
  const results = plans.map((plan): PlanResult => {
    try {
      return { ok: fold.apply(plan) };
    } catch (error) {
      if (isRequestError(error)) return { error };
      throw error;
    }
  });
  return { outcome: fold.state.toOutcome(), results };
}

class Fold {
  constructor(
    readonly state: WriteState,
    private readonly deps: DeciderDeps,
    private readonly erasureCandidates: ErasureCandidates,
  ) {}

  apply(plan: WritePlan): WriteDone {
    switch (plan.op) {
      case "write":
        return this.write(plan.target, plan.data, plan.intent);
      case "delete":
        return this.delete(plan.leadId, plan.channel);
      case "merge":
        return this.merge(plan.winnerId, plan.loserIds, plan.channel);
      case "unsubscribeAddress":
        return this.unsubscribeAddress(plan.email, plan.channel);
      case "oneClick":
        return this.oneClick(plan.emailHash, plan.leadId, plan.label, plan.channel);
      case "erase":
        return this.erase(plan.email, plan.channel);
      case "log":
        for (const row of plan.activities) this.state.activities.push(() => row);
        return { status: "LOGGED", others: [] };
    }
  }

  private write(target: WriteTarget, data: NormalisedInput, intent: WriteIntent): WriteDone {
    const lead = this.target(target, data);
    const next = lead ? cloneLead(lead) : this.newLead(target, data);
    this.checkForeignId(lead ?? next, data);
    applyInput(next, data);
    return lead ? this.update(lead, next, intent, scopeOf(target)) : this.create(next, intent);
  }

  /** The existing lead a write targets, or null for a create. */
  private target(target: WriteTarget, data: NormalisedInput): Lead | null {
    if (target.kind === "new") return null;
    if (target.kind === "existing") {
      const lead = this.state.findById(target.leadId);
      if (!lead || (target.scope && !target.scope.includes(lead.partitionId))) throw new LeadNotFoundError(`No lead found with IDNUM = ${target.leadId}`);
      return lead;
    }
    const lead = this.match(target, data);
    if (lead && target.scope && !target.scope.includes(lead.partitionId)) {
      throw new AccessDeniedError(`lead ${lead.id} is in a workspace this API user may not use`);
    }
    return lead ?? null;
  }

  /** syncLead's matching: Id > ForeignSysPersonId (with its type) > the address's most recently updated lead. */
  private match(target: Extract<WriteTarget, { kind: "match" }>, data: NormalisedInput): Lead | undefined {
    if (data.id !== undefined) {
      const lead = this.state.findById(data.id);
      if (lead) return lead;
      if (!target.keepGivenId) throw new LeadNotFoundError(`No lead found with IDNUM = ${data.id}`);
    }
    if (data.foreignSysPersonId) {
      const lead = this.state.findByForeign(data.foreignSysType ?? "CUSTOM", data.foreignSysPersonId);
      if (lead) return lead;
    }
    const hash = this.hashOf(data.email);
    if (!hash || !target.dedupByEmail || (target.keepGivenId && data.id !== undefined)) return undefined;
    return this.state.latestWithHash(hash, target.scope);
  }

  private newLead(target: WriteTarget, data: NormalisedInput): Lead {
    const createIn = target.kind === "new" ? target.partitionId : target.kind === "match" ? target.createIn : 0;
    // The partition a create goes to could not be had (a workspace the caller may not use): only creates fail.
    if (typeof createIn !== "number") throw createIn;
    const partitionId = createIn;
    const id = target.kind === "match" && target.keepGivenId && data.id !== undefined ? data.id : 0;
    const now = this.deps.now();
    const lead: Lead = {
      id,
      email: null,
      emailKey: null,
      emailHash: null,
      foreignSysPersonId: null,
      foreignSysType: null,
      partitionId,
      unsubscribed: false,
      unsubscribedReason: null,
      fields: {},
      createdAt: data.createdAt ?? now,
      updatedAt: data.updatedAt ?? data.createdAt ?? now,
    };
    // A create with times of its own (an import's Created At / Updated At) writes them; others take the database's now().
    if (data.createdAt || data.updatedAt) this.state.givenTimes.add(lead);
    return lead;
  }

  /** A foreign id names one lead: giving a lead one that another lead holds is a bad value. */
  private checkForeignId(lead: Lead, data: NormalisedInput): void {
    if (!data.foreignSysPersonId) return;
    const type = data.foreignSysType ?? lead.foreignSysType ?? "CUSTOM";
    if (lead.foreignSysPersonId === data.foreignSysPersonId && lead.foreignSysType === type) return;
    const holder = this.state.findByForeign(type, data.foreignSysPersonId);
    if (holder && holder !== lead) {
      throw new InvalidValueError(`ForeignSysPersonId '${data.foreignSysPersonId.slice(0, 80)}' (${type}) belongs to another lead`);
    }
  }

  /** D3: a create never re-subscribes; a create with Unsubscribed=true is an unsubscribe (D1). */
  private create(next: Lead, intent: WriteIntent): WriteDone {
    this.deriveKey(next);
    const master = next.emailHash ? this.state.statusOf(next.emailHash) : false;
    const decision = decideOnCreate({ key: next.emailKey, masterUnsubscribed: master, requested: intent.requestedUnsubscribed });
    next.unsubscribed = decision.unsubscribed;
    const lead = this.state.add(next);
    const channel = intent.channel;
    this.state.activities.push(() => newLeadRow(lead, channel));
    if (lead.unsubscribed) {
      const change = flagChange(false, true, decision);
      this.state.activities.push(() => changeDataValueRow(lead.id, lead.emailHash, change, channel));
    }
    return { status: "CREATED", lead, others: this.changeMaster(lead, decision, intent) };
  }

  /** D1, D2, D5, D6 on an existing lead; `lead` is the working row, `next` what the request makes of it. */
  private update(lead: Lead, next: Lead, intent: WriteIntent, scope?: readonly number[]): WriteDone {
    this.deriveKey(next);
    if (next.emailKey === lead.emailKey) next.emailHash = lead.emailHash;
    const decision = decideOnUpdate({
      before: { key: lead.emailKey, unsubscribed: lead.unsubscribed },
      afterKey: next.emailKey,
      masterBefore: lead.emailHash ? this.state.statusOf(lead.emailHash) : false,
      masterAfter: next.emailHash ? this.state.statusOf(next.emailHash) : false,
      requested: intent.requestedUnsubscribed,
    });
    if (decision.masterUnsubscribed === false && next.emailHash) this.checkMayResubscribe(next.emailHash, intent, scope);
    next.unsubscribed = decision.unsubscribed;

    const previous = cloneLead(lead);
    const changes = fieldChanges(previous, next, this.deps.fields());
    if (previous.unsubscribed !== next.unsubscribed) changes.push(flagChange(previous.unsubscribed, next.unsubscribed, decision));
    this.state.write(lead, next);
    for (const change of changes) this.state.activities.push(() => changeDataValueRow(lead.id, lead.emailHash, change, intent.channel));
    return { status: "UPDATED", lead, previous, others: this.changeMaster(lead, decision, intent) };
  }

  /** D2 reaches every partition: a caller limited to some may not re-subscribe an address that has leads elsewhere. */
  private checkMayResubscribe(hash: string, intent: WriteIntent, scope?: readonly number[]): void {
    if (intent.mayResubscribe === false) throw new AccessDeniedError("this API user may not re-subscribe addresses");
    const from = intent.resubscribeOnlyFrom;
    if (from && this.state.channelOf(hash) !== from) {
      throw new AccessDeniedError(`the ${from} channel may re-subscribe only an address it unsubscribed (this one was unsubscribed by ${this.state.channelOf(hash) ?? "no channel"})`);
    }
    const within = scope ?? intent.scopePartitionIds;
    if (within && this.state.leadsWithHash(hash).some((l) => !within.includes(l.partitionId))) {
      throw new AccessDeniedError("the address also has leads in workspaces this API user may not use; a re-subscribe would reach them");
    }
  }

  /** D1/D2: the lead's write changes its address's status; the other leads follow (updateLeadEmailStatus rows). */
  private changeMaster(lead: Lead, decision: FlagDecision, intent: WriteIntent): number[] {
    if (decision.masterUnsubscribed === undefined || !lead.emailHash) return [];
    return this.setAddressStatus(lead.emailHash, lead.email ?? "", decision.masterUnsubscribed, lead, SystemReasons.propagate, intent);
  }

  /**
   * The one place an address's status changes: the master row and its history row, then every
   * lead with the address but the causing one takes the status, each with its Change Data Value
   * row (the rule's Reason, or, when no lead asked, the channel's own). Returns the leads changed.
   */
  private setAddressStatus(hash: string, email: string, unsubscribed: boolean, causedBy: Lead | null, fanOutReason: string | undefined, intent: WriteIntent): number[] {
    const channel = intent.channel;
    const others = this.state.leadsWithHash(hash).filter((l) => l !== causedBy && l.unsubscribed !== unsubscribed);
    this.state.changeMaster({
      emailHash: hash,
      email,
      causedBy,
      propagatedTo: others.length,
      change: { at: this.deps.now(), unsubscribed, channel: channel.name, reason: channel.reason, source: channel.source, leadId: causedBy?.id ?? null },
    });
    const row: ValueChange = {
      field: "Unsubscribed",
      displayName: "Unsubscribed",
      oldValue: booleanText(!unsubscribed),
      newValue: booleanText(unsubscribed),
      ...(fanOutReason ? { systemReason: fanOutReason } : {}),
    };
    for (const other of others) {
      this.state.setFlag(other, unsubscribed);
      this.state.activities.push(() => changeDataValueRow(other.id, hash, row, channel));
    }
    return others.map((l) => l.id);
  }

  private delete(leadId: number, channel: WriteIntent["channel"]): WriteDone {
    const lead = this.state.findById(leadId);
    if (!lead) throw new LeadNotFoundError(`No lead found with IDNUM = ${leadId}`);
    this.remove(lead, channel);
    return { status: "DELETED", lead: cloneLead(lead), others: [] };
  }

  private remove(lead: Lead, channel: WriteIntent["channel"]): void {
    const gone = cloneLead(lead);
    this.state.remove(lead);
    this.state.activities.push(() => deleteLeadRow(gone, channel));
  }

  /** D9: the winner keeps its email, fills its empty values from the losers, and is unsubscribed if any of them was. */
  private merge(winnerId: number, loserIds: readonly number[], channel: WriteIntent["channel"]): WriteDone {
    const winner = this.state.findById(winnerId);
    if (!winner) throw new MergeFailedError(`lead ${winnerId} was deleted meanwhile`);
    const losers = loserIds.map((id) => {
      const l = this.state.findById(id);
      if (!l) throw new MergeFailedError(`lead ${id} was deleted meanwhile`);
      return l;
    });
    const anyUnsubscribed = winner.unsubscribed || losers.some((l) => l.unsubscribed);
    for (const loser of losers) this.remove(loser, channel);
    const next = cloneLead(winner);
    for (const loser of losers) for (const [k, v] of Object.entries(loser.fields)) if (!next.fields[k] && v) next.fields[k] = v;
    const donor = losers.find((l) => l.foreignSysPersonId);
    if (!next.foreignSysPersonId && donor && !this.state.findByForeign(donor.foreignSysType ?? "CUSTOM", donor.foreignSysPersonId as string)) {
      next.foreignSysPersonId = donor.foreignSysPersonId;
      next.foreignSysType = donor.foreignSysType;
    }
    const done = this.update(winner, next, { channel, requestedUnsubscribed: anyUnsubscribed ? true : undefined });
    this.state.activities.push(() => ({
      leadId: winner.id,
      typeId: ActivityTypes.mergeLeads.id,
      typeName: ActivityTypes.mergeLeads.name,
      mktgAssetName: "",
      attributes: [
        { name: "Merge IDs", value: loserIds.join(",") },
        { name: "Merged in Sales", value: "false" },
        { name: "Source", value: channel.source },
        { name: "Lead ID", value: String(winner.id) },
      ],
      campaign: channel.campaign ?? null,
      emailHash: winner.emailHash,
    }));
    return done;
  }

  /** An import's unsubscribe list: the address, whether or not any lead has it (D6 when it is already). */
  private unsubscribeAddress(email: string, channel: WriteIntent["channel"]): WriteDone {
    const hash = this.requiredHash(email);
    if (this.state.statusOf(hash)) return { status: "UPDATED", others: [], unchanged: true };
    return { status: "UPDATED", others: this.setAddressStatus(hash, email, true, null, undefined, { channel, requestedUnsubscribed: true }) };
  }

  /**
   * A one-click unsubscribe (D1, idempotent): the lead the link was made for (else the address's
   * latest lead) gets the channel's row and an Unsubscribe Email row with the link's label; the
   * other leads the usual propagation rows. An address with no lead is unsubscribed all the same.
   */
  private oneClick(hash: string, leadId: number | undefined, label: string | undefined, channel: WriteIntent["channel"]): WriteDone {
    if (this.state.statusOf(hash)) return { status: "UPDATED", others: [], unchanged: true };
    const withAddress = this.state.leadsWithHash(hash);
    const lead = withAddress.find((l) => l.id === leadId) ?? this.state.latestWithHash(hash);
    if (lead) {
      const next = cloneLead(lead);
      next.unsubscribed = true;
      this.state.write(lead, next);
      const id = lead.id;
      this.state.activities.push(() => changeDataValueRow(id, hash, { field: "Unsubscribed", displayName: "Unsubscribed", oldValue: booleanText(false), newValue: booleanText(true) }, channel));
      this.state.activities.push(() => unsubscribeEmailRow(id, hash, label ?? "", channel));
    }
    const others = this.setAddressStatus(hash, "", true, lead ?? null, lead ? SystemReasons.propagate : undefined, { channel, requestedUnsubscribed: true });
    return { status: "UPDATED", ...(lead ? { lead } : {}), others };
  }

  /** Erasure: every lead with the address is deleted, its plaintext goes, it stays unsubscribed (reason erased). */
  private erase(email: string, channel: WriteIntent["channel"]): WriteDone {
    const hash = this.requiredHash(email);
    const key = emailKey(email) as string;
    const leads = this.state.leadsWithHash(hash);
    for (const lead of leads) this.remove(lead, channel);
    this.state.changeMaster({
      emailHash: hash,
      email: "",
      causedBy: null,
      propagatedTo: 0,
      change: { at: this.deps.now(), unsubscribed: true, channel: channel.name, reason: ERASED_REASON, source: channel.source, leadId: null },
    });
    this.state.blankAddresses.push(hash);
    const blanked = (this.erasureCandidates.get(hash) ?? []).flatMap((row) => {
      const attributes = withoutAddress(row.attributes, key);
      return attributes ? [{ id: row.id, attributes }] : [];
    });
    this.state.blankActivities.push(...blanked);
    return { status: "DELETED", others: leads.map((l) => l.id), blanked: blanked.length };
  }

  private requiredHash(email: string): string {
    const hash = this.hashOf(email);
    if (!hash) throw new InvalidValueError("email is empty");
    return hash;
  }

  private hashOf(email: string | null | undefined): string | null {
    const key = emailKey(email);
    return key ? this.deps.hasher(key) : null;
  }

  private deriveKey(lead: Lead): void {
    lead.emailKey = emailKey(lead.email);
    if (lead.emailKey === null) lead.email = null;
    lead.emailHash = lead.emailKey ? this.deps.hasher(lead.emailKey) : null;
  }
}
