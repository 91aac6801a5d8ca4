/**
 * Static lists: listOperation (ADDTOLIST, REMOVEFROMLIST, ISMEMBEROFLIST) and list lookup by
 * name ("Program.List" or "List"). Adding and removing write Add to List / Remove from List
 * activity rows in the same transaction.
 */
import type { EmailHasher } from "./email";
import { DomainError, InvalidLeadKeyError, InvalidValueError } from "./errors";
import { findLeadsByKey, latestOf } from "./lead-key";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { LeadWriteService } from "./lead-write.service";
import type { Repositories, TransactionRunner } from "./ports";
import type { Channel, LeadKey } from "./types";

export class ListNotFoundError extends DomainError {
  readonly kind = "listNotFound";
}

export type ListOperation = "ADDTOLIST" | "REMOVEFROMLIST" | "ISMEMBEROFLIST";

export interface ListOperationResult {
  readonly success: boolean;
  /** Per-lead statuses; null when every lead succeeded (ADDTOLIST/REMOVEFROMLIST), as Marketo answers. */
  readonly statuses: { key: LeadKey; status: boolean }[] | null;
}

export class ListService {
  constructor(private readonly deps: { readonly tx: TransactionRunner; readonly hasher: EmailHasher; readonly writes: Pick<LeadWriteService, "runIn"> }) {}

  /** Resolves "Program.List" (or a bare list name) to a list id. */
  async findList(name: string): Promise<number> {
    return this.deps.tx.run((repos) => this.resolve(name, repos));
  }

  async findListById(id: number): Promise<number> {
    return this.deps.tx.run(async (repos) => {
      const list = await repos.lists.findById(id);
      if (!list) throw new ListNotFoundError(`List not found: id ${id}`);
      return list.id;
    });
  }

  async createList(programName: string, name: string): Promise<number> {
    if (!name.trim()) throw new InvalidValueError("a list needs a name");
    return this.deps.tx.run((repos) => repos.lists.create(programName.trim(), name.trim()));
  }

  async run(op: ListOperation, listName: string, keys: LeadKey[], strict: boolean, channel: Channel, caller?: CallerScope): Promise<ListOperationResult> {
    return this.deps.tx.run(async (repos) => {
      const listId = await this.resolve(listName, repos);
      const scope = await partitionsOf(caller, repos);
      // One after another: these queries share the transaction's one connection.
      const resolved: { key: LeadKey; leadId: number | null }[] = [];
      for (const key of keys) resolved.push({ key, leadId: await this.leadIdOf(key, repos, scope) });
      const ids = resolved.map((r) => r.leadId).filter((id): id is number => id !== null);
      const members = await repos.lists.membersAmong(listId, ids);
      if (op === "ISMEMBEROFLIST") {
        const statuses = resolved.map((r) => ({ key: r.key, status: r.leadId !== null && members.has(r.leadId) }));
        return { success: statuses.every((s) => s.status), statuses };
      }
      const ok = (leadId: number | null) => leadId !== null && (op === "ADDTOLIST" ? true : members.has(leadId));
      const failures = resolved.filter((r) => !ok(r.leadId)).map((r) => ({ key: r.key, status: false }));
      if (strict && failures.length > 0) return { success: false, statuses: failures };
      const changed =
        op === "ADDTOLIST"
          ? await repos.lists.addMembers(listId, ids.filter((id) => !members.has(id)))
          : await repos.lists.removeMembers(listId, ids.filter((id) => members.has(id)));
      const type = op === "ADDTOLIST" ? { id: 24, name: "Add to List" } : { id: 25, name: "Remove from List" };
      await this.deps.writes.runIn(repos, [
        {
          op: "log",
          activities: changed.map((leadId) => ({
            leadId,
            typeId: type.id,
            typeName: type.name,
            mktgAssetName: listName,
            attributes: [
              { name: "List Name", value: listName },
              { name: "Source", value: channel.source },
              { name: "Lead ID", value: String(leadId) },
            ],
            campaign: channel.campaign ?? null,
            emailHash: null,
          })),
        },
      ]);
      return failures.length ? { success: false, statuses: failures } : { success: true, statuses: null };
    });
  }

  private async resolve(name: string, repos: Repositories): Promise<number> {
    const trimmed = name.trim();
    const dot = trimmed.indexOf(".");
    let list = dot > 0 ? await repos.lists.findByName(trimmed.slice(0, dot), trimmed.slice(dot + 1)) : null;
    list ??= await repos.lists.findByName(null, trimmed);
    if (!list) throw new ListNotFoundError(`List not found: ${trimmed.slice(0, 120)}`);
    return list.id;
  }

  /** The lead a key names, if the caller may see it (a lead outside its workspaces counts as not found). */
  private async leadIdOf(key: LeadKey, repos: Repositories, scope: number[] | undefined): Promise<number | null> {
    if (!["IDNUM", "EMAIL", "SFDCLEADID", "SFDCCONTACTID"].includes(key.type)) throw new InvalidValueError(`keyType ${key.type} is not supported in listMemberList`);
    const leads = await findLeadsByKey(key, this.deps.hasher, repos).catch((error: unknown) => {
      if (error instanceof InvalidLeadKeyError) return []; // an unusable key names no lead: its status is false
      throw error;
    });
    return latestOf(leads.filter((l) => !scope || scope.includes(l.partitionId)))?.id ?? null;
  }
}
