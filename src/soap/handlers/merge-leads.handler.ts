import { DomainError } from "../../domain/errors";
import { Channels, type LeadKey, type LeadKeyType } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { asList, asRecord, asText, required } from "../mappers/args";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

/** Keys come as attribute{attrName=<LeadKeyRef>, attrValue}, not as LeadKey. */
function keyOf(list: unknown, what: string): LeadKey {
  const attrs = asList(asRecord(list)?.attribute).map(asRecord);
  const a = attrs.find((x) => x && asText(x.attrName)?.trim() && asText(x.attrValue)?.trim());
  if (!a) throw new MarketoFault(MarketoCodes.parameterRequired, `${what} needs an attribute with attrName and attrValue`);
  return { type: (asText(a.attrName) as string).trim().toUpperCase() as LeadKeyType, value: (asText(a.attrValue) as string).trim() };
}

/** mergeLeads (SPEC D9). A merge that cannot be done is status FAILED with its error, not a fault. */
export const mergeLeads: Handler = async (args, ctx) => {
  const winner = keyOf(required(args.winningLeadKeyList, "winningLeadKeyList"), "winningLeadKeyList");
  const losers = asList(asRecord(required(args.losingLeadKeyLists, "losingLeadKeyLists"))?.keyList).map((k) => keyOf(k, "keyList"));
  try {
    const r = await ctx.merges.merge(winner, losers, Channels.soap, callerOf(ctx));
    return element("result", [
      element("mergeStatus", [
        text("winningLeadId", r.winnerId),
        element("losingLeadIdList", r.loserIds.map((id) => text("integerItem", id))),
        text("status", "MERGED"),
        nil("error"),
      ]),
    ]);
  } catch (error) {
    if (!(error instanceof DomainError) || ["invalidWrite", "concurrentChange", "accessDenied"].includes(error.kind)) throw error;
    return element("result", [element("mergeStatus", [nil("winningLeadId"), nil("losingLeadIdList"), text("status", "FAILED"), text("error", error.message)])]);
  }
};
