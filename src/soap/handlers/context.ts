import type { FieldCatalogue } from "../../domain/lead-fields";
import type { LeadService } from "../../domain/lead.service";
import type { ApiUser } from "../auth";
import type { Args } from "../mappers/args";
import type { ApiVersion } from "../versions";

/** What a handler gets besides its arguments. */
export interface HandlerContext {
  readonly version: ApiVersion;
  readonly user: ApiUser;
  /** SOAP headers by local name (node-soap's third argument). */
  readonly headers: Args;
  readonly leads: Pick<LeadService, "getLeads" | "syncLead" | "getActivity">;
  readonly fields: () => FieldCatalogue;
  readonly limits: { readonly maxBatchRecords: number };
}

/** A handler decodes, makes one service call, and encodes the body of its success element. */
export type Handler = (args: Args, ctx: HandlerContext) => Promise<string>;
