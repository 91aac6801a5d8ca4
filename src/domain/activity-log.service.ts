/**
 * Builds the activity rows of SPEC §3. Written by the caller in the same transaction as the
 * change they record; this file only decides their content.
 */
import type { NewActivity } from "./ports";
import { ActivityTypes, type Channel, type Lead } from "./types";

export interface ValueChange {
  /** SOAP attrName of the field. */
  field: string;
  displayName: string;
  oldValue: string;
  newValue: string;
  /** The Reason when a rule, not the request, set the value. */
  systemReason?: string;
}

export function newLeadRow(lead: Lead, channel: Channel): NewActivity {
  return {
    leadId: lead.id,
    typeId: ActivityTypes.newLead.id,
    typeName: ActivityTypes.newLead.name,
    mktgAssetName: "",
    attributes: [
      { name: "Source Type", value: channel.source },
      { name: "Source Info", value: channel.reason },
      { name: "Created Date", value: lead.createdAt.toISOString().slice(0, 10) },
      { name: "Lead ID", value: String(lead.id) },
    ],
    campaign: channel.campaign ?? null,
    emailHash: lead.emailHash,
  };
}

export function changeDataValueRow(leadId: number, emailHash: string | null, change: ValueChange, channel: Channel): NewActivity {
  return {
    leadId,
    typeId: ActivityTypes.changeDataValue.id,
    typeName: ActivityTypes.changeDataValue.name,
    mktgAssetName: change.displayName,
    attributes: [
      { name: "Attribute Name", value: change.displayName },
      { name: "Old Value", value: change.oldValue },
      { name: "New Value", value: change.newValue },
      { name: "Reason", value: change.systemReason ?? channel.reason },
      { name: "Source", value: channel.source },
      { name: "Lead ID", value: String(leadId) },
    ],
    campaign: channel.campaign ?? null,
    emailHash,
  };
}

/** Unsubscribe Email (9): the email the person unsubscribed from (the link's label) as its asset. */
export function unsubscribeEmailRow(leadId: number, emailHash: string | null, label: string, channel: Channel): NewActivity {
  return {
    leadId,
    typeId: ActivityTypes.unsubscribeEmail.id,
    typeName: ActivityTypes.unsubscribeEmail.name,
    mktgAssetName: label,
    attributes: [
      { name: "Source", value: channel.source },
      { name: "Reason", value: channel.reason },
      { name: "Lead ID", value: String(leadId) },
    ],
    campaign: channel.campaign ?? null,
    emailHash,
  };
}

export function deleteLeadRow(lead: Lead, channel: Channel): NewActivity {
  return {
    leadId: lead.id,
    typeId: ActivityTypes.deleteLead.id,
    typeName: ActivityTypes.deleteLead.name,
    mktgAssetName: "",
    attributes: [
      { name: "Reason", value: channel.reason },
      { name: "Source", value: channel.source },
      { name: "Lead ID", value: String(lead.id) },
    ],
    campaign: channel.campaign ?? null,
    emailHash: lead.emailHash,
  };
}

export function booleanText(value: boolean): string {
  return value ? "true" : "false";
}
