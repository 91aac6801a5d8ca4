import { MarketoCodes, MarketoFault } from "../faults";
import { asText, required } from "../mappers/args";
import { dateTime, element, nil, text } from "../xml";
import type { Handler } from "./context";

/** listMObjects: the objects describeMObject knows. */
export const listMObjects: Handler = async () => element("result", [text("objects", "LeadRecord"), text("objects", "ActivityRecord")]);

const activityFields: [string, string][] = [
  ["id", "integer"],
  ["activityDateTime", "datetime"],
  ["activityType", "string"],
  ["mktgAssetName", "string"],
  ["campaign", "string"],
  ["mktPersonId", "string"],
];

function field(f: { name: string; displayName: string; dataType: string; isCustom: boolean; isPrimaryKey: boolean; isReadonly: boolean }, at: Date): string {
  return element("field", [
    text("name", f.name),
    nil("description"),
    text("displayName", f.displayName),
    nil("sourceObject"),
    text("dataType", f.dataType),
    nil("size"),
    text("isReadonly", f.isReadonly),
    text("isUpdateBlocked", false),
    nil("isName"),
    text("isPrimaryKey", f.isPrimaryKey),
    text("isCustom", f.isCustom),
    text("isDynamic", false),
    nil("dynamicFieldRef"),
    text("updatedAt", dateTime(at)),
  ]);
}

/** describeMObject: LeadRecord (standard and declared custom fields) and ActivityRecord. */
export const describeMObject: Handler = async (args, ctx) => {
  const name = required(asText(args.objectName)?.trim(), "objectName");
  const at = new Date(0);
  let fields: string[];
  if (name === "LeadRecord") {
    fields = [
      field({ name: "Id", displayName: "Id", dataType: "integer", isCustom: false, isPrimaryKey: true, isReadonly: true }, at),
      ...ctx
        .fields()
        .all()
        .map((f) => field({ name: f.name, displayName: f.displayName, dataType: f.type, isCustom: !!f.custom, isPrimaryKey: false, isReadonly: false }, at)),
    ];
  } else if (name === "ActivityRecord") {
    fields = activityFields.map(([n, t]) => field({ name: n, displayName: n, dataType: t, isCustom: false, isPrimaryKey: n === "id", isReadonly: true }, at));
  } else {
    throw new MarketoFault(MarketoCodes.badParameter, `objectName '${name.slice(0, 40)}' is not LeadRecord or ActivityRecord`);
  }
  return element("result", [
    element("metadata", [text("name", name), nil("description"), text("isCustom", false), text("isVirtual", false), element("fieldList", fields), text("updatedAt", dateTime(at))]),
  ]);
};
