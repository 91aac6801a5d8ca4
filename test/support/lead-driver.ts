/**
 * Drives a started test app the way a user does (SOAP through node-soap, the admin API over
 * HTTP) and reads back what a user sees: getLead records, getLeadActivity rows, the admin
 * email-status view. node-soap results are `any`; they are narrowed here, once.
 */
import type * as soap from "soap";
import type { TestApp } from "./test-app";

/** The Reason strings of SPEC §3/§4. */
export const Reasons = {
  soap: "Web service API",
  admin: "Admin API",
  propagate: "System flow action sysActionChangeDataValue updateLeadEmailStatus",
  reset: "System flow action sysActionChangeDataValue resetLeadEmailStatus",
} as const;

/** The Source strings of SPEC §4. */
export const Sources = { soap: "Web service API", admin: "Admin API" } as const;

/** A LeadRecord to send. `unsubscribed` and `fields` go into leadAttributeList. */
export interface LeadSpec {
  readonly id?: number;
  /** null sends xsi:nil. */
  readonly email?: string | null;
  readonly foreignId?: string;
  readonly unsubscribed?: boolean | string;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface SyncStatusView {
  readonly leadId: number;
  readonly status: string;
  readonly error?: string;
}

export interface LeadView {
  readonly id: number;
  readonly email: string | null;
  /** leadAttributeList as attrName → attrValue. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ActivityView {
  readonly type: string;
  readonly asset: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The attributes of a Change Data Value row on Unsubscribed. */
export interface FlagRowView {
  readonly oldValue: string;
  readonly newValue: string;
  readonly reason: string;
  readonly source: string;
  readonly leadId: string;
}

export interface HistoryView {
  readonly at: string;
  readonly unsubscribed: boolean;
  readonly channel: string;
  readonly reason: string;
  readonly source: string;
  readonly leadId: number | null;
}

export interface EmailStatusView {
  readonly email: string;
  readonly key: string;
  readonly unsubscribed: boolean;
  readonly history: HistoryView[];
}

export interface AdminLeadBody {
  readonly email?: string;
  readonly partition?: string;
  readonly createPartition?: boolean;
  readonly unsubscribed?: boolean;
  readonly fields?: Record<string, string>;
  readonly foreignSysPersonId?: string;
  readonly foreignSysType?: string;
}

/** A row of one flag change, as the tests expect it. */
export function flagRow(oldValue: boolean, newValue: boolean, reason: string, leadId: number, source: string = Sources.soap): FlagRowView {
  return { oldValue: String(oldValue), newValue: String(newValue), reason, source, leadId: String(leadId) };
}

export class LeadDriver {
  private client?: soap.Client;

  constructor(private readonly app: TestApp) {}

  private async soap(): Promise<soap.Client> {
    this.client ??= await this.app.soapClient();
    return this.client;
  }

  /** syncLead; returns the sync status. */
  async syncLead(spec: LeadSpec): Promise<SyncStatusView> {
    const client = await this.soap();
    const [out] = (await client.syncLeadAsync({ leadRecord: toLeadRecord(spec), returnLead: false })) as [unknown];
    return toSyncStatus(field(field(out, "result"), "syncStatus"));
  }

  /** syncMultipleLeads; one status per record, in order. */
  async syncMultipleLeads(specs: LeadSpec[], dedupEnabled: boolean): Promise<SyncStatusView[]> {
    const client = await this.soap();
    const [out] = (await client.syncMultipleLeadsAsync({
      leadRecordList: { leadRecord: specs.map(toLeadRecord) },
      dedupEnabled,
    })) as [unknown];
    return list(field(field(field(out, "result"), "syncStatusList"), "syncStatus")).map(toSyncStatus);
  }

  /** Creates duplicates: syncMultipleLeads with dedupEnabled=false, each record must be CREATED. */
  async createDuplicates(specs: LeadSpec[]): Promise<number[]> {
    const statuses = await this.syncMultipleLeads(specs, false);
    for (const s of statuses) if (s.status !== "CREATED") throw new Error(`expected CREATED, got ${JSON.stringify(s)}`);
    return statuses.map((s) => s.leadId);
  }

  async getLeadsByEmail(email: string): Promise<LeadView[]> {
    return this.getLeads("EMAIL", email);
  }

  async getLead(id: number): Promise<LeadView> {
    const [lead] = await this.getLeads("IDNUM", String(id));
    return lead;
  }

  /** The Unsubscribed attribute getLead shows for the lead ("1" / "0"). */
  async unsubscribedOf(id: number): Promise<string | undefined> {
    return (await this.getLead(id)).attributes.Unsubscribed;
  }

  /** The Unsubscribed attribute of several leads, in the order given. */
  async flagsOf(ids: number[]): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = [];
    for (const id of ids) out.push(await this.unsubscribedOf(id));
    return out;
  }

  /** getLeadActivity of one lead, newest first. */
  async activities(id: number): Promise<ActivityView[]> {
    const client = await this.soap();
    const [out] = (await client.getLeadActivityAsync({
      leadKey: { keyType: "IDNUM", keyValue: String(id) },
      startPosition: {},
      batchSize: 100,
    })) as [unknown];
    const activityList = field(out, "leadActivityList");
    return list(field(field(activityList, "activityRecordList"), "activityRecord")).map((r) => ({
      type: text(field(r, "activityType")),
      asset: text(field(r, "mktgAssetName")),
      attributes: Object.fromEntries(list(field(field(r, "activityAttributes"), "attribute")).map((a) => [text(field(a, "attrName")), text(field(a, "attrValue"))])),
    }));
  }

  /** The lead's Change Data Value rows on Unsubscribed, newest first. */
  async flagRows(id: number): Promise<FlagRowView[]> {
    return (await this.activities(id))
      .filter((a) => a.type === "Change Data Value" && a.asset === "Unsubscribed")
      .map((a) => {
        expect(a.attributes["Attribute Name"]).toBe("Unsubscribed");
        return {
          oldValue: a.attributes["Old Value"],
          newValue: a.attributes["New Value"],
          reason: a.attributes.Reason,
          source: a.attributes.Source,
          leadId: a.attributes["Lead ID"],
        };
      });
  }

  /** The activity types of a lead, newest first (with the asset for Change Data Value). */
  async activitySummary(id: number): Promise<string[]> {
    return (await this.activities(id)).map((a) => (a.type === "Change Data Value" ? `${a.type}: ${a.asset}` : a.type));
  }

  async emailStatus(email: string): Promise<EmailStatusView> {
    const res = await this.app.admin("GET", `/email-status/${encodeURIComponent(email)}`);
    if (res.status !== 200) throw new Error(`email-status ${email}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as EmailStatusView;
  }

  /** The history of an address without the times, newest first. */
  async historyOf(email: string): Promise<Omit<HistoryView, "at">[]> {
    return (await this.emailStatus(email)).history.map(({ unsubscribed, channel, reason, source, leadId }) => ({ unsubscribed, channel, reason, source, leadId }));
  }

  /** POST /admin/api/leads; returns the new id. */
  async adminCreate(body: AdminLeadBody): Promise<number> {
    const res = await this.app.admin("POST", "/leads", body);
    if (res.status !== 201) throw new Error(`admin create: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { id: number }).id;
  }

  async adminDelete(id: number): Promise<void> {
    const res = await this.app.admin("DELETE", `/leads/${id}`);
    if (res.status !== 204) throw new Error(`admin delete ${id}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** The Marketo fault code getLead answers with (e.g. "20103"); fails if it answers with leads. */
  async getLeadFaultCode(keyType: string, keyValue: string): Promise<string> {
    const client = await this.soap();
    try {
      await client.getLeadAsync({ leadKey: { keyType, keyValue } });
    } catch (error) {
      const code = field(field(field(field(field(field(error, "root"), "Envelope"), "Body"), "Fault"), "detail"), "serviceException");
      return text(field(code, "code"));
    }
    throw new Error(`getLead ${keyType}=${keyValue} answered without a fault`);
  }

  private async getLeads(keyType: string, keyValue: string): Promise<LeadView[]> {
    const client = await this.soap();
    const [out] = (await client.getLeadAsync({ leadKey: { keyType, keyValue } })) as [unknown];
    const result = field(out, "result");
    const records = list(field(field(result, "leadRecordList"), "leadRecord")).map(toLeadView);
    expect(Number(field(result, "count"))).toBe(records.length);
    return records;
  }
}

/** node-soap's LeadRecord argument, children in schema order. */
export function toLeadRecord(spec: LeadSpec): Record<string, unknown> {
  const attributes: { attrName: string; attrValue: string }[] = [];
  if (spec.unsubscribed !== undefined) attributes.push({ attrName: "Unsubscribed", attrValue: String(spec.unsubscribed) });
  for (const [attrName, attrValue] of Object.entries(spec.fields ?? {})) attributes.push({ attrName, attrValue });
  return {
    ...(spec.id !== undefined ? { Id: spec.id } : {}),
    ...(spec.email !== undefined ? { Email: spec.email } : {}),
    ...(spec.foreignId !== undefined ? { ForeignSysPersonId: spec.foreignId, ForeignSysType: "CUSTOM" } : {}),
    ...(attributes.length ? { leadAttributeList: { attribute: attributes } } : {}),
  };
}

function toSyncStatus(raw: unknown): SyncStatusView {
  const error = field(raw, "error");
  return {
    leadId: Number(field(raw, "leadId")),
    status: text(field(raw, "status")),
    ...(typeof error === "string" ? { error } : {}),
  };
}

function toLeadView(raw: unknown): LeadView {
  const email = field(raw, "Email");
  return {
    id: Number(field(raw, "Id")),
    email: typeof email === "string" ? email : null,
    attributes: Object.fromEntries(list(field(field(raw, "leadAttributeList"), "attribute")).map((a) => [text(field(a, "attrName")), text(field(a, "attrValue"))])),
  };
}

function field(v: unknown, name: string): unknown {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
}

function list(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`expected text, got ${JSON.stringify(v)}`);
}
