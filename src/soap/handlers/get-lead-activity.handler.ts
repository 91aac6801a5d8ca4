import { MarketoCodes, MarketoFault } from "../faults";
import { asDate, asInt, asList, asRecord, asText } from "../mappers/args";
import { encodeActivityRecord } from "../mappers/activity-record.mapper";
import { decodeLeadKey } from "../mappers/lead-record.mapper";
import { element, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

const MAX_BATCH = 100;

/** ActivityType enum value (VisitWebpage) → the display name used in responses (Visit Webpage). */
export function activityDisplayName(enumValue: string): string {
  return enumValue.replace(/([a-z])([A-Z])/g, "$1 $2");
}

/** An offset we handed out: "ID:<n>" or "<n>". */
export function parseOffset(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const m = /^\s*(?:ID:)?(\d{1,18})\s*$/i.exec(raw);
  if (!m) throw new MarketoFault(MarketoCodes.badStreamPosition, `offset '${raw.slice(0, 40)}' is not a stream position of this server`);
  return Number(m[1]);
}

/** getLeadActivity: a lead's activity rows, newest first, paged by offset. */
export const getLeadActivity: Handler = async (args, ctx) => {
  const key = decodeLeadKey(args.leadKey);
  const filter = asRecord(args.activityFilter);
  const names = (v: unknown) =>
    asList(asRecord(v)?.activityType)
      .map((t) => asText(t)?.trim())
      .filter((t): t is string => !!t)
      .map(activityDisplayName);
  const include = names(filter?.includeTypes);
  const exclude = names(filter?.excludeTypes);
  const start = asRecord(args.startPosition);
  const batchSize = Math.min(Math.max(asInt(args.batchSize, "batchSize") ?? MAX_BATCH, 1), MAX_BATCH);
  const beforeId = parseOffset(asText(start?.offset));
  const page = await ctx.queries.getActivity(key, {
    typeNames: include.length ? include : undefined,
    excludeTypeNames: exclude.length ? exclude : undefined,
    beforeId,
    since: asDate(start?.oldestCreatedAt, "oldestCreatedAt"),
    until: asDate(start?.latestCreatedAt, "latestCreatedAt"),
    limit: batchSize,
  }, callerOf(ctx));
  const last = page.activities[page.activities.length - 1];
  const offset = last ? String(last.id) : beforeId !== undefined ? String(beforeId) : "";
  return element("leadActivityList", [
    text("returnCount", page.activities.length),
    text("remainingCount", page.remaining),
    element("newStartPosition", [nil("latestCreatedAt"), nil("oldestCreatedAt"), nil("activityCreatedAt"), offset ? text("offset", offset) : nil("offset")]),
    page.activities.length ? element("activityRecordList", page.activities.map((a) => encodeActivityRecord(a, ctx.version))) : nil("activityRecordList"),
  ]);
};
