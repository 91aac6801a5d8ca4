/**
 * A real Python client: zeep (strict) on the served WSDL, every raw answer validated against
 * the WSDL's XSD by lxml (python/mktows_zeep.py). Needs Debian's python3-zeep and python3-lxml.
 */
import path from "node:path";
import { describeWithTool, findTool } from "../support/test-env";
import { startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from "../support/test-app";
import {
  ALL_VERSIONS,
  expectFullScenario,
  expectOperationsScenario,
  OPERATIONS_RESPONSES,
  OPERATIONS_VERSIONS,
  runClientScript,
  SCENARIO_RESPONSES,
  setUpOperations,
} from "./scenario";

const SCRIPT = path.join(__dirname, "python", "mktows_zeep.py");
// Debian's interpreter first: a pyenv `python3` on PATH usually has no zeep.
const python = findTool(["/usr/bin/python3", "python3"], ["-c", "import zeep, lxml"]);

describeWithTool("zeep client (python3-zeep, strict, XSD-validated)", python !== undefined, "python3-zeep and python3-lxml", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it.each(ALL_VERSIONS)("runs the whole scenario on %s with exact answers", async (version) => {
    await app.reset();
    const out = await runClientScript(python as string, SCRIPT, app.url, version);
    expect(out.client).toMatch(/^zeep \d/);
    expectFullScenario(out, version, { emptyText: null, dateTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, xsiNil: true });
    expect(out.validatedResponses).toBe(SCENARIO_RESPONSES);
  });

  it.each(OPERATIONS_VERSIONS)("runs getMultipleLeads, getLeadChanges, listOperation, mergeLeads, campaigns and MObject metadata on %s with exact answers", async (version) => {
    await app.reset();
    const extra = await setUpOperations(app);
    const out = await runClientScript(python as string, SCRIPT, app.url, version, "operations", TEST_ENCRYPTION_KEY, extra);
    expectOperationsScenario(out, version, { emptyText: null, dateTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, xsiNil: true });
    expect(out.validatedResponses).toBe(OPERATIONS_RESPONSES);
  });

  it("exits non-zero with the reason when the server answers a fault it did not expect", async () => {
    await expect(runClientScript(python as string, SCRIPT, app.url, "2_2", "smoke", "wrong-key")).rejects.toThrow(
      /exit 1[\s\S]*mktows_zeep: FAILED: syncLead: unexpected fault 20014 - Authentication failed/,
    );
  });
});
