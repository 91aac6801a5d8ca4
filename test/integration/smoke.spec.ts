import { startTestApp, type TestApp } from "../support/test-app";

describe("the application", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("creates a lead through syncLead and reads it back through getLead", async () => {
    const client = await app.soapClient();
    const [created] = await client.syncLeadAsync({ leadRecord: { Email: "smoke@example.com" }, returnLead: false });
    expect(created.result.syncStatus.status).toBe("CREATED");
    const [found] = await client.getLeadAsync({ leadKey: { keyType: "EMAIL", keyValue: "SMOKE@example.com" } });
    expect(found.result.count).toBe(1);
    expect(found.result.leadRecordList.leadRecord[0].Id).toBe(created.result.leadId);
  });
});
