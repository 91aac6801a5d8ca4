import { MarketoCodes, MarketoFault } from "../faults";
import { asDate, asInt, asList, asRecord, asText } from "../mappers/args";
import { decodeLeadSelector } from "../mappers/lead-selector.mapper";
import { encodeLeadRecord } from "../mappers/lead-record.mapper";
import { decodeLeadPosition, encodeLeadPosition } from "../mappers/stream-position";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

const MAX_BATCH = 1000;

/** getMultipleLeads: leads by keys, update time or static list, paged with opaque stream positions. */
export const getMultipleLeads: Handler = async (args, ctx) => {
  const streamPosition = asText(args.streamPosition)?.trim();
  const batchSize = Math.min(Math.max(asInt(args.batchSize, "batchSize") ?? MAX_BATCH, 1), MAX_BATCH);
  let position;
  if (streamPosition) {
    position = decodeLeadPosition(streamPosition, ctx.positions, ctx.user.id);
  } else {
    let selector = await decodeLeadSelector(args.leadSelector, ctx.lists, "ignore");
    const lastUpdatedAt = asDate(args.lastUpdatedAt, "lastUpdatedAt");
    if (!selector && lastUpdatedAt) selector = { kind: "updatedAt", oldest: lastUpdatedAt };
    if (!selector) throw new MarketoFault(MarketoCodes.parameterRequired, "leadSelector is required");
    position = ctx.streams.start(selector);
  }
  const include = asList(asRecord(args.includeAttributes)?.stringItem)
    .map((v) => asText(v)?.trim().toLowerCase())
    .filter((v): v is string => !!v);
  const page = await ctx.streams.leads(position, batchSize, callerOf(ctx));
  const catalogue = ctx.fields();
  const options = include.length ? { include: new Set(include) } : {};
  return element("result", [
    text("returnCount", page.leads.length),
    text("remainingCount", page.remaining),
    text("newStreamPosition", page.next ? encodeLeadPosition(page.next, ctx.positions, ctx.user.id) : ""),
    page.leads.length ? element("leadRecordList", page.leads.map((l) => encodeLeadRecord(l, catalogue, "leadRecord", options))) : nil("leadRecordList"),
  ]);
};
