import { decodeLeadKey, encodeLeadRecord } from "../mappers/lead-record.mapper";
import { element, text } from "../xml";
import { callerOf, type Handler } from "./context";

/** getLead: every lead the key matches; none is fault 20103. */
export const getLead: Handler = async (args, ctx) => {
  const leads = await ctx.queries.getLeads(decodeLeadKey(args.leadKey), callerOf(ctx));
  const catalogue = ctx.fields();
  return element("result", [text("count", leads.length), element("leadRecordList", leads.map((l) => encodeLeadRecord(l, catalogue)))]);
};
