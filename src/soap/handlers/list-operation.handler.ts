import { Channels } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { asBool, asList, asRecord, asText, required } from "../mappers/args";
import { decodeLeadKey } from "../mappers/lead-record.mapper";
import { element, escapeXml, nil, text } from "../xml";
import { callerOf, type Handler } from "./context";

const MAX_MEMBERS = 1000;

/** listOperation: ADDTOLIST, REMOVEFROMLIST, ISMEMBEROFLIST on a static list named by MKTOLISTNAME. */
export const listOperation: Handler = async (args, ctx) => {
  const op = required(asText(args.listOperation)?.trim(), "listOperation");
  if (op !== "ADDTOLIST" && op !== "REMOVEFROMLIST" && op !== "ISMEMBEROFLIST") {
    throw new MarketoFault(MarketoCodes.badParameter, `listOperation '${op.slice(0, 40)}' is not ADDTOLIST, REMOVEFROMLIST or ISMEMBEROFLIST`);
  }
  const listKey = required(asRecord(args.listKey), "listKey");
  const keyType = asText(listKey.keyType)?.trim();
  const listName = asText(listKey.keyValue)?.trim();
  if (keyType !== "MKTOLISTNAME") throw new MarketoFault(MarketoCodes.badParameter, `listKey keyType '${String(keyType).slice(0, 40)}' is not supported; use MKTOLISTNAME`);
  if (!listName) throw new MarketoFault(MarketoCodes.parameterRequired, "listKey keyValue is required");
  const keys = asList(required(asRecord(args.listMemberList), "listMemberList").leadKey).map(decodeLeadKey);
  if (keys.length > MAX_MEMBERS) throw new MarketoFault(MarketoCodes.badParameter, `at most ${MAX_MEMBERS} leads per listOperation`);
  const strict = asBool(args.strict, "strict") ?? false;
  const result = await ctx.lists.run(op, listName, keys, strict, Channels.soap, callerOf(ctx));
  return element("result", [
    text("success", result.success),
    result.statuses
      ? element(
          "statusList",
          result.statuses.map((s) =>
            element("leadStatus", [element("leadKey", [text("keyType", s.key.type), `<keyValue>${escapeXml(s.key.value)}</keyValue>`]), text("status", s.status)]),
          ),
        )
      : nil("statusList"),
  ]);
};
