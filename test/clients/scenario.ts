/**
 * The one scenario every real client runs (python/mktows_zeep.py, php/mktows_client.php and
 * node-soap.spec.ts), on an empty database, and the exact answers it must get. Each client
 * prints the same JSON shape; the few things clients read differently are `ClientQuirks`.
 *
 * Steps: syncLead create (returnLead=true) → syncLead update by email (Unsubscribed=true,
 * returnLead=false) → syncMultipleLeads dedupEnabled=false (a duplicate of the address) →
 * getLead EMAIL (2 leads) → getLead IDNUM → syncMultipleLeads (CREATED with a foreign id,
 * FAILED unknown field, UPDATED by Id with Unsubscribed=0) → getLead EMAIL (bob, then ann: the
 * re-subscribe reached the duplicate, SPEC D2) → getLeadActivity (all, batchSize 2, a filter
 * matching nothing) → faults 20103, 20105, 20014.
 */
import { execFile } from "node:child_process";
import { standardFields } from "../../src/domain/lead-fields";
import { TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";

/** Versions the scenario runs on: every path the server answers (SPEC §5). */
export const ALL_VERSIONS = ["2_0", "2_1", "2_2", "2_3", "2_4", "2_5", "2_6", "2_7", "2_8", "2_9", "3_0", "3_1"] as const;

export interface ClientQuirks {
  /** What the client reads for an empty string element such as `<mktgAssetName/>`. */
  readonly emptyText: null | "";
  /** How the client prints an xs:dateTime it read. */
  readonly dateTime: RegExp;
  /** The client reports the names of the xsi:nil children of each record (zeep, from the raw XML). */
  readonly xsiNil: boolean;
}

export interface AttributeJson {
  type: string | null;
  value: string | null;
}

export interface LeadJson {
  Id: number | null;
  Email: string | null;
  ForeignSysPersonId: string | null;
  ForeignSysType: string | null;
  leadAttributeList: Record<string, AttributeJson> | null;
  xsiNil?: string[];
}

export interface GetLeadJson {
  count: number;
  leadRecordList: LeadJson[] | null;
}

export interface SyncStatusJson {
  leadId: number;
  status: string;
  error: string | null;
}

export interface SyncLeadJson {
  leadId: number;
  syncStatus: SyncStatusJson;
  leadRecord: LeadJson | null;
}

export interface ActivityRecordJson {
  id: number | null;
  marketoGUID?: string;
  activityDateTime: string;
  activityType: string;
  mktgAssetName: string | null;
  activityAttributes: Array<[string, string | null, string | null]> | null;
  campaign: string | null;
  personName: string | null;
  mktPersonId: string;
  foreignSysId: string | null;
  orgName: string | null;
  foreignSysOrgId: string | null;
  xsiNil?: string[];
}

export interface ActivityJson {
  returnCount: number;
  remainingCount: number;
  newStartPosition: { latestCreatedAt: string | null; oldestCreatedAt: string | null; activityCreatedAt: string | null; offset: string | null };
  activityRecordList: ActivityRecordJson[] | null;
}

export interface FaultJson {
  faultcode: string;
  faultstring: string;
  code: string;
  name: string;
  message: string;
}

export interface ScenarioOutput {
  client: string;
  version: string;
  scenario: string;
  syncLeadCreate: SyncLeadJson;
  syncLeadUpdate: SyncLeadJson;
  syncDuplicate: SyncStatusJson[];
  getLeadByEmail: GetLeadJson;
  getLeadById: GetLeadJson;
  syncMultiple: SyncStatusJson[];
  getLeadWithForeignId: GetLeadJson;
  getLeadAfterMultiple: GetLeadJson;
  activity: ActivityJson;
  activityPage: ActivityJson;
  activityEmpty: ActivityJson;
  faults: { unknownEmail: FaultJson; unknownField: FaultJson; badSignature: FaultJson };
  /** zeep: raw answers validated against the WSDL's XSD (and the fault detail shape). */
  validatedResponses?: number;
  /** PHP: answers checked (HTTP status, fault detail). */
  checkedResponses?: number;
}

/** Calls made by the full scenario: 11 answers and 3 faults. */
export const SCENARIO_RESPONSES = 14;

const attr = (type: string, value: string): AttributeJson => ({ type, value });

function lead(quirks: ClientQuirks, id: number, email: string, attributes: Record<string, AttributeJson>, foreign?: [string, string]): LeadJson {
  return {
    Id: id,
    Email: email,
    ForeignSysPersonId: foreign ? foreign[0] : null,
    ForeignSysType: foreign ? foreign[1] : null,
    leadAttributeList: attributes,
    ...(quirks.xsiNil ? { xsiNil: foreign ? [] : ["ForeignSysPersonId", "ForeignSysType"] } : {}),
  };
}

const NIL_ACTIVITY_CHILDREN = ["personName", "foreignSysId", "orgName", "foreignSysOrgId"];

function activityRecord(
  quirks: ClientQuirks,
  version: string,
  id: number,
  type: string,
  asset: string,
  attributes: Array<[string, string]>,
): ActivityRecordJson {
  const empty = (v: string): string | null => (v === "" ? quirks.emptyText : v);
  return {
    id,
    ...(version >= "3_0" ? { marketoGUID: String(id) } : {}),
    activityDateTime: expect.stringMatching(quirks.dateTime) as unknown as string,
    activityType: type,
    mktgAssetName: empty(asset),
    activityAttributes: attributes.map(([n, v]) => [n, null, empty(v)]),
    campaign: quirks.emptyText,
    personName: null,
    mktPersonId: "1",
    foreignSysId: null,
    orgName: null,
    foreignSysOrgId: null,
    ...(quirks.xsiNil ? { xsiNil: NIL_ACTIVITY_CHILDREN } : {}),
  };
}

function changeDataValue(quirks: ClientQuirks, version: string, id: number, display: string, oldValue: string, newValue: string): ActivityRecordJson {
  return activityRecord(quirks, version, id, "Change Data Value", display, [
    ["Attribute Name", display],
    ["Old Value", oldValue],
    ["New Value", newValue],
    ["Reason", "Web service API"],
    ["Source", "Web service API"],
    ["Lead ID", "1"],
  ]);
}

const NIL_POSITION = { latestCreatedAt: null, oldestCreatedAt: null, activityCreatedAt: null };

/** Asserts every exact value of the full scenario, run on an empty database (lead ids from 1). */
export function expectFullScenario(out: ScenarioOutput, version: string, quirks: ClientQuirks): void {
  expect(out.version).toBe(version);
  expect(out.scenario).toBe("full");
  const ann = "ann@example.com";
  const sub = (v: "0" | "1") => attr("boolean", v);

  // 1. create, returnLead=true: the whole record; no foreign id, so ForeignSys* are nil.
  expect(out.syncLeadCreate).toEqual({
    leadId: 1,
    syncStatus: { leadId: 1, status: "CREATED", error: null },
    leadRecord: lead(quirks, 1, ann, { Unsubscribed: sub("0"), Company: attr("string", "Acme"), FirstName: attr("string", "Ann") }),
  });
  // 2. update by email, returnLead=false: a nil leadRecord.
  expect(out.syncLeadUpdate).toEqual({ leadId: 1, syncStatus: { leadId: 1, status: "UPDATED", error: null }, leadRecord: null });
  // 3. dedupEnabled=false creates a second lead with the same address.
  expect(out.syncDuplicate).toEqual([{ leadId: 2, status: "CREATED", error: null }]);

  // 4. getLead EMAIL (sent in upper case) returns both; the duplicate adopted the unsubscribe (D3).
  const ann1Unsubscribed = lead(quirks, 1, ann, {
    Unsubscribed: sub("1"),
    Company: attr("string", "Acme"),
    FirstName: attr("string", "Ann"),
    LastName: attr("string", "Smith"),
  });
  expect(out.getLeadByEmail).toEqual({
    count: 2,
    leadRecordList: [ann1Unsubscribed, lead(quirks, 2, ann, { Unsubscribed: sub("1"), FirstName: attr("string", "Dup") })],
  });
  // 5. getLead IDNUM.
  expect(out.getLeadById).toEqual({ count: 1, leadRecordList: [ann1Unsubscribed] });

  // 6. per-record statuses; the failed record is FAILED with leadId 0 and the error text.
  expect(out.syncMultiple).toEqual([
    { leadId: 3, status: "CREATED", error: null },
    { leadId: 0, status: "FAILED", error: "unknown fields for import: NoSuchField" },
    { leadId: 1, status: "UPDATED", error: null },
  ]);
  expect(out.getLeadWithForeignId).toEqual({
    count: 1,
    leadRecordList: [lead(quirks, 3, "bob@example.com", { Unsubscribed: sub("0"), LeadScore: attr("integer", "7") }, ["EXT-42", "CUSTOM"])],
  });
  // Unsubscribed=0 on lead 1 re-subscribed the address, so lead 2 too (D2).
  expect(out.getLeadAfterMultiple).toEqual({
    count: 2,
    leadRecordList: [
      lead(quirks, 1, ann, {
        Unsubscribed: sub("0"),
        City: attr("string", "Paris"),
        Company: attr("string", "Acme"),
        FirstName: attr("string", "Ann"),
        LastName: attr("string", "Smith"),
      }),
      lead(quirks, 2, ann, { Unsubscribed: sub("0"), FirstName: attr("string", "Dup") }),
    ],
  });

  // 7. lead 1's activity, newest first. Ids: 1-3 lead 1, 4-5 lead 2 (New Lead, D3 reset), 6 lead 3, 7-8 lead 1.
  const records = [
    changeDataValue(quirks, version, 8, "Unsubscribed", "true", "false"),
    changeDataValue(quirks, version, 7, "City", "", "Paris"),
    changeDataValue(quirks, version, 3, "Unsubscribed", "false", "true"),
    changeDataValue(quirks, version, 2, "Last Name", "", "Smith"),
    activityRecord(quirks, version, 1, "New Lead", "", [
      ["Source Type", "Web service API"],
      ["Source Info", "Web service API"],
      ["Created Date", expect.stringMatching(/^\d{4}-\d\d-\d\d$/) as unknown as string],
      ["Lead ID", "1"],
    ]),
  ];
  expect(out.activity).toEqual({ returnCount: 5, remainingCount: 0, newStartPosition: { ...NIL_POSITION, offset: "1" }, activityRecordList: records });
  const newLead = out.activity.activityRecordList?.[4];
  expect(newLead?.activityAttributes?.[2][2]).toBe(String(newLead?.activityDateTime).slice(0, 10));
  for (const r of out.activity.activityRecordList ?? []) expect(Math.abs(Date.parse(r.activityDateTime) - Date.now())).toBeLessThan(10 * 60 * 1000);
  expect(out.activityPage).toEqual({ returnCount: 2, remainingCount: 3, newStartPosition: { ...NIL_POSITION, offset: "7" }, activityRecordList: records.slice(0, 2) });
  // A filter that matches nothing: nil offset and a nil activityRecordList.
  expect(out.activityEmpty).toEqual({ returnCount: 0, remainingCount: 0, newStartPosition: { ...NIL_POSITION, offset: null }, activityRecordList: null });

  // 8. faults, read from the serviceException detail.
  const fault = (code: string, text: string, message: string): FaultJson => ({
    faultcode: "SOAP-ENV:Client",
    faultstring: `${code} - ${text}`,
    code,
    name: "mktServiceException",
    message: `${message} (${code})`,
  });
  expect(out.faults).toEqual({
    unknownEmail: fault("20103", "Lead not found", "No lead found with EMAIL = nobody@example.com"),
    unknownField: fault("20105", "Unknown lead field", "syncLead operation failed: unknown fields for import: pants"),
    badSignature: fault("20014", "Authentication failed", "Authentication failed"),
  });
}

// ---------------------------------------------------------------------------------------------
// The "operations" scenario: the lead operations the full scenario does not call, on the
// versions whose shapes differ (2_2: no activityNameFilter, xs:int ids; 2_7: xs:long ids;
// 3_1: marketoGUID in change records).
//
// Steps, on an empty database with a list, a campaign and a custom field (setUpOperations):
// syncMultipleLeads ann (with the custom field), bob, carl (ids 1-3; activities 1-3 New Lead) →
// getMultipleLeads LeadKeySelector EMAIL ann, carl → LastUpdateAtSelector batchSize 1 following
// newStreamPosition to the end → syncLead carl Unsubscribed=true (activity 4) → getLeadChanges
// from oldestCreatedAt (batchSize 2), then from its offset filtered on "Change Data Value" (2_2:
// activityFilter ChangeDataValue) → listOperation ADDTOLIST 1,2 / ISMEMBEROFLIST 1,3 /
// REMOVEFROMLIST 2 / ISMEMBEROFLIST 1,2 → a duplicate of ann (4) merged into 1 → getLead ann →
// getCampaignsForSource → requestCampaign (Unsubscribed=false) on carl → getLead carl →
// describeMObject LeadRecord → listMObjects.
// ---------------------------------------------------------------------------------------------

export const OPERATIONS_VERSIONS = ["2_2", "2_7", "3_1"] as const;
export const OPERATIONS_LIST = { programName: "Prog", name: "Members" };
export const OPERATIONS_CAMPAIGN = {
  programName: "Prog",
  name: "Resubscribe",
  description: "Re-subscribes the lead",
  steps: [{ type: "changeDataValue", attribute: "Unsubscribed", value: "false" }],
};
export const OPERATIONS_FIELD = { name: "FavoriteColor", attrType: "string", displayName: "Favorite Color" };
/** Answers of the operations scenario: 20 calls, every one a success. */
export const OPERATIONS_RESPONSES = 20;

/** Declares the list, the campaign and the custom field; returns the script's extra arguments. */
export async function setUpOperations(app: Pick<TestApp, "admin">): Promise<string[]> {
  expect(await app.admin("POST", "/lists", OPERATIONS_LIST)).toEqual({ status: 201, body: { id: 1 } });
  expect(await app.admin("POST", "/campaigns", OPERATIONS_CAMPAIGN)).toEqual({ status: 201, body: { id: 1 } });
  expect(await app.admin("POST", "/fields", OPERATIONS_FIELD)).toEqual({ status: 201, body: OPERATIONS_FIELD });
  return [`${OPERATIONS_LIST.programName}.${OPERATIONS_LIST.name}`, `${OPERATIONS_CAMPAIGN.programName}.${OPERATIONS_CAMPAIGN.name}`];
}

export interface MultipleLeadsJson {
  returnCount: number;
  remainingCount: number;
  /** "" at the end; the scripts print "<position>" for any other (opaque) value. */
  newStreamPosition: string;
  leadRecordList: LeadJson[] | null;
}

export interface LeadChangeRecordJson {
  id: number | null;
  marketoGUID?: string;
  activityDateTime: string;
  activityType: string;
  mktgAssetName: string | null;
  activityAttributes: Array<[string, string | null, string | null]> | null;
  campaign: string | null;
  mktPersonId: string;
  xsiNil?: string[];
}

export interface LeadChangesJson {
  returnCount: number;
  remainingCount: number;
  newStartPosition: ActivityJson["newStartPosition"];
  leadChangeRecordList: LeadChangeRecordJson[] | null;
}

export interface ListOperationJson {
  success: boolean;
  /** [keyType, keyValue, status] per leadStatus; null for a nil statusList. */
  statusList: Array<[string, string, boolean]> | null;
}

export interface FieldMetadataJson {
  name: string;
  description: string | null;
  displayName: string | null;
  sourceObject: string | null;
  dataType: string;
  size: number | null;
  isReadonly: boolean;
  isUpdateBlocked: boolean;
  isName: boolean | null;
  isPrimaryKey: boolean;
  isCustom: boolean;
  isDynamic: boolean;
  dynamicFieldRef: string | null;
  updatedAt: string;
  xsiNil?: string[];
}

export interface OperationsOutput {
  client: string;
  version: string;
  scenario: string;
  since: string;
  created: SyncStatusJson[];
  multipleByKeys: MultipleLeadsJson;
  multipleByUpdate: MultipleLeadsJson[];
  unsubscribe: SyncLeadJson;
  changes: LeadChangesJson;
  changesNext: LeadChangesJson;
  listAdd: ListOperationJson;
  listIsMember: ListOperationJson;
  listRemove: ListOperationJson;
  listIsMemberAfterRemove: ListOperationJson;
  duplicate: SyncStatusJson[];
  merge: { winningLeadId: number | null; losingLeadIdList: number[] | null; status: string; error: string | null; xsiNil?: string[] };
  getLeadAfterMerge: GetLeadJson;
  campaigns: { returnCount: number; campaignRecordList: Array<{ id: number; name: string; description: string }> | null };
  requestCampaign: boolean;
  getLeadAfterCampaign: GetLeadJson;
  describeLeadRecord: {
    name: string;
    description: string | null;
    isCustom: boolean;
    isVirtual: boolean;
    fieldList: FieldMetadataJson[];
    updatedAt: string;
    xsiNil?: string[];
  };
  listMObjects: string[];
  validatedResponses?: number;
  checkedResponses?: number;
}

function changeRecord(quirks: ClientQuirks, version: string, id: number, leadId: number, type: string, asset: string, attributes: Array<[string, string]>): LeadChangeRecordJson {
  const empty = (v: string): string | null => (v === "" ? quirks.emptyText : v);
  return {
    id,
    ...(version >= "3_0" ? { marketoGUID: String(id) } : {}),
    activityDateTime: expect.stringMatching(quirks.dateTime) as unknown as string,
    activityType: type,
    mktgAssetName: empty(asset),
    activityAttributes: attributes.map(([n, v]) => [n, null, empty(v)]),
    campaign: quirks.emptyText,
    mktPersonId: String(leadId),
    ...(quirks.xsiNil ? { xsiNil: [] } : {}),
  };
}

const newLeadChange = (quirks: ClientQuirks, version: string, id: number): LeadChangeRecordJson =>
  changeRecord(quirks, version, id, id, "New Lead", "", [
    ["Source Type", "Web service API"],
    ["Source Info", "Web service API"],
    ["Created Date", expect.stringMatching(/^\d{4}-\d\d-\d\d$/) as unknown as string],
    ["Lead ID", String(id)],
  ]);

/** Asserts every exact value of the operations scenario, run on an empty database after setUpOperations. */
export function expectOperationsScenario(out: OperationsOutput, version: string, quirks: ClientQuirks): void {
  expect(out.version).toBe(version);
  expect(out.scenario).toBe("operations");
  const sub = (v: "0" | "1") => attr("boolean", v);
  const ann = lead(quirks, 1, "ann@example.com", { Unsubscribed: sub("0"), FavoriteColor: attr("string", "blue"), FirstName: attr("string", "Ann") });
  const bob = lead(quirks, 2, "bob@example.com", { Unsubscribed: sub("0"), FirstName: attr("string", "Bob") });
  const carl = lead(quirks, 3, "carl@example.com", { Unsubscribed: sub("0"), FirstName: attr("string", "Carl") });
  const created = (leadId: number): SyncStatusJson => ({ leadId, status: "CREATED", error: null });

  expect(out.created).toEqual([created(1), created(2), created(3)]);
  // getMultipleLeads: the two keys' leads in one page, then one lead per page by update time.
  expect(out.multipleByKeys).toEqual({ returnCount: 2, remainingCount: 0, newStreamPosition: "", leadRecordList: [ann, carl] });
  expect(out.multipleByUpdate).toEqual([
    { returnCount: 1, remainingCount: 2, newStreamPosition: "<position>", leadRecordList: [ann] },
    { returnCount: 1, remainingCount: 1, newStreamPosition: "<position>", leadRecordList: [bob] },
    { returnCount: 1, remainingCount: 0, newStreamPosition: "", leadRecordList: [carl] },
  ]);
  expect(out.unsubscribe).toEqual({ leadId: 3, syncStatus: { leadId: 3, status: "UPDATED", error: null }, leadRecord: null });

  // getLeadChanges: two of the four rows from the date (echoed back), then the one
  // Change Data Value row after the offset.
  expect(out.since).toMatch(quirks.dateTime);
  expect(out.changes).toEqual({
    returnCount: 2,
    remainingCount: 2,
    newStartPosition: { ...NIL_POSITION, oldestCreatedAt: out.since, offset: expect.stringMatching(/\S/) as unknown as string },
    leadChangeRecordList: [newLeadChange(quirks, version, 1), newLeadChange(quirks, version, 2)],
  });
  for (const r of out.changes.leadChangeRecordList ?? []) {
    expect(r.activityAttributes?.[2][2]).toBe(r.activityDateTime.slice(0, 10));
    expect(Math.abs(Date.parse(r.activityDateTime) - Date.now())).toBeLessThan(10 * 60 * 1000);
  }
  expect(out.changesNext).toEqual({
    returnCount: 1,
    remainingCount: 0,
    newStartPosition: { ...NIL_POSITION, offset: expect.stringMatching(/\S/) as unknown as string },
    leadChangeRecordList: [
      changeRecord(quirks, version, 4, 3, "Change Data Value", "Unsubscribed", [
        ["Attribute Name", "Unsubscribed"],
        ["Old Value", "false"],
        ["New Value", "true"],
        ["Reason", "Web service API"],
        ["Source", "Web service API"],
        ["Lead ID", "3"],
      ]),
    ],
  });
  expect(out.changesNext.newStartPosition.offset).not.toBe(out.changes.newStartPosition.offset);

  // listOperation: ADDTOLIST and REMOVEFROMLIST answer a nil statusList; ISMEMBEROFLIST one status per key.
  expect(out.listAdd).toEqual({ success: true, statusList: null });
  expect(out.listIsMember).toEqual({ success: false, statusList: [["IDNUM", "1", true], ["IDNUM", "3", false]] });
  expect(out.listRemove).toEqual({ success: true, statusList: null });
  expect(out.listIsMemberAfterRemove).toEqual({ success: false, statusList: [["IDNUM", "1", true], ["IDNUM", "2", false]] });

  // mergeLeads: the duplicate (4) into ann (1); the winner keeps its values and gains the loser's City.
  expect(out.duplicate).toEqual([created(4)]);
  expect(out.merge).toEqual({ winningLeadId: 1, losingLeadIdList: [4], status: "MERGED", error: null, ...(quirks.xsiNil ? { xsiNil: ["error"] } : {}) });
  expect(out.getLeadAfterMerge).toEqual({
    count: 1,
    leadRecordList: [lead(quirks, 1, "ann@example.com", { Unsubscribed: sub("0"), City: attr("string", "Lyon"), FavoriteColor: attr("string", "blue"), FirstName: attr("string", "Ann") })],
  });

  // The campaign's Change Data Value step re-subscribed carl.
  expect(out.campaigns).toEqual({
    returnCount: 1,
    campaignRecordList: [{ id: 1, name: `${OPERATIONS_CAMPAIGN.programName}.${OPERATIONS_CAMPAIGN.name}`, description: OPERATIONS_CAMPAIGN.description }],
  });
  expect(out.requestCampaign).toBe(true);
  expect(out.getLeadAfterCampaign).toEqual({ count: 1, leadRecordList: [carl] });

  // describeMObject LeadRecord: Id, the standard catalogue, then the declared field (isCustom).
  const epoch = "1970-01-01T00:00:00+00:00";
  const field = (name: string, displayName: string, dataType: string, flags: { isCustom?: boolean; isPrimaryKey?: boolean; isReadonly?: boolean } = {}): FieldMetadataJson => ({
    name,
    description: null,
    displayName,
    sourceObject: null,
    dataType,
    size: null,
    isReadonly: flags.isReadonly ?? false,
    isUpdateBlocked: false,
    isName: null,
    isPrimaryKey: flags.isPrimaryKey ?? false,
    isCustom: flags.isCustom ?? false,
    isDynamic: false,
    dynamicFieldRef: null,
    updatedAt: epoch,
    ...(quirks.xsiNil ? { xsiNil: ["description", "sourceObject", "size", "isName", "dynamicFieldRef"] } : {}),
  });
  expect(out.describeLeadRecord).toEqual({
    name: "LeadRecord",
    description: null,
    isCustom: false,
    isVirtual: false,
    fieldList: [
      field("Id", "Id", "integer", { isPrimaryKey: true, isReadonly: true }),
      ...standardFields.map((f) => field(f.name, f.displayName, f.type)),
      field(OPERATIONS_FIELD.name, OPERATIONS_FIELD.displayName, OPERATIONS_FIELD.attrType, { isCustom: true }),
    ],
    updatedAt: epoch,
    ...(quirks.xsiNil ? { xsiNil: ["description"] } : {}),
  });
  expect(out.describeLeadRecord.fieldList.filter((f) => f.isCustom).map((f) => f.name)).toEqual([OPERATIONS_FIELD.name]);
  expect(out.listMObjects).toEqual(["LeadRecord", "ActivityRecord"]);
}

/** Runs a client script; resolves with its JSON, rejects with its stderr and exit code. */
export function runClientScript(command: string, script: string, baseUrl: string, version: string, scenario?: string, key?: string): Promise<ScenarioOutput>;
export function runClientScript(command: string, script: string, baseUrl: string, version: string, scenario: "operations", key: string, extra: string[]): Promise<OperationsOutput>;
export function runClientScript(
  command: string,
  script: string,
  baseUrl: string,
  version: string,
  scenario = "full",
  key = TEST_ENCRYPTION_KEY,
  extra: string[] = [],
): Promise<ScenarioOutput | OperationsOutput> {
  return new Promise((resolve, reject) => {
    execFile(command, [script, baseUrl, TEST_USER_ID, key, version, scenario, ...extra], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as { code?: unknown }).code;
        reject(new Error(`${command} ${script} ${version} ${scenario} failed (exit ${String(code)}${error.killed ? ", killed on timeout" : ""}):\n${stderr}${stdout}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as ScenarioOutput | OperationsOutput);
      } catch {
        reject(new Error(`${script} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}
