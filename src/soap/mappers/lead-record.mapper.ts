/**
 * LeadRecord ⇄ domain. The only code that knows both `leadAttributeList/attribute/attrName`
 * and the domain's Lead.
 */
import { setField, type FieldCatalogue } from "../../domain/lead-fields";
import type { Lead, LeadInput, LeadKey, LeadKeyType } from "../../domain/types";
import { MarketoCodes, MarketoFault } from "../faults";
import { element, escapeXml, nil, text, textOrNil } from "../xml";
import { asInt, asList, asRecord, asText } from "./args";

const leadKeyTypes = new Set(["IDNUM", "COOKIE", "EMAIL", "LEADOWNEREMAIL", "SFDCACCOUNTID", "SFDCCONTACTID", "SFDCLEADID", "SFDCLEADOWNERID", "SFDCOPPTYID"]);

/** LeadKey {keyType, keyValue}. */
export function decodeLeadKey(raw: unknown): LeadKey {
  const r = asRecord(raw);
  if (!r) throw new MarketoFault(MarketoCodes.leadKeyRequired, "leadKey is required");
  const type = asText(r.keyType)?.trim();
  const value = asText(r.keyValue);
  if (!type) throw new MarketoFault(MarketoCodes.leadKeyRequired, "leadKey/keyType is required");
  if (!leadKeyTypes.has(type)) throw new MarketoFault(MarketoCodes.inputError, `keyType '${type.slice(0, 40)}' is not a LeadKeyRef`);
  if (value === undefined || value.trim() === "") throw new MarketoFault(MarketoCodes.inputError, `keyValue is empty for keyType ${type}`);
  return { type: type as LeadKeyType, value: value.trim() };
}

/** A LeadRecord of syncLead/syncMultipleLeads as a domain input. Unknown child elements are ignored. */
export function decodeLeadRecord(raw: unknown): LeadInput {
  const r = asRecord(raw);
  if (!r) throw new MarketoFault(MarketoCodes.parameterRequired, "leadRecord is required");
  const input: LeadInput = {};
  const id = asInt(r.Id, "Id");
  if (id !== undefined) input.id = id;
  const email = textOf(r.Email, "Email");
  if (email !== undefined) input.email = email;
  const foreignId = textOf(r.ForeignSysPersonId, "ForeignSysPersonId");
  if (foreignId !== undefined && foreignId.trim() !== "") input.foreignSysPersonId = foreignId.trim();
  const foreignType = textOf(r.ForeignSysType, "ForeignSysType");
  if (foreignType !== undefined && foreignType.trim() !== "") input.foreignSysType = foreignType.trim();
  const fields: Record<string, string> = {};
  for (const item of asList(asRecord(r.leadAttributeList)?.attribute)) {
    const a = asRecord(item);
    const name = asText(a?.attrName)?.trim();
    if (!a || !name) throw new MarketoFault(MarketoCodes.badParameter, "every attribute needs an attrName");
    const value = textOf(a.attrValue, `attrValue of ${name.slice(0, 40)}`) ?? "";
    if (Object.hasOwn(fields, name) && fields[name] !== value) {
      throw new MarketoFault(MarketoCodes.badParameter, `attribute ${name.slice(0, 40)} is given twice with different values`);
    }
    setField(fields, name, value);
  }
  input.fields = fields;
  return input;
}

/** Text of a simple element; a repeated or structured one is a bad value, not "not given". */
function textOf(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  const t = asText(v);
  if (t === undefined) throw new MarketoFault(MarketoCodes.badParameter, `${name} must be text`);
  return t;
}

export interface EncodeOptions {
  /** Only these attrNames (getMultipleLeads includeAttributes); all when absent. */
  readonly include?: ReadonlySet<string>;
}

/** A Lead as a LeadRecord, children in schema order. Empty strings are left out, as Marketo did. */
export function encodeLeadRecord(lead: Lead, catalogue: FieldCatalogue, name = "leadRecord", options: EncodeOptions = {}): string {
  const attributes: string[] = [];
  const add = (attrName: string, value: string) => {
    if (value === "") return;
    if (options.include && !options.include.has(attrName.toLowerCase())) return;
    const def = catalogue.find(attrName);
    const type = def?.type ?? "string";
    const shown = type === "boolean" ? (value === "true" ? "1" : "0") : value;
    attributes.push(`<attribute><attrName>${escapeXml(attrName)}</attrName><attrType>${type}</attrType>${text("attrValue", shown)}</attribute>`);
  };
  add("Unsubscribed", lead.unsubscribed ? "true" : "false");
  add("UnsubscribedReason", lead.unsubscribedReason ?? "");
  for (const [attrName, value] of Object.entries(lead.fields ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) add(attrName, value);
  return element(name, [
    text("Id", lead.id),
    textOrNil("Email", lead.email),
    textOrNil("ForeignSysPersonId", lead.foreignSysPersonId),
    textOrNil("ForeignSysType", lead.foreignSysType),
    attributes.length ? element("leadAttributeList", attributes) : nil("leadAttributeList"),
  ]);
}
