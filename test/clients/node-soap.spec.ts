/**
 * The client scenario of scenario.ts with node-soap's client on the served WSDL
 * (app.soapClient), read into the same JSON shape as the zeep and PHP scripts print. node-soap
 * drops nil elements from what it returns, so nil is also checked on the raw answers.
 */
import type * as soap from "soap";
import { signedHeader, startTestApp, type TestApp } from "../support/test-app";
import {
  ALL_VERSIONS,
  expectFullScenario,
  type ActivityJson,
  type ActivityRecordJson,
  type FaultJson,
  type GetLeadJson,
  type LeadJson,
  type ScenarioOutput,
  type SyncLeadJson,
  type SyncStatusJson,
} from "./scenario";

const MKTOWS_NS = "http://www.marketo.com/mktows/";
type Rec = Record<string, unknown>;

const rec = (v: unknown): Rec => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
/** A value node-soap read, or null where it left the (nil) element out. */
const val = <T>(v: unknown): T | null => (v === undefined || v === null ? null : (v as T));
const text = (v: unknown): string | null => (v === undefined || v === null ? null : v instanceof Date ? v.toISOString() : String(v));

function leadJson(r: Rec): LeadJson {
  const attributes = r.leadAttributeList === undefined ? null : Object.fromEntries(list(rec(r.leadAttributeList).attribute).map((a) => [rec(a).attrName as string, { type: text(rec(a).attrType), value: text(rec(a).attrValue) }]));
  return {
    Id: val<number>(r.Id),
    Email: text(r.Email),
    ForeignSysPersonId: text(r.ForeignSysPersonId),
    ForeignSysType: text(r.ForeignSysType),
    leadAttributeList: attributes,
  };
}

function getLeadJson(body: Rec): GetLeadJson {
  const result = rec(body.result);
  return {
    count: result.count as number,
    leadRecordList: result.leadRecordList === undefined ? null : list(rec(result.leadRecordList).leadRecord).map((r) => leadJson(rec(r))),
  };
}

function syncStatusJson(s: unknown): SyncStatusJson {
  return { leadId: rec(s).leadId as number, status: rec(s).status as string, error: text(rec(s).error) };
}

function syncLeadJson(body: Rec): SyncLeadJson {
  const result = rec(body.result);
  return { leadId: result.leadId as number, syncStatus: syncStatusJson(result.syncStatus), leadRecord: result.leadRecord === undefined ? null : leadJson(rec(result.leadRecord)) };
}

function syncMultipleJson(body: Rec): SyncStatusJson[] {
  return list(rec(rec(body.result).syncStatusList).syncStatus).map(syncStatusJson);
}

function activityJson(body: Rec): ActivityJson {
  const l = rec(body.leadActivityList);
  const p = rec(l.newStartPosition);
  const records = l.activityRecordList === undefined ? null : list(rec(l.activityRecordList).activityRecord).map((x): ActivityRecordJson => {
    const r = rec(x);
    return {
      id: val<number>(r.id),
      ...(r.marketoGUID !== undefined ? { marketoGUID: String(r.marketoGUID) } : {}),
      activityDateTime: text(r.activityDateTime) as string,
      activityType: r.activityType as string,
      mktgAssetName: text(r.mktgAssetName),
      activityAttributes: r.activityAttributes === undefined ? null : list(rec(r.activityAttributes).attribute).map((a) => [rec(a).attrName as string, text(rec(a).attrType), text(rec(a).attrValue)]),
      campaign: text(r.campaign),
      personName: text(r.personName),
      mktPersonId: String(r.mktPersonId),
      foreignSysId: text(r.foreignSysId),
      orgName: text(r.orgName),
      foreignSysOrgId: text(r.foreignSysOrgId),
    };
  });
  return {
    returnCount: l.returnCount as number,
    remainingCount: l.remainingCount as number,
    newStartPosition: { latestCreatedAt: text(p.latestCreatedAt), oldestCreatedAt: text(p.oldestCreatedAt), activityCreatedAt: text(p.activityCreatedAt), offset: text(p.offset) },
    activityRecordList: records,
  };
}

type AsyncOperation = (args: object) => Promise<[unknown, string]>;

/** Calls `<op>Async`; returns node-soap's object and the raw answer. */
async function call(client: soap.Client, operation: string, args: object): Promise<{ body: Rec; raw: string }> {
  const fn = (client as unknown as Record<string, AsyncOperation>)[`${operation}Async`];
  const [body, raw] = await fn.call(client, args);
  return { body: rec(body), raw };
}

async function expectFault(client: soap.Client, operation: string, args: object): Promise<FaultJson & { httpStatus: number | undefined }> {
  try {
    await call(client, operation, args);
  } catch (error) {
    const e = error as { root?: unknown; response?: { status?: number } };
    const fault = rec(rec(rec(rec(e.root).Envelope).Body).Fault);
    const detail = rec(rec(fault.detail).serviceException);
    if (!fault.faultstring) throw error;
    return {
      faultcode: String(fault.faultcode),
      faultstring: String(fault.faultstring),
      code: String(detail.code),
      name: String(detail.name),
      message: String(detail.message),
      httpStatus: e.response?.status,
    };
  }
  throw new Error(`${operation} answered without a fault`);
}

const attrs = (...pairs: Array<[string, string]>) => ({ attribute: pairs.map(([attrName, attrValue]) => ({ attrName, attrValue })) });

interface NodeSoapRun {
  out: ScenarioOutput;
  raw: { syncLeadCreate: string; syncLeadUpdate: string; activityEmpty: string };
  faultStatuses: Array<number | undefined>;
}

async function runScenario(app: TestApp, version: string): Promise<NodeSoapRun> {
  const client = await app.soapClient(version);
  const email = "ann@example.com";
  const created = await call(client, "syncLead", { leadRecord: { Email: email, leadAttributeList: attrs(["FirstName", "Ann"], ["Company", "Acme"]) }, returnLead: true });
  const leadId = String(rec(created.body.result).leadId);
  const updated = await call(client, "syncLead", { leadRecord: { Email: email, leadAttributeList: attrs(["LastName", "Smith"], ["Unsubscribed", "true"]) }, returnLead: false });
  const duplicate = await call(client, "syncMultipleLeads", { leadRecordList: { leadRecord: [{ Email: email, leadAttributeList: attrs(["FirstName", "Dup"]) }] }, dedupEnabled: false });
  const byEmail = await call(client, "getLead", { leadKey: { keyType: "EMAIL", keyValue: email.toUpperCase() } });
  const byId = await call(client, "getLead", { leadKey: { keyType: "IDNUM", keyValue: leadId } });
  const multiple = await call(client, "syncMultipleLeads", {
    leadRecordList: {
      leadRecord: [
        { Email: "bob@example.com", ForeignSysPersonId: "EXT-42", ForeignSysType: "CUSTOM", leadAttributeList: attrs(["LeadScore", "7"]) },
        { Email: "bad@example.com", leadAttributeList: attrs(["NoSuchField", "x"]) },
        { Id: Number(leadId), leadAttributeList: attrs(["Unsubscribed", "0"], ["City", "Paris"]) },
      ],
    },
  });
  const bob = await call(client, "getLead", { leadKey: { keyType: "EMAIL", keyValue: "bob@example.com" } });
  const after = await call(client, "getLead", { leadKey: { keyType: "EMAIL", keyValue: email } });
  const activity = await call(client, "getLeadActivity", { leadKey: { keyType: "IDNUM", keyValue: leadId } });
  const page = await call(client, "getLeadActivity", { leadKey: { keyType: "IDNUM", keyValue: leadId }, batchSize: 2 });
  const empty = await call(client, "getLeadActivity", { leadKey: { keyType: "IDNUM", keyValue: leadId }, activityFilter: { includeTypes: { activityType: ["VisitWebpage"] } } });
  const unknownEmail = await expectFault(client, "getLead", { leadKey: { keyType: "EMAIL", keyValue: "nobody@example.com" } });
  const unknownField = await expectFault(client, "syncLead", { leadRecord: { Email: email, leadAttributeList: attrs(["pants", "x"]) }, returnLead: false });
  client.clearSoapHeaders();
  client.addSoapHeader({ AuthenticationHeader: { ...signedHeader(), requestSignature: "0".repeat(40) } }, "", "ns1", MKTOWS_NS);
  const badSignature = await expectFault(client, "getLead", { leadKey: { keyType: "IDNUM", keyValue: leadId } });
  const strip = ({ httpStatus: _status, ...f }: FaultJson & { httpStatus: number | undefined }): FaultJson => f;
  return {
    out: {
      client: "node-soap",
      version,
      scenario: "full",
      syncLeadCreate: syncLeadJson(created.body),
      syncLeadUpdate: syncLeadJson(updated.body),
      syncDuplicate: syncMultipleJson(duplicate.body),
      getLeadByEmail: getLeadJson(byEmail.body),
      getLeadById: getLeadJson(byId.body),
      syncMultiple: syncMultipleJson(multiple.body),
      getLeadWithForeignId: getLeadJson(bob.body),
      getLeadAfterMultiple: getLeadJson(after.body),
      activity: activityJson(activity.body),
      activityPage: activityJson(page.body),
      activityEmpty: activityJson(empty.body),
      faults: { unknownEmail: strip(unknownEmail), unknownField: strip(unknownField), badSignature: strip(badSignature) },
    },
    raw: { syncLeadCreate: created.raw, syncLeadUpdate: updated.raw, activityEmpty: empty.raw },
    faultStatuses: [unknownEmail.httpStatus, unknownField.httpStatus, badSignature.httpStatus],
  };
}

describe("node-soap client", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it.each(ALL_VERSIONS)("runs the whole scenario on %s with exact answers", async (version) => {
    await app.reset();
    const { out, raw, faultStatuses } = await runScenario(app, version);
    // node-soap reads xs:dateTime into a Date; empty elements as "".
    expectFullScenario(out, version, { emptyText: "", dateTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, xsiNil: false });
    expect(faultStatuses).toEqual([500, 500, 500]);
    // Nil on the wire, as Marketo wrote it (node-soap leaves nil elements out of its objects).
    expect(raw.syncLeadCreate).toContain("<Email>ann@example.com</Email><ForeignSysPersonId xsi:nil=\"true\"/><ForeignSysType xsi:nil=\"true\"/><leadAttributeList>");
    expect(raw.syncLeadUpdate).toContain("<syncStatus><leadId>1</leadId><status>UPDATED</status><error xsi:nil=\"true\"/></syncStatus><leadRecord xsi:nil=\"true\"/></result>");
    expect(raw.activityEmpty).toContain("<offset xsi:nil=\"true\"/></newStartPosition><activityRecordList xsi:nil=\"true\"/></leadActivityList>");
    for (const r of Object.values(raw)) expect(r).toMatch(/^<\?xml[^>]*\?>\s*<SOAP-ENV:Envelope [^>]*xmlns:xsi="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance"/);
  });
});
