/** Activity ⇄ ActivityRecord / LeadChangeRecord, per API version. */
import type { Activity } from "../../domain/types";
import { dateTime, element, escapeXml, nil, text } from "../xml";
import type { ApiVersion } from "../versions";

function attributes(a: Activity): string {
  if (a.attributes.length === 0) return nil("activityAttributes");
  return element(
    "activityAttributes",
    a.attributes.map((x) => `<attribute><attrName>${escapeXml(x.name)}</attrName><attrType xsi:nil="true"/>${text("attrValue", x.value)}</attribute>`),
  );
}

/** 3_1 replaced the id by marketoGUID (it keeps an optional id). */
function idAndGuid(a: Activity, version: ApiVersion): string[] {
  return version.shapes === "3_1" ? [text("id", a.id), text("marketoGUID", String(a.id))] : [text("id", a.id)];
}

export function encodeActivityRecord(a: Activity, version: ApiVersion): string {
  return element("activityRecord", [
    ...idAndGuid(a, version),
    text("activityDateTime", dateTime(a.createdAt)),
    text("activityType", a.typeName),
    text("mktgAssetName", a.mktgAssetName),
    attributes(a),
    text("campaign", a.campaign ?? ""),
    nil("personName"),
    text("mktPersonId", String(a.leadId)),
    nil("foreignSysId"),
    nil("orgName"),
    nil("foreignSysOrgId"),
  ]);
}

export function encodeLeadChangeRecord(a: Activity, version: ApiVersion): string {
  return element("leadChangeRecord", [
    ...idAndGuid(a, version),
    text("activityDateTime", dateTime(a.createdAt)),
    text("activityType", a.typeName),
    text("mktgAssetName", a.mktgAssetName),
    attributes(a),
    text("campaign", a.campaign ?? ""),
    text("mktPersonId", String(a.leadId)),
  ]);
}
