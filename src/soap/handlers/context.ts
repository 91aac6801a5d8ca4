import type { FieldCatalogue } from "../../domain/lead-fields";
import type { LeadStreamService } from "../../domain/lead-stream.service";
import type { LeadQueryService } from "../../domain/lead-query.service";
import type { LeadService } from "../../domain/lead.service";
import type { ListService } from "../../domain/list.service";
import type { CampaignService } from "../../domain/campaign.service";
import type { MergeService } from "../../domain/merge.service";
import type { BatchSyncService } from "../../domain/batch-sync.service";
import type { ApiUser } from "../auth";
import type { Args } from "../mappers/args";
import type { PositionSigner } from "../mappers/stream-position";
import type { ApiVersion } from "../versions";

/** What a handler gets besides its arguments. */
export interface HandlerContext {
  readonly version: ApiVersion;
  readonly user: ApiUser;
  /** SOAP headers by local name (node-soap's third argument). */
  readonly headers: Args;
  readonly leads: Pick<LeadService, "syncLead">;
  readonly queries: Pick<LeadQueryService, "getLeads" | "getActivity">;
  readonly streams: Pick<LeadStreamService, "start" | "leads" | "changes">;
  readonly lists: Pick<ListService, "run" | "findList" | "findListById">;
  readonly merges: Pick<MergeService, "merge">;
  readonly batches: Pick<BatchSyncService, "syncMany">;
  readonly campaigns: Pick<CampaignService, "search" | "find" | "request">;
  readonly fields: () => FieldCatalogue;
  readonly limits: { readonly maxBatchRecords: number };
  /** Signs getMultipleLeads stream positions (per user). */
  readonly positions: PositionSigner;
}

/** A handler decodes, makes one service call, and encodes the body of its success element. */
export type Handler = (args: Args, ctx: HandlerContext) => Promise<string>;

/** The API user's workspaces and re-subscribe permission, as the domain takes them. */
export function callerOf(ctx: HandlerContext): { workspaces?: string[]; mayResubscribe?: boolean } {
  return { workspaces: ctx.user.workspaces, mayResubscribe: ctx.user.mayResubscribe };
}
