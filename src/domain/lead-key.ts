/**
 * resolveLeadKey: the one reading of a LeadKey (keyType + keyValue) as a lookup: IDNUM a lead
 * id, EMAIL the keyed hash of its email key (every lead with it, in every partition, SPEC §5),
 * SFDCLEADID/SFDCCONTACTID a foreign id of type SFDC (of a lead whose SFDC Type is not the other
 * kind: SFDCLEADID never finds a lead typed Contact, nor SFDCCONTACTID one typed Lead; an untyped
 * lead is found by either), FOREIGN a foreign id of its type. Every
 * reader and writer that finds leads by key uses it (getLead, getLeadActivity, mergeLeads,
 * listOperation, requestCampaign); findLeadsByKey reads them.
 */
import { emailKey, type EmailHasher } from "./email";
import { InvalidLeadKeyError } from "./errors";
import type { Repositories } from "./ports";
import type { Lead, LeadKey } from "./types";

export type LeadLookup =
  | { readonly by: "id"; readonly id: number }
  | { readonly by: "email"; readonly emailHash: string }
  | { readonly by: "foreign"; readonly type: string; readonly id: string; readonly sfdcType?: SfdcType };

/** The kind of Salesforce record a lead stands for (its SFDCType field, as an import keeps Marketo's SFDC Type). */
export type SfdcType = "Lead" | "Contact";

/** The SFDC Type a key type asks for. */
export function sfdcTypeOfKey(keyType: string): SfdcType | undefined {
  return keyType === "SFDCLEADID" ? "Lead" : keyType === "SFDCCONTACTID" ? "Contact" : undefined;
}

/** A lead a key of `wanted` SFDC Type may name: one of that type, or one with no (known) type. */
export function isOfSfdcType(lead: Pick<Lead, "fields">, wanted: SfdcType | undefined): boolean {
  if (!wanted) return true;
  const own = (lead.fields?.SFDCType ?? "").trim().toLowerCase();
  return own !== (wanted === "Lead" ? "contact" : "lead");
}

/** The lookup a key stands for; a key that cannot name a lead (empty, a malformed id, an unknown type) is an InvalidLeadKeyError. */
export function resolveLeadKey(key: LeadKey, hasher: EmailHasher): LeadLookup {
  const value = key.value?.trim() ?? "";
  if (value === "") throw new InvalidLeadKeyError(`${key.type} key value is empty`);
  switch (key.type) {
    case "IDNUM":
      if (!/^\d{1,10}$/.test(value) || Number(value) > 2147483647) throw new InvalidLeadKeyError(`IDNUM '${value.slice(0, 20)}' is not a lead id`);
      return { by: "id", id: Number(value) };
    case "EMAIL": {
      const k = emailKey(value);
      if (!k) throw new InvalidLeadKeyError("EMAIL key value is empty");
      return { by: "email", emailHash: hasher(k) };
    }
    case "SFDCLEADID":
    case "SFDCCONTACTID":
      return { by: "foreign", type: "SFDC", id: value, sfdcType: sfdcTypeOfKey(key.type) };
    case "FOREIGN":
      return { by: "foreign", type: key.foreignSysType ?? "CUSTOM", id: value };
    default:
      throw new InvalidLeadKeyError(`key type ${String(key.type).slice(0, 40)} is not supported`);
  }
}

/** The leads a key names (by id, one or none; by email, every lead with the address, oldest first). */
export async function findLeadsByKey(key: LeadKey, hasher: EmailHasher, repos: Pick<Repositories, "leads">): Promise<Lead[]> {
  const lookup = resolveLeadKey(key, hasher);
  switch (lookup.by) {
    case "id": {
      const lead = await repos.leads.findById(lookup.id);
      return lead ? [lead] : [];
    }
    case "email":
      return repos.leads.findByEmailHash(lookup.emailHash);
    case "foreign": {
      const lead = await repos.leads.findByForeignId(lookup.type, lookup.id);
      return lead && isOfSfdcType(lead, lookup.sfdcType) ? [lead] : [];
    }
  }
}

/** The most recently updated of some leads (SPEC §5's choice among an address's leads). */
export function latestOf(leads: readonly Lead[]): Lead | undefined {
  return [...leads].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.id - a.id)[0];
}
