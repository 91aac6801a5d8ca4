/**
 * The paged read streams: getMultipleLeads (leads by keys, by update time, or by static list)
 * and getLeadChanges (activity rows of all leads in commit order). Cursors are keysets, so pages
 * neither repeat nor skip rows while writes continue.
 */
import { emailKey, type EmailHasher } from "./email";
import { DomainError, InvalidValueError } from "./errors";
import { partitionsOf, type CallerScope } from "./caller-scope";
import { isOfSfdcType, sfdcTypeOfKey } from "./lead-key";
import type { Repositories, TransactionRunner } from "./ports";
import type { ChangeCursor, LeadCursor } from "./stream-ports";
import type { Activity, Lead, LeadKeyType } from "./types";

export type LeadSelector =
  | { readonly kind: "keys"; readonly keyType: LeadKeyType; readonly values: string[] }
  | { readonly kind: "updatedAt"; readonly oldest: Date; readonly latest?: Date }
  | { readonly kind: "staticList"; readonly listId: number };

/** Where a getMultipleLeads stream stands; encoded opaquely by the caller. */
export type LeadStreamPosition =
  | { readonly kind: "keys"; readonly keyType: LeadKeyType; readonly values: string[]; readonly afterId: number }
  | { readonly kind: "updatedAt"; readonly since: string; readonly until: string; readonly after?: LeadCursor }
  | { readonly kind: "staticList"; readonly listId: number; readonly afterId: number };

export interface LeadPage {
  readonly leads: Lead[];
  readonly remaining: number;
  /** Where to continue; undefined at the end. */
  readonly next?: LeadStreamPosition;
}

export interface ChangeFilter {
  readonly since?: Date;
  readonly until?: Date;
  readonly after?: ChangeCursor;
  readonly typeNames?: string[];
  readonly excludeTypeNames?: string[];
  readonly leadSelector?: LeadSelector;
  readonly limit: number;
}

export interface ChangePage {
  readonly rows: Activity[];
  readonly remaining: number;
  readonly last?: ChangeCursor;
}

/** Marketo's LastUpdateAtSelector span limit (fault 20022). */
export const MAX_UPDATE_SPAN_DAYS = 30;

export class TimeRangeTooLongError extends DomainError {
  readonly kind = "timeRangeTooLong";
}

export class LeadStreamService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly now?: () => Date;
      /**
       * Where getMultipleLeads pages are read: the standby when there is one (they see every
       * commit from before the call). getLeadChanges stays on `tx`, the primary: its horizon is
       * the primary's transactions.
       */
      readonly pageReads?: Pick<TransactionRunner, "read">;
    },
  ) {}

  /** The first position of a selector (the window of an update-time selector is fixed here). */
  start(selector: LeadSelector): LeadStreamPosition {
    switch (selector.kind) {
      case "keys":
        return { kind: "keys", keyType: selector.keyType, values: selector.values, afterId: 0 };
      case "staticList":
        return { kind: "staticList", listId: selector.listId, afterId: 0 };
      case "updatedAt": {
        const until = selector.latest ?? this.deps.now?.() ?? new Date();
        if (until.getTime() - selector.oldest.getTime() > MAX_UPDATE_SPAN_DAYS * 86400000) {
          throw new TimeRangeTooLongError(`oldestUpdatedAt and latestUpdatedAt are more than ${MAX_UPDATE_SPAN_DAYS} days apart`);
        }
        return { kind: "updatedAt", since: selector.oldest.toISOString(), until: until.toISOString() };
      }
    }
  }

  async leads(position: LeadStreamPosition, limit: number, caller?: CallerScope): Promise<LeadPage> {
    return (this.deps.pageReads ?? this.deps.tx).read(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      switch (position.kind) {
        case "updatedAt": {
          const page = await repos.leadPages.pageByUpdatedAt({
            since: new Date(position.since),
            until: new Date(position.until),
            after: position.after,
            limit,
            partitionIds: scope,
          });
          return { leads: page.leads, remaining: page.remaining, next: page.remaining > 0 ? { ...position, after: page.last } : undefined };
        }
        case "keys": {
          const ids = (await this.matchKeys(position.keyType, position.values, repos)).map((l) => l.id);
          return this.idPage(ids, position.afterId, limit, repos, scope, (afterId) => ({ ...position, afterId }));
        }
        case "staticList": {
          const ids = await repos.lists.memberIds(position.listId);
          return this.idPage(ids, position.afterId, limit, repos, scope, (afterId) => ({ ...position, afterId }));
        }
      }
    });
  }

  async changes(filter: ChangeFilter, caller?: CallerScope): Promise<ChangePage> {
    return this.deps.tx.read(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      let leadIds: number[] | undefined;
      let since = filter.since;
      let until = filter.until;
      if (filter.leadSelector?.kind === "keys") leadIds = (await this.matchKeys(filter.leadSelector.keyType, filter.leadSelector.values, repos)).map((l) => l.id);
      if (filter.leadSelector?.kind === "staticList") leadIds = await repos.lists.memberIds(filter.leadSelector.listId);
      if (filter.leadSelector?.kind === "updatedAt") {
        since = since ?? filter.leadSelector.oldest;
        until = until ?? filter.leadSelector.latest;
      }
      const page = await repos.changes.page({
        after: filter.after,
        since: filter.after ? undefined : since,
        until,
        typeNames: filter.typeNames,
        excludeTypeNames: filter.excludeTypeNames,
        leadIds,
        partitionIds: scope,
        limit: filter.limit,
      });
      return { rows: page.rows, remaining: page.remaining, last: page.last };
    });
  }

  private async idPage(
    ids: number[],
    afterId: number,
    limit: number,
    repos: Repositories,
    scope: number[] | undefined,
    next: (afterId: number) => LeadStreamPosition,
  ): Promise<LeadPage> {
    const page = await repos.leadPages.pageByIds(ids, afterId, limit, scope);
    const last = page.leads[page.leads.length - 1];
    return { leads: page.leads, remaining: page.remaining, next: page.remaining > 0 && last ? next(last.id) : undefined };
  }

  private async matchKeys(keyType: LeadKeyType, values: string[], repos: Repositories): Promise<Lead[]> {
    switch (keyType) {
      case "IDNUM":
        return (await repos.leadPages.pageByIds(values.filter((v) => /^\d{1,9}$/.test(v.trim())).map((v) => Number(v.trim())), 0, values.length)).leads;
      case "EMAIL": {
        const hashes = values.map((v) => emailKey(v)).filter((k): k is string => !!k).map(this.deps.hasher);
        return repos.leadPages.findByEmailHashes(hashes);
      }
      case "SFDCLEADID":
      case "SFDCCONTACTID":
        return (await repos.leadPages.findByForeignIds("SFDC", values.map((v) => v.trim()))).filter((l) => isOfSfdcType(l, sfdcTypeOfKey(keyType)));
      default:
        throw new InvalidValueError(`keyType ${keyType} is not supported in a LeadKeySelector`);
    }
  }
}
