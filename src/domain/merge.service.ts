/**
 * mergeLeads (SPEC D9): the winner keeps its email and its values (empty ones are filled from
 * the losers); the losers are deleted (D4: their addresses keep their status) and their list
 * memberships move to the winner; if any merged lead was unsubscribed, the winner is
 * unsubscribed (D1 on its key). One transaction; the winner gets a Merge Leads activity.
 */
import type { EmailHasher } from "./email";
import { AccessDeniedError, InvalidLeadKeyError, InvalidValueError, MergeFailedError } from "./errors";
import { findLeadsByKey } from "./lead-key";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { LeadWriteService } from "./lead-write.service";
import type { Repositories, TransactionRunner } from "./ports";
import type { Channel, Lead, LeadKey } from "./types";

export { MergeFailedError };

export interface MergeResult {
  readonly winnerId: number;
  readonly loserIds: number[];
}

export class MergeService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly writes: Pick<LeadWriteService, "runIn">;
    },
  ) {}

  async merge(winnerKey: LeadKey, loserKeys: LeadKey[], channel: Channel, caller?: CallerScope): Promise<MergeResult> {
    if (loserKeys.length === 0) throw new MergeFailedError("no losing leads given");
    return this.deps.tx.run(async (repos) => {
      const winner = await this.one(winnerKey, repos, "winning");
      const losers: Lead[] = [];
      for (const k of loserKeys) losers.push(await this.one(k, repos, "losing"));
      const scope = await partitionsOf(caller, repos);
      if (scope && [winner, ...losers].some((l) => !scope.includes(l.partitionId))) {
        throw new AccessDeniedError("a lead of this merge is in a workspace this API user may not use");
      }
      const loserIds = [...new Set(losers.map((l) => l.id))];
      if (loserIds.includes(winner.id)) throw new MergeFailedError(`lead ${winner.id} cannot win and lose the same merge`);
      // List memberships are not lead rows: they move before the losers go.
      for (const loserId of loserIds) {
        for (const listId of await repos.lists.memberIdsOfLead(loserId)) await repos.lists.addMembers(listId, [winner.id]);
      }
      const [result] = await this.deps.writes.runIn(repos, [{ op: "merge", winnerId: winner.id, loserIds, channel }]);
      if ("error" in result) throw result.error;
      return { winnerId: winner.id, loserIds };
    });
  }

  private async one(key: LeadKey, repos: Repositories, role: string): Promise<Lead> {
    if (key.type === "FOREIGN") throw new InvalidValueError(`key type ${key.type} cannot name a lead to merge`);
    const value = key.value.trim();
    let found: Lead[];
    try {
      found = await findLeadsByKey(key, this.deps.hasher, repos);
    } catch (error) {
      if (error instanceof InvalidLeadKeyError) throw new InvalidValueError(error.message);
      throw error;
    }
    if (found.length === 0) throw new MergeFailedError(`${role} lead not found: ${key.type} = ${value.slice(0, 80)}`);
    if (found.length > 1) throw new MergeFailedError(`${role} key ${key.type} = ${value.slice(0, 80)} matches ${found.length} leads; use IDNUM`);
    return found[0];
  }
}
