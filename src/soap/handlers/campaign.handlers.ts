import { MarketoCodes, MarketoFault } from "../faults";
import { asBool, asInt, asList, asRecord, asText, required } from "../mappers/args";
import { decodeLeadKey } from "../mappers/lead-record.mapper";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

const MAX_LEAD_KEYS = 100;

function source(args: Record<string, unknown>): string {
  const s = required(asText(args.source)?.trim(), "source");
  if (s !== "MKTOWS" && s !== "SALES") throw new MarketoFault(MarketoCodes.badParameter, `source '${s.slice(0, 20)}' is not MKTOWS or SALES`);
  return s;
}

/** getCampaignsForSource: campaigns created through the admin API, by name fragment or exact name. */
export const getCampaignsForSource: Handler = async (args, ctx) => {
  source(args);
  const name = asText(args.name)?.trim() || undefined;
  const campaigns = await ctx.campaigns.search(name, asBool(args.exactName, "exactName") ?? false);
  return element("result", [
    text("returnCount", campaigns.length),
    campaigns.length
      ? element(
          "campaignRecordList",
          campaigns.map((c) => element("campaignRecord", [text("id", c.id), text("name", `${c.programName}.${c.name}`), text("description", c.description)])),
        )
      : nil("campaignRecordList"),
  ]);
};

/** requestCampaign: campaignId alone, or programName + campaignName; runs its flow steps on the leads. */
export const requestCampaign: Handler = async (args, ctx) => {
  source(args);
  const campaignId = asInt(args.campaignId, "campaignId");
  const programName = asText(args.programName)?.trim() || undefined;
  let campaignName = asText(args.campaignName)?.trim() || undefined;
  if (campaignId !== undefined && (campaignName || programName)) {
    throw new MarketoFault(MarketoCodes.badParameter, "give campaignId alone, or programName and campaignName");
  }
  if (campaignId === undefined && !(programName && campaignName)) {
    throw new MarketoFault(MarketoCodes.badParameter, "give campaignId alone, or programName and campaignName");
  }
  if (campaignName && programName && campaignName.startsWith(`${programName}.`)) campaignName = campaignName.slice(programName.length + 1);
  const campaign = await ctx.campaigns.find(campaignId !== undefined ? { id: campaignId } : { programName, name: campaignName });
  const keys = asList(asRecord(args.leadList)?.leadKey).slice(0, MAX_LEAD_KEYS).map(decodeLeadKey);
  await ctx.campaigns.request(campaign, keys, callerOf(ctx));
  return element("result", [text("success", true)]);
};
