/**
 * The one write path (STYLE habit 6, SPEC §2 "every write … goes through one path"). Every
 * channel hands its write plans here, one or a thousand:
 *
 * 1. lock: every address the plans name, and the current address of every lead they name by id
 *    or foreign id, is locked in hash order, and every lead they may touch is read under those
 *    locks — one statement (WriteStore.lockForWrite);
 * 2. decide: the plans fold in request order through the pure rules (write-decider.ts), giving
 *    data: rows to insert, update and delete, activity rows, master changes, propagation sets;
 * 3. apply: persistence writes that data in a fixed handful of statements (WriteStore.apply),
 *    the lead subscriber checking each lead row against it, in the caller's transaction.
 *
 * A plan whose request is bad fails alone (its PlanResult is the error) and writes nothing; any
 * other error ends the unit, and with it the transaction: nothing half-written.
 */
import { emailKey, type EmailHasher } from "./email";
import type { FieldCatalogue } from "./lead-fields";
import type { Repositories, TransactionRunner } from "./ports";
import { decideWrites, type ErasureCandidates } from "./write-decider";
import type { LockRequest, PlanResult, WritePlan } from "./write-plan";

export interface LeadWriteServiceDeps {
  readonly tx: TransactionRunner;
  readonly hasher: EmailHasher;
  readonly fields: () => FieldCatalogue;
  readonly now?: () => Date;
  /** Told of every committed change of an address's status (metrics). */
  readonly onStatusChanged?: (e: { unsubscribed: boolean; channel: string; propagatedTo: number }) => void;
}

const FOREIGN_TYPES = ["CUSTOM", "SFDC", "NETSUITE"];

export class LeadWriteService {
  constructor(private readonly deps: LeadWriteServiceDeps) {}

  /** The plans as one unit of work in a transaction of their own. */
  run(plans: readonly WritePlan[]): Promise<PlanResult[]> {
    return this.deps.tx.run((repos) => this.runIn(repos, plans));
  }

  /** The plans as one unit of work inside the caller's transaction (a channel's own bookkeeping commits with it). */
  async runIn(repos: Repositories, plans: readonly WritePlan[]): Promise<PlanResult[]> {
    if (plans.length === 0) return [];
    // One HMAC per address for the unit, however many plans and steps name it.
    const hasher = memoised(this.deps.hasher);
    const snapshot = await repos.writes.lockForWrite(this.lockRequest(plans, hasher));
    const candidates = await this.erasureCandidates(plans, repos);
    const { outcome, results } = decideWrites(plans, snapshot, { hasher, fields: this.deps.fields, now: this.deps.now ?? (() => new Date()) }, candidates);
    await repos.writes.apply(outcome);
    const notify = this.deps.onStatusChanged;
    if (notify && outcome.masterChanges.length) {
      const changes = outcome.masterChanges.map((m) => ({ unsubscribed: m.change.unsubscribed, channel: m.change.channel, propagatedTo: m.propagatedTo }));
      repos.afterCommit(() => changes.forEach(notify));
    }
    return results;
  }

  /** Every key the plans name: addresses to lock (and create), leads by id, leads by foreign id. */
  private lockRequest(plans: readonly WritePlan[], hasher: EmailHasher): LockRequest {
    const addresses = new Map<string, string>();
    const leadIds = new Set<number>();
    const foreign = new Map<string, { type: string; id: string }>();
    const address = (email: string | undefined) => {
      const key = emailKey(email);
      if (key) addresses.set(hasher(key), email as string);
    };
    for (const plan of plans) {
      switch (plan.op) {
        case "write": {
          const { data, target } = plan;
          address(data.email);
          if (target.kind === "existing") leadIds.add(target.leadId);
          if (data.id !== undefined) leadIds.add(data.id);
          if (data.foreignSysPersonId) {
            for (const type of data.foreignSysType ? [data.foreignSysType] : FOREIGN_TYPES) foreign.set(`${type}:${data.foreignSysPersonId}`, { type, id: data.foreignSysPersonId });
          }
          break;
        }
        case "delete":
          leadIds.add(plan.leadId);
          break;
        case "merge":
          for (const id of [plan.winnerId, ...plan.loserIds]) leadIds.add(id);
          break;
        case "unsubscribeAddress":
        case "erase":
          address(plan.email);
          break;
        case "oneClick":
          // No plaintext: a master row it creates has none ('' until a lead brings the address).
          if (!addresses.has(plan.emailHash)) addresses.set(plan.emailHash, "");
          if (plan.leadId !== undefined) leadIds.add(plan.leadId);
          break;
        case "log":
          break;
      }
    }
    return { addresses: [...addresses].map(([emailHash, email]) => ({ emailHash, email })), leadIds: [...leadIds], foreignIds: [...foreign.values()] };
  }

  /** Email Address change rows that may name an erased address; SQL only narrows them, emailKey() decides (write-decider). */
  private async erasureCandidates(plans: readonly WritePlan[], repos: Repositories): Promise<ErasureCandidates> {
    const out = new Map<string, { id: number; attributes: { name: string; value: string }[] }[]>();
    for (const plan of plans) {
      if (plan.op !== "erase") continue;
      const key = emailKey(plan.email);
      if (!key) continue;
      const at = key.lastIndexOf("@");
      const fragment = at >= 0 && /^[\x20-\x7e]+$/.test(key.slice(at)) ? key.slice(at) : null;
      out.set(this.deps.hasher(key), await repos.activities.emailChangeRowsMentioning(fragment));
    }
    return out;
  }
}

function memoised(hasher: EmailHasher): EmailHasher {
  const known = new Map<string, string>();
  return (key) => {
    let hash = known.get(key);
    if (hash === undefined) known.set(key, (hash = hasher(key)));
    return hash;
  };
}
