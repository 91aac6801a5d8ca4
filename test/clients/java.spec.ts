/**
 * A real Java client, built like Marketo's own Java SDK: JAX-WS RI stubs generated at test time
 * by `wsimport -XadditionalHeaders` from the SERVED 2_7 WSDL, compiled with javac and run
 * (java/run.sh, java/MktowsJavaClient.java). JAX-WS is strict: schema element order, xsi:nil on
 * nillable elements, xsi:type on the LeadKeySelector, the fault detail. Needs Debian's `jaxws`
 * package (wsimport + libjaxws-java) and a JDK.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describeWithTool, findTool } from "../support/test-env";
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";

const RUN = path.join(__dirname, "java", "run.sh");
const wsimport = findTool(["wsimport"], ["-version"]);
const javac = findTool(["javac"], ["-version"]);
const available = wsimport !== undefined && javac !== undefined && existsSync("/usr/share/java/jaxws-rt.jar");

type Json = Record<string, unknown>;

function runJava(baseUrl: string, version: string, key = TEST_ENCRYPTION_KEY): Promise<Json> {
  return new Promise((resolve, reject) => {
    execFile("sh", [RUN, baseUrl, TEST_USER_ID, key, version], { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const failure = stderr
        .split("\n")
        .filter((l) => !/FactoryFinder|deprecated META-INF\/services/.test(l))
        .join("\n");
      if (error) {
        reject(new Error(`java client ${version} failed (exit ${String((error as { code?: unknown }).code)}${error.killed ? ", killed on timeout" : ""}):\n${failure}${stdout}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Json);
      } catch {
        reject(new Error(`java client printed no JSON:\n${stdout}\n${failure}`));
      }
    });
  });
}

describeWithTool("Java JAX-WS client (wsimport stubs from the served WSDL)", available, "the jaxws package (wsimport, libjaxws-java) and a JDK", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("runs the lead operations on 2_7 with exact answers", async () => {
    await app.reset();
    const list = await app.admin("POST", "/lists", { programName: "Prog", name: "L1" });
    expect(list.status).toBe(201);
    const out = await runJava(app.url, "2_7");
    expect(out.client).toMatch(/^jax-ws \d+/);
    expect(out.version).toBe("2_7");
    const attr = (name: string, type: string | null, value: string) => ({ name, type, value });
    const sub0 = attr("Unsubscribed", "boolean", "0");
    const lead = (Id: number, Email: string, attributes: ReturnType<typeof attr>[], foreign: [string, string] | null = null) => ({
      Id,
      Email,
      ForeignSysPersonId: foreign ? foreign[0] : null,
      ForeignSysType: foreign ? foreign[1] : null,
      leadAttributeList: attributes,
    });
    const ann = lead(1, "ann@example.com", [sub0, attr("Company", "string", "Acme"), attr("FirstName", "string", "Ann"), attr("LastName", "string", "Smith")]);
    const bob = lead(2, "bob@example.com", [sub0, attr("LeadScore", "integer", "7")], ["EXT-42", "CUSTOM"]);
    const carl = lead(3, "carl@example.com", [sub0, attr("FirstName", "string", "Carl")]);

    // syncLead: the created record; then a nil leadRecord (returnLead=false), seen as nil by JAXB.
    expect(out.syncLeadCreate).toEqual({
      leadId: 1,
      syncStatus: { leadId: 1, status: "CREATED", error: null },
      leadRecordPresence: "value",
      leadRecord: lead(1, "ann@example.com", [sub0, attr("Company", "string", "Acme"), attr("FirstName", "string", "Ann")]),
    });
    expect(out.syncLeadUpdate).toEqual({ leadId: 1, syncStatus: { leadId: 1, status: "UPDATED", error: null }, leadRecordPresence: "nil", leadRecord: null });
    expect(out.syncMultiple).toEqual([
      { leadId: 2, status: "CREATED", error: null },
      { leadId: 3, status: "CREATED", error: null },
    ]);
    expect(out.getLeadByEmail).toEqual({ count: 1, leadRecordList: [ann] });
    expect(out.getLeadById).toEqual({ count: 1, leadRecordList: [bob] });
    // LeadKeySelector (xsi:type): the unknown id 999 is left out.
    expect(out.getMultipleLeads).toEqual({ returnCount: 2, remainingCount: 0, newStreamPosition: "", leadRecordList: [ann, carl] });

    // getLeadActivity: newest first; nil personName read as nil.
    const when = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown as string;
    const activity = out.activity as { activityRecordList: Array<{ activityDateTime: string }> };
    expect(out.activity).toEqual({
      returnCount: 2,
      remainingCount: 0,
      newStartPosition: { latestCreatedAt: null, oldestCreatedAt: null, activityCreatedAt: null, offset: "1" },
      activityRecordList: [
        {
          id: 2,
          activityDateTime: when,
          activityType: "Change Data Value",
          mktgAssetName: "Last Name",
          activityAttributes: [
            attr("Attribute Name", null, "Last Name"),
            attr("Old Value", null, ""),
            attr("New Value", null, "Smith"),
            attr("Reason", null, "Web service API"),
            attr("Source", null, "Web service API"),
            attr("Lead ID", null, "1"),
          ],
          mktPersonId: "1",
          personNamePresence: "nil",
        },
        {
          id: 1,
          activityDateTime: when,
          activityType: "New Lead",
          mktgAssetName: "",
          activityAttributes: [
            attr("Source Type", null, "Web service API"),
            attr("Source Info", null, "Web service API"),
            attr("Created Date", null, activity.activityRecordList[1].activityDateTime.slice(0, 10)),
            attr("Lead ID", null, "1"),
          ],
          mktPersonId: "1",
          personNamePresence: "nil",
        },
      ],
    });
    for (const r of activity.activityRecordList) expect(Math.abs(Date.parse(r.activityDateTime) - Date.now())).toBeLessThan(10 * 60 * 1000);

    // getLeadChanges: the three "New Lead" rows (ids 1, 3, 4), two per page, then from the offset.
    expect(out.leadChanges).toEqual({
      returnCount: 2,
      remainingCount: 1,
      offsetPresent: true,
      leadChangeRecordList: [
        { id: 1, activityDateTime: when, activityType: "New Lead", mktPersonId: "1" },
        { id: 3, activityDateTime: when, activityType: "New Lead", mktPersonId: "2" },
      ],
    });
    expect(out.leadChangesNext).toEqual({ returnCount: 1, remainingCount: 0, leadChangeRecordList: [{ id: 4, activityType: "New Lead", mktPersonId: "3" }] });

    // listOperation: ADDTOLIST answers a nil statusList; ISMEMBEROFLIST one status per key.
    expect(out.listAdd).toEqual({ success: true, statusListPresence: "nil", statusList: null });
    expect(out.listIsMember).toEqual({
      success: false,
      statusListPresence: "value",
      statusList: [
        { keyType: "IDNUM", keyValue: "1", status: true },
        { keyType: "IDNUM", keyValue: "3", status: false },
      ],
    });

    // mergeLeads: lead 3 into lead 1; the winner keeps its values, the loser is gone.
    expect(out.merge).toEqual({ winningLeadId: 1, losingLeadIdList: [3], status: "MERGED", error: null, errorPresence: "nil" });
    expect(out.getLeadAfterMerge).toEqual({ count: 1, leadRecordList: [ann] });

    // Faults, read from the SOAPFaultException's detail.
    const fault = (email: string) => ({
      faultcodeNamespace: "http://schemas.xmlsoap.org/soap/envelope/",
      faultcodeLocal: "Client",
      faultstring: "20103 - Lead not found",
      name: "mktServiceException",
      message: `No lead found with EMAIL = ${email} (20103)`,
      code: "20103",
    });
    expect(out.faults).toEqual({ unknownEmail: fault("nobody@example.com"), mergedLoser: fault("CARL@example.com") });
  }, 300_000);

  it("exits non-zero with the reason when the server answers a fault it did not expect", async () => {
    await app.reset();
    await expect(runJava(app.url, "2_7", "wrong-key")).rejects.toThrow(/exit 1[\s\S]*mktows_java: FAILED: syncLead: unexpected fault 20014 - Authentication failed/);
  }, 300_000);
});
