/**
 * syncMultipleLeads as one transaction (D8, issue "Reliability and security"): a record that
 * fails inside the transaction (here: an Id that does not exist) is FAILED, the others apply
 * whole, and nothing the first, savepoint-free attempt wrote survives twice.
 */
import { LeadDriver, Reasons } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";
import { useTestApp } from "../support/use-test-app";

describe("syncMultipleLeads", () => {
  let app: TestApp;
  let leads: LeadDriver;
  useTestApp((started, driver) => {
    app = started;
    leads = driver;
  });

  it("D8: a record failing inside the batch is FAILED and the others apply exactly once", async () => {
    const [dup] = await leads.createDuplicates([{ email: "shared@example.com" }]);
    const statuses = await leads.syncMultipleLeads(
      [
        { email: "first@example.com", fields: { FirstName: "First" } },
        { id: 999999, email: "ghost@example.com" },
        { email: "Shared@example.com", unsubscribed: true },
        { email: "first@example.com", fields: { LastName: "Again" } },
      ],
      true,
    );
    // Ids are not contiguous: the rolled-back first attempt used sequence values.
    const created = statuses[0].leadId;
    expect(created).toBeGreaterThan(dup);
    expect(statuses.map((s) => [s.status, s.leadId])).toEqual([
      ["CREATED", created],
      ["FAILED", 999999],
      ["UPDATED", dup],
      ["UPDATED", created],
    ]);
    expect(statuses[1].error).toContain("999999");

    const counts = await app.dataSource.query(
      `SELECT (SELECT count(*)::int FROM lead) AS leads,
              (SELECT count(*)::int FROM activity WHERE type_name = 'New Lead') AS new_leads,
              (SELECT count(*)::int FROM email_status_history) AS history`,
    );
    expect(counts[0]).toEqual({ leads: 2, new_leads: 2, history: 1 });
    expect(await leads.getLeadFaultCode("EMAIL", "ghost@example.com")).toBe("20103");
    expect((await leads.getLead(created)).attributes).toMatchObject({ FirstName: "First", LastName: "Again" });
    expect(await leads.unsubscribedOf(dup)).toBe("1");
    expect((await leads.flagRows(dup)).map((r) => r.reason)).toEqual([Reasons.soap]);
  });

  it("a batch that repeats a new address creates one lead and updates it", async () => {
    const statuses = await leads.syncMultipleLeads(
      [{ email: "twice@example.com" }, { email: "TWICE@example.com", unsubscribed: true }],
      true,
    );
    expect(statuses.map((s) => s.status)).toEqual(["CREATED", "UPDATED"]);
    expect(statuses[0].leadId).toBe(statuses[1].leadId);
    expect((await leads.emailStatus("twice@example.com")).unsubscribed).toBe(true);
  });
});
