/**
 * mergeLeads (SPEC D9): the winner keeps its email and its values (empty ones are filled from
 * the losers); the losers are deleted (D4: their addresses keep their status) and their list
 * memberships move to the winner; if any merged lead was unsubscribed, the winner is
 * unsubscribed (D1 on its key). One transaction; the winner gets a Merge Leads activity.
 */
import { emailKey, type EmailHasher } from "./email";
import { AccessDeniedError, DomainError, InvalidValueError } from "./errors";
import type { EmailStatusService } from "./email-status.service";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { Repositories, TransactionRunner } from "./ports";
import { ActivityTypes, type Channel, type Lead, type LeadKey } from "./types";

export class MergeFailedError extends DomainError {
  readonly kind = "mergeFailed";
}

export interface MergeResult {
  readonly winnerId: number;
  readonly loserIds: number[];
}

export class MergeService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly emailStatus: Pick<EmailStatusService, "lockAddresses">;
    },
  ) {}

  async merge(winnerKey: LeadKey, loserKeys: LeadKey[], channel: Channel, caller?: CallerScope): Promise<MergeResult> {
    if (loserKeys.length === 0) throw new MergeFailedError("no losing leads given");
    return this.deps.tx.run(async (repos) => {
      const winner0 = await this.one(winnerKey, repos, "winning");
      const losers0: Lead[] = [];
      for (const k of loserKeys) losers0.push(await this.one(k, repos, "losing"));
      const scope = await partitionsOf(caller, repos);
      if (scope && [winner0, ...losers0].some((l) => !scope.includes(l.partitionId))) {
        throw new AccessDeniedError("a lead of this merge is in a workspace this API user may not use");
      }
      const loserIds = [...new Set(losers0.map((l) => l.id))];
      if (loserIds.includes(winner0.id)) throw new MergeFailedError(`lead ${winner0.id} cannot win and lose the same merge`);

      await this.deps.emailStatus.lockAddresses([winner0, ...losers0].map((l) => l.email).filter((e): e is string => !!e), repos);
      const winner = await repos.leads.findByIdForUpdate(winner0.id);
      if (!winner) throw new MergeFailedError(`lead ${winner0.id} was deleted meanwhile`);
      const losers: Lead[] = [];
      for (const id of loserIds) {
        const l = await repos.leads.findByIdForUpdate(id);
        if (!l) throw new MergeFailedError(`lead ${id} was deleted meanwhile`);
        losers.push(l);
      }
      const anyUnsubscribed = winner.unsubscribed || losers.some((l) => l.unsubscribed);

      for (const loser of losers) {
        const memberships = await repos.lists.memberIdsOfLead(loser.id);
        for (const listId of memberships) await repos.lists.addMembers(listId, [winner.id]);
        await repos.leads.remove(loser, { channel });
      }

      const fields = { ...winner.fields };
      for (const loser of losers) for (const [k, v] of Object.entries(loser.fields)) if (!fields[k] && v) fields[k] = v;
      winner.fields = fields;
      if (!winner.foreignSysPersonId) {
        const donor = losers.find((l) => l.foreignSysPersonId);
        if (donor && !(await repos.leads.findByForeignId(donor.foreignSysType ?? "CUSTOM", donor.foreignSysPersonId as string))) {
          winner.foreignSysPersonId = donor.foreignSysPersonId;
          winner.foreignSysType = donor.foreignSysType;
        }
      }
      if (anyUnsubscribed) winner.unsubscribed = true;
      const saved = await repos.leads.save(winner, { channel, requestedUnsubscribed: anyUnsubscribed ? true : undefined });
      await repos.activities.insertMany([
        {
          leadId: saved.id,
          typeId: ActivityTypes.mergeLeads.id,
          typeName: ActivityTypes.mergeLeads.name,
          mktgAssetName: "",
          attributes: [
            { name: "Merge IDs", value: loserIds.join(",") },
            { name: "Merged in Sales", value: "false" },
            { name: "Source", value: channel.source },
            { name: "Lead ID", value: String(saved.id) },
          ],
          campaign: channel.campaign ?? null,
          emailHash: saved.emailHash,
        },
      ]);
      return { winnerId: saved.id, loserIds };
    });
  }

  private async one(key: LeadKey, repos: Repositories, role: string): Promise<Lead> {
    const value = key.value.trim();
    let found: Lead[] = [];
    if (key.type === "IDNUM") {
      if (!/^\d{1,9}$/.test(value)) throw new InvalidValueError(`IDNUM '${value.slice(0, 20)}' is not a lead id`);
      const l = await repos.leads.findById(Number(value));
      found = l ? [l] : [];
    } else if (key.type === "EMAIL") {
      const k = emailKey(value);
      found = k ? await repos.leads.findByEmailHash(this.deps.hasher(k)) : [];
    } else if (key.type === "SFDCLEADID" || key.type === "SFDCCONTACTID") {
      const l = await repos.leads.findByForeignId("SFDC", value);
      found = l ? [l] : [];
    } else {
      throw new InvalidValueError(`key type ${key.type} cannot name a lead to merge`);
    }
    if (found.length === 0) throw new MergeFailedError(`${role} lead not found: ${key.type} = ${value.slice(0, 80)}`);
    if (found.length > 1) throw new MergeFailedError(`${role} key ${key.type} = ${value.slice(0, 80)} matches ${found.length} leads; use IDNUM`);
    return found[0];
  }
}
