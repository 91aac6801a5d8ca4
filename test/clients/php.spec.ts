/**
 * A real PHP client: ext/soap SoapClient in WSDL mode on the served WSDL, with the
 * AuthenticationHeader as a SoapHeader, as Marketo's PHP samples did (php/mktows_client.php).
 * Needs Debian's php-cli and php-soap.
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

const SCRIPT = path.join(__dirname, "php", "mktows_client.php");
const php = findTool(["php"], ["-r", "exit(class_exists('SoapClient') ? 0 : 1);"]);

describeWithTool("PHP SoapClient (php-soap, WSDL mode)", php !== undefined, "php-cli and php-soap", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it.each(ALL_VERSIONS)("runs the whole scenario on %s with exact answers", async (version) => {
    await app.reset();
    const out = await runClientScript(php as string, SCRIPT, app.url, version);
    expect(out.client).toMatch(/^php \d+\.\d+\.\d+\S* SoapClient$/);
    // PHP reads an empty element as "" and a nil one as null; dateTimes stay the text sent.
    expectFullScenario(out, version, { emptyText: "", dateTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, xsiNil: false });
    expect(out.checkedResponses).toBe(SCENARIO_RESPONSES);
  });

  it.each(OPERATIONS_VERSIONS)("runs getMultipleLeads, getLeadChanges, listOperation, mergeLeads, campaigns and MObject metadata on %s with exact answers", async (version) => {
    await app.reset();
    const extra = await setUpOperations(app);
    const out = await runClientScript(php as string, SCRIPT, app.url, version, "operations", TEST_ENCRYPTION_KEY, extra);
    expectOperationsScenario(out, version, { emptyText: "", dateTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, xsiNil: false });
    expect(out.checkedResponses).toBe(OPERATIONS_RESPONSES);
  });

  it("exits non-zero with the reason when the server answers a fault it did not expect", async () => {
    await expect(runClientScript(php as string, SCRIPT, app.url, "2_2", "smoke", "wrong-key")).rejects.toThrow(
      /exit 1[\s\S]*mktows_client\.php: FAILED: syncLead: unexpected fault SOAP-ENV:Client 20014 - Authentication failed/,
    );
  });
});
