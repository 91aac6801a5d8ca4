import { DomainError } from "../../domain/errors";
import { Channels } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { asBool, asList, asRecord } from "../mappers/args";
import { decodeLeadRecord } from "../mappers/lead-record.mapper";
import { element, nil, text } from "../xml";
import type { Handler } from "./context";

/**
 * syncMultipleLeads: records applied in order, each in its own transaction; a record's data
 * error is a FAILED status with its text (leadId 0 when none), not a fault.
 */
export const syncMultipleLeads: Handler = async (args, ctx) => {
  const list = asRecord(args.leadRecordList);
  if (!list) throw new MarketoFault(MarketoCodes.parameterRequired, "leadRecordList is required");
  const records = asList(list.leadRecord);
  if (records.length > ctx.limits.maxBatchRecords) {
    throw new MarketoFault(MarketoCodes.badParameter, `at most ${ctx.limits.maxBatchRecords} leadRecords per call`);
  }
  const dedupByEmail = asBool(args.dedupEnabled, "dedupEnabled") ?? true;
  const statuses: string[] = [];
  for (const record of records) {
    let leadId = 0;
    try {
      const input = decodeLeadRecord(record);
      leadId = input.id ?? 0;
      const result = await ctx.leads.syncLead(input, { channel: Channels.soap, dedupByEmail });
      statuses.push(element("syncStatus", [text("leadId", result.leadId), text("status", result.status), nil("error")]));
    } catch (error) {
      if (!(error instanceof DomainError) && !(error instanceof MarketoFault)) throw error;
      statuses.push(element("syncStatus", [text("leadId", leadId), text("status", "FAILED"), text("error", error.message)]));
    }
  }
  return element("result", [element("syncStatusList", statuses)]);
};
