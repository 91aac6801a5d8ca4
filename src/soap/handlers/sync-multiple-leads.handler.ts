import { Channels, type LeadInput } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { asBool, asList, asRecord } from "../mappers/args";
import { decodeLeadRecord } from "../mappers/lead-record.mapper";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

/**
 * syncMultipleLeads: records applied in order in one transaction, each in a savepoint of its
 * own; a record's data error is a FAILED status with its text (leadId 0 when none), not a fault.
 */
export const syncMultipleLeads: Handler = async (args, ctx) => {
  const list = asRecord(args.leadRecordList);
  if (!list) throw new MarketoFault(MarketoCodes.parameterRequired, "leadRecordList is required");
  const records = asList(list.leadRecord);
  if (records.length > ctx.limits.maxBatchRecords) {
    throw new MarketoFault(MarketoCodes.badParameter, `at most ${ctx.limits.maxBatchRecords} leadRecords per call`);
  }
  const dedupByEmail = asBool(args.dedupEnabled, "dedupEnabled") ?? true;
  const decoded: ({ input: LeadInput } | { fault: MarketoFault })[] = records.map((record) => {
    try {
      return { input: decodeLeadRecord(record) };
    } catch (error) {
      if (error instanceof MarketoFault) return { fault: error };
      throw error;
    }
  });
  const inputs = decoded.flatMap((d) => ("input" in d ? [d.input] : []));
  const results = await ctx.batches.syncMany(inputs, { channel: Channels.soap, dedupByEmail, caller: callerOf(ctx) });
  let next = 0;
  const statuses = decoded.map((d) => {
    if ("fault" in d) return element("syncStatus", [text("leadId", 0), text("status", "FAILED"), text("error", d.fault.message)]);
    const r = results[next++];
    return "ok" in r
      ? element("syncStatus", [text("leadId", r.ok.leadId), text("status", r.ok.status), nil("error")])
      : element("syncStatus", [text("leadId", r.leadId), text("status", "FAILED"), text("error", r.error.message)]);
  });
  return element("result", [element("syncStatusList", statuses)]);
};
