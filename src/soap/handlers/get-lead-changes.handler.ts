import { asDate, asInt, asList, asRecord, asText, required } from "../mappers/args";
import { encodeLeadChangeRecord } from "../mappers/activity-record.mapper";
import { decodeLeadSelector } from "../mappers/lead-selector.mapper";
import { decodeChangeOffset, encodeChangeOffset } from "../mappers/stream-position";
import { dateTime, element, nil, text, textOrNil } from "../xml";
import { callerOf, type Handler } from "./context";
import { activityDisplayName } from "./get-lead-activity.handler";

const MAX_BATCH = 1000;

/**
 * getLeadChanges: activity rows of all leads in commit order, from a date or an offset handed
 * out earlier. This is how integrations learn of unsubscribes, so the durable rows appear here.
 */
export const getLeadChanges: Handler = async (args, ctx) => {
  const start = required(asRecord(args.startPosition), "startPosition");
  const offset = asText(start.offset)?.trim();
  const oldest = asDate(start.oldestCreatedAt, "oldestCreatedAt") ?? asDate(start.activityCreatedAt, "activityCreatedAt");
  const latest = asDate(start.latestCreatedAt, "latestCreatedAt");
  const batchSize = Math.min(Math.max(asInt(args.batchSize, "batchSize") ?? MAX_BATCH, 1), MAX_BATCH);
  const names = asList(asRecord(args.activityNameFilter)?.stringItem)
    .map((v) => asText(v)?.trim())
    .filter((v): v is string => !!v);
  const filter = asRecord(args.activityFilter);
  const enumNames = (v: unknown) =>
    asList(asRecord(v)?.activityType)
      .map((t) => asText(t)?.trim())
      .filter((t): t is string => !!t)
      .map(activityDisplayName);
  const include = [...names, ...enumNames(filter?.includeTypes)];
  const exclude = enumNames(filter?.excludeTypes);
  const leadSelector = await decodeLeadSelector(args.leadSelector, ctx.lists, "fault");
  const page = await ctx.streams.changes({
    after: offset ? decodeChangeOffset(offset) : undefined,
    since: oldest,
    until: latest,
    typeNames: include.length ? include : undefined,
    excludeTypeNames: exclude.length ? exclude : undefined,
    leadSelector,
    limit: batchSize,
  }, callerOf(ctx));
  const nextOffset = page.last ? encodeChangeOffset(page.last) : offset;
  return element("result", [
    text("returnCount", page.rows.length),
    text("remainingCount", page.remaining),
    element("newStartPosition", [
      textOrNil("latestCreatedAt", latest ? dateTime(latest) : null),
      textOrNil("oldestCreatedAt", oldest ? dateTime(oldest) : null),
      nil("activityCreatedAt"),
      textOrNil("offset", nextOffset || null),
    ]),
    page.rows.length ? element("leadChangeRecordList", page.rows.map((a) => encodeLeadChangeRecord(a, ctx.version))) : nil("leadChangeRecordList"),
  ]);
};
