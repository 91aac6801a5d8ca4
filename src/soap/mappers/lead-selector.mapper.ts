/**
 * LeadSelector is abstract: the concrete type comes from xsi:type (any prefix; node-soap keeps
 * the attribute as written). Without it, the children tell which selector was meant.
 */
import type { LeadSelector } from "../../domain/lead-stream.service";
import type { LeadKeyType } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { asDate, asInt, asList, asRecord, asText, required } from "./args";

export const MAX_SELECTOR_KEYS = 100;

export interface ListResolver {
  findList(name: string): Promise<number>;
  findListById(id: number): Promise<number>;
}

function selectorType(r: Record<string, unknown>): string | undefined {
  const attrs = asRecord(r.attributes);
  const entry = attrs && Object.entries(attrs).find(([k]) => /(^|:)type$/.test(k));
  const value = entry ? asText(entry[1]) : undefined;
  if (value) return value.slice(value.indexOf(":") + 1);
  if (r.keyType !== undefined || r.keyValues !== undefined) return "LeadKeySelector";
  if (r.oldestUpdatedAt !== undefined || r.latestUpdatedAt !== undefined) return "LastUpdateAtSelector";
  if (r.staticListId !== undefined || r.staticListName !== undefined) return "StaticListSelector";
  return undefined;
}

/** Decodes a leadSelector; `tooManyKeys` says whether more than 100 keys is a fault or ignored. */
export async function decodeLeadSelector(raw: unknown, lists: ListResolver, tooManyKeys: "fault" | "ignore"): Promise<LeadSelector | undefined> {
  const r = asRecord(raw);
  if (!r) return undefined;
  const type = selectorType(r);
  switch (type) {
    case "LeadKeySelector": {
      const keyType = asText(r.keyType)?.trim();
      if (!keyType) throw new MarketoFault(MarketoCodes.parameterRequired, "LeadKeySelector needs keyType");
      let values = asList(asRecord(r.keyValues)?.stringItem)
        .map((v) => asText(v)?.trim() ?? "")
        .filter((v) => v !== "");
      if (values.length > MAX_SELECTOR_KEYS) {
        if (tooManyKeys === "fault") throw new MarketoFault(MarketoCodes.badParameter, `a LeadKeySelector takes at most ${MAX_SELECTOR_KEYS} keys`);
        values = values.slice(0, MAX_SELECTOR_KEYS);
      }
      if (!["IDNUM", "EMAIL", "SFDCLEADID", "SFDCCONTACTID"].includes(keyType)) {
        throw new MarketoFault(MarketoCodes.inputError, `keyType '${keyType.slice(0, 40)}' is not supported in a LeadKeySelector`);
      }
      return { kind: "keys", keyType: keyType as LeadKeyType, values };
    }
    case "LastUpdateAtSelector":
      return {
        kind: "updatedAt",
        oldest: required(asDate(r.oldestUpdatedAt, "oldestUpdatedAt"), "oldestUpdatedAt"),
        latest: asDate(r.latestUpdatedAt, "latestUpdatedAt"),
      };
    case "StaticListSelector": {
      const id = asInt(r.staticListId, "staticListId");
      const name = asText(r.staticListName)?.trim();
      if (id !== undefined) return { kind: "staticList", listId: await lists.findListById(id) };
      if (name) return { kind: "staticList", listId: await lists.findList(name) };
      throw new MarketoFault(MarketoCodes.parameterRequired, "StaticListSelector needs staticListId or staticListName");
    }
    default:
      throw new MarketoFault(MarketoCodes.badParameter, `leadSelector type '${String(type ?? "(none)").slice(0, 40)}' is not LeadKeySelector, LastUpdateAtSelector or StaticListSelector`);
  }
}
