/** Where a change came from (SPEC §4). Each channel has its Reason and Source strings. */
export type ChannelName = "soap" | "sfdc" | "flow" | "personPage" | "adminApi" | "import" | "oneClick";

export interface Channel {
  readonly name: ChannelName;
  /** Reason attribute of the activity row the change itself gets. */
  readonly reason: string;
  /** Source attribute of every row the change causes. */
  readonly source: string;
  /** Campaign name shown on activity rows written by a flow step. */
  readonly campaign?: string;
}

export const Channels = {
  soap: { name: "soap", reason: "Web service API", source: "Web service API" },
  sfdc: { name: "sfdc", reason: "Sync from SFDC", source: "Sales" },
  personPage: { name: "personPage", reason: "Manual person edit", source: "Lead update" },
  adminApi: { name: "adminApi", reason: "Admin API", source: "Admin API" },
  import: { name: "import", reason: "List import", source: "Import" },
  oneClick: { name: "oneClick", reason: "One-click unsubscribe", source: "Email unsubscribe" },
  flow: (program?: string, campaign?: string): Channel =>
    program && campaign
      ? {
          name: "flow",
          reason: `Changed by Smart Campaign ${program}.${campaign} action Change Data Value`,
          source: "Marketo Flow Action",
          campaign: `${program}.${campaign}`,
        }
      : { name: "flow", reason: "Changed by flow action Change Data Value", source: "Marketo Flow Action" },
} as const satisfies Record<string, Channel | ((...args: string[]) => Channel)>;

/** Reasons of the rows a rule writes (SPEC §3). */
export const SystemReasons = {
  propagate: "System flow action sysActionChangeDataValue updateLeadEmailStatus",
  reset: "System flow action sysActionChangeDataValue resetLeadEmailStatus",
} as const;

/** What matches a lead. */
export type LeadKeyType = "IDNUM" | "EMAIL" | "SFDCLEADID" | "SFDCCONTACTID" | "FOREIGN";

export interface LeadKey {
  readonly type: LeadKeyType;
  readonly value: string;
  /** With FOREIGN: the foreign system type (SFDC, NETSUITE, CUSTOM). */
  readonly foreignSysType?: string;
}

export type ForeignSysType = "CUSTOM" | "SFDC" | "NETSUITE";

/** A lead as the domain sees it. The persistence entity has this shape. */
export interface Lead {
  id: number;
  email: string | null;
  emailKey: string | null;
  emailHash: string | null;
  foreignSysPersonId: string | null;
  foreignSysType: string | null;
  partitionId: number;
  unsubscribed: boolean;
  unsubscribedReason: string | null;
  /** Every other field, by its SOAP attrName, as text. */
  fields: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** What a write asks for. Omitted properties mean "not given". */
export interface LeadInput {
  id?: number;
  email?: string | null;
  foreignSysPersonId?: string | null;
  foreignSysType?: string | null;
  unsubscribed?: boolean;
  unsubscribedReason?: string | null;
  fields?: Record<string, string>;
  /**
   * When the lead was created and last updated elsewhere (an import keeps Marketo's Created At
   * and Updated At). Used only when the write creates the lead; no SOAP request sets them.
   */
  createdAt?: Date;
  updatedAt?: Date;
}

/**
 * What the write path needs to know beyond the new values: who asked, and whether the
 * request itself set Unsubscribed (SPEC D5 tells an explicit value from a carried one).
 */
export interface WriteIntent {
  readonly channel: Channel;
  readonly requestedUnsubscribed?: boolean;
  /** false: the caller may not re-subscribe an address (a per-API-user permission). */
  readonly mayResubscribe?: boolean;
  /** The partitions the caller may touch; a re-subscribe reaches every partition (D2), so it is refused when the address has leads outside them. */
  readonly scopePartitionIds?: number[];
  /** Only an address whose unsubscribe came from this channel may be re-subscribed (Salesforce: its own). */
  readonly resubscribeOnlyFrom?: ChannelName;
}

export type SyncStatus = "CREATED" | "UPDATED";

export interface SyncResult {
  leadId: number;
  status: SyncStatus;
  lead: Lead;
  /** The lead as it was before an update (absent on create). */
  previous?: Lead;
}

export interface ActivityAttribute {
  name: string;
  value: string;
}

export interface Activity {
  id: number;
  leadId: number;
  typeId: number;
  typeName: string;
  mktgAssetName: string;
  attributes: ActivityAttribute[];
  campaign: string | null;
  createdAt: Date;
}

export const ActivityTypes = {
  unsubscribeEmail: { id: 9, name: "Unsubscribe Email", filter: "UnsubscribeEmail" },
  newLead: { id: 12, name: "New Lead", filter: "NewLead" },
  changeDataValue: { id: 13, name: "Change Data Value", filter: "ChangeDataValue" },
  mergeLeads: { id: 32, name: "Merge Leads", filter: "MergeLeads" },
  deleteLead: { id: 37, name: "Delete Lead", filter: "DeleteLead" },
} as const;

export interface EmailStatus {
  emailHash: string;
  email: string;
  unsubscribed: boolean;
  reason: string | null;
  channel: string | null;
  source: string | null;
  changedAt: Date | null;
  leadId: number | null;
}

export interface EmailStatusChange {
  at: Date;
  unsubscribed: boolean;
  channel: string;
  reason: string;
  source: string;
  leadId: number | null;
}
