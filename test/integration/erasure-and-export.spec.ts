/**
 * Erasure (SPEC §1) and the suppression export (SPEC §6), end to end: SOAP for leads, the
 * admin API for erasure and the export, SQL only to prove the plaintext is gone everywhere.
 */
import { Client } from "pg";
import { LeadDriver } from "../support/lead-driver";
import { startTestApp, type TestApp } from "../support/test-app";
import { standbyReads } from "../support/metrics";
import { describeWithTool, onRealPostgres, readingFromStandby, STANDBY_NEEDS, standbyUrl, testDatabaseUrl, withDatabaseOf } from "../support/test-env";
import { useTestApp } from "../support/use-test-app";

describe("erasure", () => {
  let app: TestApp;
  let leads: LeadDriver;
  useTestApp((started, driver) => {
    app = started;
    leads = driver;
  });

  it("deletes every lead with the address, blanks its plaintext everywhere, and keeps it unsubscribed", async () => {
    const [a, b] = await leads.createDuplicates([{ email: "Forget.Me@example.com" }, { email: "forget.me@example.com", fields: { FirstName: "Ann" } }]);
    const other = (await leads.syncLead({ email: "someone@example.com" })).leadId;
    // An Email Address change on another lead names the address in its Old Value.
    const [moved] = await leads.createDuplicates([{ email: "FORGET.ME@example.com" }]);
    await leads.syncLead({ id: moved, email: "new-home@example.com" });

    const erased = await app.admin("POST", "/erase", { email: " forget.me@EXAMPLE.com " });
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({ deletedLeads: 2, blankedActivities: 1 });

    expect(await leads.getLeadFaultCode("IDNUM", String(a))).toBe("20103");
    expect(await leads.getLeadFaultCode("IDNUM", String(b))).toBe("20103");
    expect(await leads.getLeadFaultCode("EMAIL", "forget.me@example.com")).toBe("20103");
    expect((await leads.getLead(other)).email).toBe("someone@example.com");

    const status = await app.admin("GET", "/email-status/forget.me@example.com");
    expect(status.body.email).toBe("");
    expect(status.body.unsubscribed).toBe(true);
    expect(status.body.history[0]).toMatchObject({ unsubscribed: true, channel: "adminApi", reason: "erased", source: "Admin API" });

    const mentions = await app.dataSource.query(
      `SELECT (SELECT count(*) FROM email_status WHERE lower(email) LIKE '%forget.me%')::int AS statuses,
              (SELECT count(*) FROM email_status_history WHERE lower(email) LIKE '%forget.me%')::int AS history,
              (SELECT count(*) FROM activity WHERE lower(attributes::text) LIKE '%forget.me%')::int AS activities,
              (SELECT count(*) FROM lead WHERE lower(email) LIKE '%forget.me%')::int AS leads`,
    );
    expect(mentions[0]).toEqual({ statuses: 0, history: 0, activities: 0, leads: 0 });
    const deleteRows = await app.dataSource.query(`SELECT lead_id FROM activity WHERE type_name = 'Delete Lead' ORDER BY lead_id`);
    expect(deleteRows.map((r: { lead_id: number }) => r.lead_id)).toEqual([a, b]);
  });

  it("an erased address that comes back starts unsubscribed (D3)", async () => {
    await leads.syncLead({ email: "back@example.com" });
    await app.admin("POST", "/erase", { email: "back@example.com" });
    const again = await leads.syncLead({ email: "Back@example.com", unsubscribed: false });
    expect(again.status).toBe("CREATED");
    expect(await leads.unsubscribedOf(again.leadId)).toBe("1");
    const rows = await leads.flagRows(again.leadId);
    expect(rows.map((r) => r.reason)).toEqual(["System flow action sysActionChangeDataValue resetLeadEmailStatus"]);
  });

  it("erasing an unknown address records it as unsubscribed", async () => {
    const res = await app.admin("POST", "/erase", { email: "never-seen@example.com" });
    expect(res.body).toEqual({ deletedLeads: 0, blankedActivities: 0 });
    const status = await app.admin("GET", "/email-status/never-seen@example.com");
    expect(status.body).toMatchObject({ email: "", unsubscribed: true });
  });

  it("refuses an empty address and changes nothing", async () => {
    await leads.syncLead({ email: "keep@example.com" });
    const res = await app.admin("POST", "/erase", { email: "   " });
    expect(res.status).toBe(400);
    const count = await app.dataSource.query(`SELECT count(*)::int AS n FROM email_status WHERE unsubscribed`);
    expect(count[0].n).toBe(0);
  });
});

describe("suppression export", () => suppressionExport({}));
describeWithTool("suppression export, read from the standby", onRealPostgres() && !!standbyUrl(), STANDBY_NEEDS, () => suppressionExport({ standby: true }));

/** With `standby`, the server reads the export from TEST_STANDBY_URL (issue 15). */
function suppressionExport(variant: { standby?: boolean }): void {
  let app: TestApp;
  let leads: LeadDriver;
  beforeAll(async () => {
    app = await startTestApp(variant.standby ? readingFromStandby(testDatabaseUrl()) : {});
    leads = new LeadDriver(app);
    await app.reset();
    await leads.syncLead({ email: "out1@example.com", unsubscribed: true });
    await leads.syncLead({ email: "in@example.com" });
    await leads.syncLead({ email: "out2, \"quoted\"@example.com", unsubscribed: true });
    await app.admin("POST", "/erase", { email: "gone@example.com" });
  });
  afterAll(async () => {
    await app.stop();
  });

  const get = async (query: string, accept?: string) => {
    const res = await fetch(`${app.url}/admin/api/email-status${query}`, {
      headers: { authorization: "Bearer test-admin-token-0123456789", ...(accept ? { accept } : {}) },
    });
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  };

  it("streams every unsubscribed address as JSON lines, without erased plaintext", async () => {
    const res = await get("?unsubscribed=true");
    expect(res.status).toBe(200);
    expect(res.type).toContain("application/x-ndjson");
    const rows = res.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { email: string; unsubscribed: boolean; channel: string });
    expect(rows.map((r) => r.email).sort()).toEqual(['out1@example.com', 'out2, "quoted"@example.com']);
    expect(rows.every((r) => r.unsubscribed && r.channel === "soap")).toBe(true);
  });

  it("answers CSV with quoting when asked", async () => {
    const res = await get("?unsubscribed=true&format=csv");
    expect(res.type).toContain("text/csv");
    const lines = res.text.trim().split("\r\n");
    expect(lines[0]).toBe("email,unsubscribed,reason,channel,changedAt");
    expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(['"out2', "out1@example.com"]);
    expect(res.text).toContain('"out2, ""quoted""@example.com",true');
  });

  it("is the export with ?unsubscribed=true alone (else the search), and needs the token", async () => {
    expect((await get("")).status).toBe(200);
    expect((await get("")).type).toContain("application/json");
    const res = await fetch(`${app.url}/admin/api/email-status?unsubscribed=true`);
    expect(res.status).toBe(401);
  });

  if (variant.standby) {
    it("was read from the standby, and has an unsubscribe committed just before the export", async () => {
      await leads.syncLead({ email: "just-now@example.com", unsubscribed: true });
      const res = await get("?unsubscribed=true");
      expect(res.text).toContain("just-now@example.com");
      const reads = await standbyReads(app.url);
      expect(reads.standby).toBeGreaterThanOrEqual(4);
      expect(reads.error + reads.lag + reads.paused).toBe(0);
    });

    it("has an unsubscribe that took its xid first but committed last, while the standby has not replayed it", async () => {
      // The unsubscribe takes its xid, then waits on a lock of the activity table; a later
      // transaction commits and reaches the standby; replay is paused; then the unsubscribe
      // commits. The standby's snapshot now looks as new as the primary's but lacks it.
      const primary = new Client({ connectionString: testDatabaseUrl() });
      const locker = new Client({ connectionString: testDatabaseUrl() });
      const standby = new Client({ connectionString: withDatabaseOf(standbyUrl() as string, testDatabaseUrl()) });
      await Promise.all([primary.connect(), locker.connect(), standby.connect()]);
      try {
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE activity IN ACCESS EXCLUSIVE MODE");
        const unsubscribe = leads.syncLead({ email: "late-commit@example.com", unsubscribed: true });
        for (let i = 0; ; i++) {
          const waiting = await primary.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()`);
          if (waiting.rowCount) break;
          if (i > 400) throw new Error("the unsubscribe never waited on the lock with an xid");
          await new Promise((r) => setTimeout(r, 25));
        }
        await primary.query("CREATE TABLE IF NOT EXISTS standby_probe (x int)");
        await primary.query("INSERT INTO standby_probe VALUES (1)");
        const lsn = String((await primary.query("SELECT pg_current_wal_insert_lsn()::text AS l")).rows[0].l);
        while (!(await standby.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn])).rows[0].ok) await new Promise((r) => setTimeout(r, 20));
        await standby.query("SELECT pg_wal_replay_pause()");
        while ((await standby.query("SELECT pg_get_wal_replay_pause_state() AS s")).rows[0].s !== "paused") await new Promise((r) => setTimeout(r, 20));
        await locker.query("COMMIT");
        await unsubscribe;
        const res = await get("?unsubscribed=true");
        expect(res.text).toContain("late-commit@example.com");
        expect((await standbyReads(app.url)).lag).toBeGreaterThanOrEqual(1);
      } finally {
        await locker.query("ROLLBACK").catch(() => undefined);
        await standby.query("SELECT pg_wal_replay_resume()").catch(() => undefined);
        await primary.query("DROP TABLE IF EXISTS standby_probe").catch(() => undefined);
        await Promise.all([primary.end(), locker.end(), standby.end()]);
      }
    });
  }
}
