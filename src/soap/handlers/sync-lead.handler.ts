import { Channels } from "../../domain/types";
import { asBool, asRecord, asText } from "../mappers/args";
import { decodeLeadRecord, encodeLeadRecord } from "../mappers/lead-record.mapper";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

/** syncLead: upsert by Id > ForeignSysPersonId > Email. */
export const syncLead: Handler = async (args, ctx) => {
  const input = decodeLeadRecord(args.leadRecord);
  const returnLead = asBool(args.returnLead, "returnLead") ?? false;
  const workspace = asText(asRecord(ctx.headers.MktowsContextHeader)?.targetWorkspace)?.trim() || undefined;
  const result = await ctx.leads.syncLead(input, { channel: Channels.soap, dedupByEmail: true, workspace, caller: callerOf(ctx) });
  return element("result", [
    text("leadId", result.leadId),
    element("syncStatus", [text("leadId", result.leadId), text("status", result.status), nil("error")]),
    returnLead ? encodeLeadRecord(result.lead, ctx.fields()) : nil("leadRecord"),
  ]);
};
