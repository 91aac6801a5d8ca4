/**
 * What one unit of work knows while it folds its plans (write-decider.ts): the master rows and
 * leads it locked, as they stand after the plans folded so far, with the lookups matching needs,
 * and the rows, activities and master changes it has decided. A value the unit holds, nothing
 * shared: when the fold ends, toOutcome() turns it into the data persistence applies.
 */
import { InvalidWriteError } from "./errors";
import type { LockedSnapshot, MasterChange, PendingActivity, WriteOutcome } from "./write-plan";
import type { EmailStatus, Lead } from "./types";

export function cloneLead(lead: Lead): Lead {
  return { ...lead, fields: { ...lead.fields } };
}

export function sameLead(a: Lead, b: Lead): boolean {
  if (
    a.email !== b.email ||
    a.emailHash !== b.emailHash ||
    a.foreignSysPersonId !== b.foreignSysPersonId ||
    a.foreignSysType !== b.foreignSysType ||
    a.unsubscribed !== b.unsubscribed ||
    (a.unsubscribedReason ?? null) !== (b.unsubscribedReason ?? null) ||
    a.partitionId !== b.partitionId
  ) {
    return false;
  }
  const names = new Set([...Object.keys(a.fields ?? {}), ...Object.keys(b.fields ?? {})]);
  for (const name of names) if ((a.fields?.[name] ?? "") !== (b.fields?.[name] ?? "")) return false;
  return true;
}

const foreignKey = (type: string, id: string) => `${type}\u0000${id}`;

export class WriteState {
  private readonly masters = new Map<string, EmailStatus>();
  private readonly byId = new Map<number, Lead>();
  private readonly byHash = new Map<string, Set<Lead>>();
  private readonly byForeign = new Map<string, Lead>();
  /** Each working lead and the row it was read as (null: this unit creates it). */
  private readonly original = new Map<Lead, Lead | null>();
  /** Leads a plan wrote itself (not only a propagation's flag). */
  private readonly written = new Set<Lead>();
  private readonly removed = new Set<Lead>();
  /** The lead a plan of this unit wrote last, by address: its most recently updated one. */
  private readonly latest = new Map<string, Lead>();
  readonly activities: PendingActivity[] = [];
  readonly masterChanges: MasterChange[] = [];
  readonly blankAddresses: string[] = [];
  readonly blankActivities: { id: number; attributes: { name: string; value: string }[] }[] = [];
  /** New leads whose createdAt/updatedAt the request gave (an import's), written as they are. */
  readonly givenTimes = new Set<Lead>();

  constructor(snapshot: LockedSnapshot) {
    for (const [hash, status] of snapshot.masters) this.masters.set(hash, { ...status });
    for (const row of snapshot.leads) {
      const lead = cloneLead(row);
      this.original.set(lead, row);
      this.index(lead);
    }
  }

  /** The channel that last changed a locked address's status (null: none ever did). */
  channelOf(hash: string): string | null {
    return this.masters.get(hash)?.channel ?? null;
  }

  /** The decided status of a locked address; an address the unit did not lock is a bug. */
  statusOf(hash: string): boolean {
    const status = this.masters.get(hash);
    if (!status) throw new InvalidWriteError("an address was written that its unit of work did not lock");
    return status.unsubscribed;
  }

  findById(id: number): Lead | undefined {
    return this.byId.get(id);
  }

  findByForeign(type: string, id: string): Lead | undefined {
    return this.byForeign.get(foreignKey(type, id));
  }

  leadsWithHash(hash: string): Lead[] {
    return [...(this.byHash.get(hash) ?? [])];
  }

  /** The most recently updated lead with the address (SPEC §5), among `scope`'s partitions when given. */
  latestWithHash(hash: string, scope?: readonly number[]): Lead | undefined {
    const inScope = (l: Lead) => !scope || scope.includes(l.partitionId);
    const last = this.latest.get(hash);
    if (last && this.byHash.get(hash)?.has(last) && inScope(last)) return last;
    return this.leadsWithHash(hash)
      .filter(inScope)
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.id - a.id)[0];
  }

  /** A lead this unit creates. */
  add(lead: Lead): Lead {
    this.original.set(lead, null);
    this.written.add(lead);
    this.index(lead);
    if (lead.emailHash) this.latest.set(lead.emailHash, lead);
    return lead;
  }

  /** A plan's write of an existing lead: `lead` (the working object) takes `next`'s values. */
  write(lead: Lead, next: Lead): void {
    this.unindex(lead);
    Object.assign(lead, next);
    this.index(lead);
    this.written.add(lead);
    if (lead.emailHash) this.latest.set(lead.emailHash, lead);
  }

  /** A propagation's write: only the flag. */
  setFlag(lead: Lead, unsubscribed: boolean): void {
    lead.unsubscribed = unsubscribed;
  }

  remove(lead: Lead): void {
    this.unindex(lead);
    this.removed.add(lead);
  }

  /** An address's new status (its history row is the MasterChange). */
  changeMaster(change: MasterChange): void {
    const current = this.masters.get(change.emailHash);
    if (!current) throw new InvalidWriteError("an address was changed that its unit of work did not lock");
    const c = change.change;
    this.masters.set(change.emailHash, {
      ...current,
      email: change.email === "" ? current.email : change.email,
      unsubscribed: c.unsubscribed,
      reason: c.reason,
      channel: c.channel,
      source: c.source,
      changedAt: c.at,
    });
    this.masterChanges.push(change);
  }

  toOutcome(): WriteOutcome {
    const inserts: Lead[] = [];
    const updates: Lead[] = [];
    const deletes: number[] = [];
    const propagated = new Map<boolean, number[]>();
    for (const [lead, row] of this.original) {
      if (this.removed.has(lead)) {
        if (row) deletes.push(row.id);
      } else if (!row) {
        inserts.push(lead);
      } else if (this.written.has(lead)) {
        if (!sameLead(lead, row)) updates.push(lead);
      } else if (lead.unsubscribed !== row.unsubscribed) {
        propagated.set(lead.unsubscribed, [...(propagated.get(lead.unsubscribed) ?? []), lead.id]);
      }
    }
    const decided = new Map([...this.masters].map(([hash, s]) => [hash, s.unsubscribed]));
    const ownFlags = new Map([...inserts, ...updates].filter((l) => !l.emailHash).map((l) => [l, l.unsubscribed]));
    return {
      inserts,
      updates,
      deletes,
      propagations: [...propagated].map(([unsubscribed, leadIds]) => ({ unsubscribed, leadIds })),
      activities: this.activities,
      masterChanges: this.masterChanges,
      blankAddresses: this.blankAddresses,
      blankActivities: this.blankActivities,
      givenTimes: this.givenTimes,
      decided,
      ownFlags,
    };
  }

  private index(lead: Lead): void {
    if (lead.id) this.byId.set(lead.id, lead);
    if (lead.emailHash) {
      const set = this.byHash.get(lead.emailHash) ?? new Set<Lead>();
      set.add(lead);
      this.byHash.set(lead.emailHash, set);
    }
    if (lead.foreignSysPersonId) this.byForeign.set(foreignKey(lead.foreignSysType ?? "CUSTOM", lead.foreignSysPersonId), lead);
  }

  private unindex(lead: Lead): void {
    if (lead.id && this.byId.get(lead.id) === lead) this.byId.delete(lead.id);
    if (lead.emailHash) this.byHash.get(lead.emailHash)?.delete(lead);
    if (lead.foreignSysPersonId) {
      const k = foreignKey(lead.foreignSysType ?? "CUSTOM", lead.foreignSysPersonId);
      if (this.byForeign.get(k) === lead) this.byForeign.delete(k);
    }
  }
}
