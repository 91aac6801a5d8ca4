/**
 * A Perl client, as Perl integrations called Marketo (issue 10): SOAP::Lite (Debian's
 * libsoap-lite-perl) without the WSDL, the AuthenticationHeader signed by hand, and SOAP::Lite's
 * own serialisation: `xsi:type` on every value, the header's children included, and
 * `soap:encodingStyle` on the Envelope. getLead, syncLead, syncMultipleLeads and two faults on 2_2.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { describeWithTool, findTool } from "../support/test-env";
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";

const SCRIPT = path.join(__dirname, "perl", "mktows_soaplite.pl");
const perl = findTool(["perl"], ["-MSOAP::Lite", "-e", "1"]);

function runPerl(url: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    execFile(perl as string, [SCRIPT, url, "2_2", TEST_USER_ID, TEST_ENCRYPTION_KEY], { timeout: 60000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`perl: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>));
    });
  });
}

describeWithTool("Perl SOAP::Lite (libsoap-lite-perl, no WSDL, header signed by hand)", perl !== undefined, "libsoap-lite-perl", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("syncs, reads, batches and gets Marketo's faults on 2_2", async () => {
    await app.reset();
    const out = await runPerl(app.url);
    expect(out[0]).toEqual({ op: "syncLead", leadId: expect.stringMatching(/^\d+$/), status: "CREATED" });
    expect(out[1]).toEqual({ op: "getLead", count: "1", email: "perl@example.com", attributes: { FirstName: "Larry", Unsubscribed: "1" } });
    // The second record is the first lead's address in another case: dedup updates that lead.
    expect(out[2]).toEqual({ op: "syncMultipleLeads", statuses: ["CREATED", "UPDATED"] });
    expect(out[3]).toEqual({ op: "getLead unknown", fault: { code: "20103", faultstring: "20103 - Lead not found" } });
    expect(out[4]).toEqual({ op: "getLead wrong key", fault: { code: "20014", faultstring: "20014 - Authentication failed" } });
    expect(String(out[5].client)).toMatch(/^perl v5\.\d+\.\d+ SOAP::Lite \d/);
    // The batch's update of the unsubscribed address kept it unsubscribed (it did not ask otherwise).
    const rows = await app.dataSource.query(`SELECT email, unsubscribed FROM email_status ORDER BY email`);
    expect(rows).toEqual([
      { email: "perl2@example.com", unsubscribed: false },
      { email: "perl@example.com", unsubscribed: true },
    ]);
  });
});
