/**
 * Every WSDL operation, listed once (STYLE habit 2). Implemented operations are wrapped with
 * authentication and the fault translation; the rest answer 20019.
 */
import { getCampaignsForSource, requestCampaign } from "./handlers/campaign.handlers";
import { getLeadActivity } from "./handlers/get-lead-activity.handler";
import { mergeLeads } from "./handlers/merge-leads.handler";
import { describeMObject, listMObjects } from "./handlers/mobject.handlers";
import { getLeadChanges } from "./handlers/get-lead-changes.handler";
import { getMultipleLeads } from "./handlers/get-multiple-leads.handler";
import { listOperation } from "./handlers/list-operation.handler";
import { getLead } from "./handlers/get-lead.handler";
import type { Handler } from "./handlers/context";
import { syncLead } from "./handlers/sync-lead.handler";
import { syncMultipleLeads } from "./handlers/sync-multiple-leads.handler";

export const operationNames = [
  "getLead",
  "getMultipleLeads",
  "syncLead",
  "syncMultipleLeads",
  "mergeLeads",
  "getLeadActivity",
  "getLeadChanges",
  "listOperation",
  "importToList",
  "getImportToListStatus",
  "getCampaignsForSource",
  "requestCampaign",
  "scheduleCampaign",
  "listMObjects",
  "describeMObject",
  "getMObjects",
  "syncMObjects",
  "deleteMObjects",
  "getCustomObjects",
  "syncCustomObjects",
  "deleteCustomObjects",
  "getTags",
  "getChannels",
] as const;

export type OperationName = (typeof operationNames)[number];

/** The handlers of the operations this server implements; the others are not supported (20019). */
export const handlers: Partial<Record<OperationName, Handler>> = {
  getLead,
  getMultipleLeads,
  syncLead,
  syncMultipleLeads,
  getLeadActivity,
  getLeadChanges,
  mergeLeads,
  listOperation,
  getCampaignsForSource,
  requestCampaign,
  listMObjects,
  describeMObject,
};

/** `paramsGetLead` for `getLead`: the request's body element. */
export function requestElementOf(operation: OperationName): string {
  return `params${operation[0].toUpperCase()}${operation.slice(1)}`;
}

export const operationByRequestElement: ReadonlyMap<string, OperationName> = new Map(operationNames.map((op) => [requestElementOf(op), op]));
