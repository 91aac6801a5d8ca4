/**
 * The durable-unsubscribe rules D1–D8 of SPEC §2, driven through SOAP (node-soap) and the admin
 * API, and checked by what a user sees: getLead's Unsubscribed attribute, getLeadActivity's
 * Change Data Value rows (SPEC §3) and the admin email-status view with its history. After
 * every test the invariant of SPEC §2 is checked in SQL.
 */
import { flagRow, LeadDriver, Reasons, Sources } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";
import { useTestApp } from "../support/use-test-app";

const soapChange = (unsubscribed: boolean, leadId: number) => ({
  unsubscribed,
  channel: "soap",
  reason: Reasons.soap,
  source: Sources.soap,
  leadId,
});
const adminChange = (unsubscribed: boolean, leadId: number) => ({
  unsubscribed,
  channel: "adminApi",
  reason: Reasons.admin,
  source: Sources.admin,
  leadId,
});

describe("durable unsubscribe (SPEC §2) through SOAP", () => {
  let app: TestApp;
  let d: LeadDriver;
  useTestApp((started, driver) => {
    app = started;
    d = driver;
  });

  const count = async (sql: string, params: unknown[] = []): Promise<number> => {
    const rows = (await app.dataSource.query(sql, params)) as { n: string | number }[];
    return Number(rows[0].n);
  };
  const activityCount = () => count(`SELECT count(*) AS n FROM activity`);
  const historyCount = () => count(`SELECT count(*) AS n FROM email_status_history`);
  const created = async (email: string, unsubscribed?: boolean): Promise<number> => {
    const s = await d.syncLead({ email, ...(unsubscribed !== undefined ? { unsubscribed } : {}) });
    expect(s.status).toBe("CREATED");
    return s.leadId;
  };

  describe("D1: unsubscribe propagates", () => {
    it("D1: an unsubscribe through syncLead reaches every duplicate, in the same and in other partitions, and nobody else", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "ana@example.com" }, { email: "ana@example.com" }]);
      const l3 = await d.adminCreate({ email: "ANA@example.com", partition: "EMEA", createPartition: true });
      const [bystander] = await d.createDuplicates([{ email: "bob@example.com" }]);
      const [noEmail] = await d.createDuplicates([{ foreignId: "D1-NO-EMAIL" }]);

      expect(await d.syncLead({ id: l1, unsubscribed: true })).toEqual({ leadId: l1, status: "UPDATED" });

      const found = await d.getLeadsByEmail("ana@example.com");
      expect(found.map((l) => [l.id, l.attributes.Unsubscribed])).toEqual([
        [l1, "1"],
        [l2, "1"],
        [l3, "1"],
      ]);
      expect(await d.flagsOf([bystander, noEmail])).toEqual(["0", "0"]);

      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.soap, l1)]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.propagate, l2)]);
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.propagate, l3)]);
      expect(await d.flagRows(bystander)).toEqual([]);
      expect(await d.flagRows(noEmail)).toEqual([]);
      expect(await count(`SELECT count(*) AS n FROM activity WHERE type_name = 'Change Data Value'`)).toBe(3);

      const status = await d.emailStatus("ana@example.com");
      expect(status).toMatchObject({ key: "ana@example.com", unsubscribed: true });
      expect(await d.historyOf("ana@example.com")).toEqual([soapChange(true, l1)]);
      expect(await d.emailStatus("bob@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it("D1: a lead created unsubscribed in a new partition (admin API) unsubscribes the address; fan-out rows carry the Admin API source", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "cleo@example.com" }, { email: "Cleo@Example.com" }]);
      const l3 = await d.adminCreate({ email: "cleo@example.com", partition: "APAC", createPartition: true, unsubscribed: true });

      expect(await d.flagsOf([l1, l2, l3])).toEqual(["1", "1", "1"]);
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.admin, l3, Sources.admin)]);
      expect(await d.activitySummary(l3)).toEqual(["Change Data Value: Unsubscribed", "New Lead"]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.propagate, l1, Sources.admin)]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.propagate, l2, Sources.admin)]);
      expect(await d.historyOf("CLEO@example.com")).toEqual([adminChange(true, l3)]);
    });

    it("D1: only leads whose value changed get a row: a lead that already follows the unsubscribed address gets none on the next unsubscribe", async () => {
      const l1 = await created("dan@example.com", true);
      const l2 = await d.adminCreate({ email: "dan@example.com", partition: "EMEA", createPartition: true });
      const [l3] = await d.createDuplicates([{ email: "dan@example.com" }]);
      expect(await d.flagsOf([l1, l2, l3])).toEqual(["1", "1", "1"]);
      const before = await activityCount();

      await d.syncLead({ id: l3, unsubscribed: true });

      expect(await activityCount()).toBe(before);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.soap, l1)]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.reset, l2, Sources.admin)]);
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.reset, l3)]);
      expect(await d.historyOf("dan@example.com")).toEqual([soapChange(true, l1)]);
    });
  });

  describe("D2: re-subscribe propagates", () => {
    it("D2: Unsubscribed=false through syncLead re-subscribes the address and every duplicate in every partition", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "eli@example.com" }, { email: "eli@example.com" }]);
      const l3 = await d.adminCreate({ email: "Eli@example.com", partition: "APAC", createPartition: true });
      await d.syncLead({ id: l2, unsubscribed: true });
      expect(await d.flagsOf([l1, l2, l3])).toEqual(["1", "1", "1"]);

      expect(await d.syncLead({ id: l3, unsubscribed: "false" })).toEqual({ leadId: l3, status: "UPDATED" });

      expect(await d.flagsOf([l1, l2, l3])).toEqual(["0", "0", "0"]);
      expect(await d.flagRows(l3)).toEqual([flagRow(true, false, Reasons.soap, l3), flagRow(false, true, Reasons.propagate, l3)]);
      expect(await d.flagRows(l1)).toEqual([flagRow(true, false, Reasons.propagate, l1), flagRow(false, true, Reasons.propagate, l1)]);
      expect(await d.flagRows(l2)).toEqual([flagRow(true, false, Reasons.propagate, l2), flagRow(false, true, Reasons.soap, l2)]);
      const status = await d.emailStatus("eli@example.com");
      expect(status.unsubscribed).toBe(false);
      expect(await d.historyOf("eli@example.com")).toEqual([soapChange(false, l3), soapChange(true, l2)]);
    });

    it("D2: a re-subscribe through the admin API (PATCH) propagates with Admin API rows", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "fay@example.com", unsubscribed: true }, { email: "fay@example.com" }]);
      expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);

      const res = await app.admin("PATCH", `/leads/${l2}`, { unsubscribed: false });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: l2, unsubscribed: false });

      expect(await d.flagsOf([l1, l2])).toEqual(["0", "0"]);
      expect(await d.flagRows(l2)).toEqual([flagRow(true, false, Reasons.admin, l2, Sources.admin), flagRow(false, true, Reasons.reset, l2)]);
      expect(await d.flagRows(l1)).toEqual([flagRow(true, false, Reasons.propagate, l1, Sources.admin), flagRow(false, true, Reasons.soap, l1)]);
      expect(await d.historyOf("fay@example.com")).toEqual([adminChange(false, l2), soapChange(true, l1)]);
    });
  });

  describe("D3: creation checks the master", () => {
    it("D3: a lead created for an unsubscribed address starts unsubscribed even when the request says Unsubscribed=false", async () => {
      const l1 = await created("gia@example.com", true);

      const [l2] = await d.createDuplicates([{ email: "Gia@Example.com", unsubscribed: "false" }]);
      const l3 = await d.adminCreate({ email: "gia@example.com", partition: "EMEA", createPartition: true, unsubscribed: false });

      expect(await d.flagsOf([l1, l2, l3])).toEqual(["1", "1", "1"]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.reset, l2)]);
      expect(await d.activitySummary(l2)).toEqual(["Change Data Value: Unsubscribed", "New Lead"]);
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.reset, l3, Sources.admin)]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.soap, l1)]);
      expect(await d.historyOf("gia@example.com")).toEqual([soapChange(true, l1)]);
    });

    it("D3: a lead created with Unsubscribed=true unsubscribes its address (D1)", async () => {
      const l1 = await created("hal@example.com");
      const [l2] = await d.createDuplicates([{ email: "hal@example.com", unsubscribed: "1" }]);

      expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.soap, l2)]);
      expect(await d.activitySummary(l2)).toEqual(["Change Data Value: Unsubscribed", "New Lead"]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.propagate, l1)]);
      expect(await d.historyOf("hal@example.com")).toEqual([soapChange(true, l2)]);
    });

    it("D3: a lead created for an address that is not unsubscribed starts subscribed with only a New Lead row", async () => {
      const l1 = await created("ida@example.com");
      const l2 = await created("ivo@example.com", false);

      expect(await d.flagsOf([l1, l2])).toEqual(["0", "0"]);
      expect(await d.activitySummary(l1)).toEqual(["New Lead"]);
      expect(await d.activitySummary(l2)).toEqual(["New Lead"]);
      const [newLead] = await d.activities(l1);
      expect(newLead.attributes).toMatchObject({ "Source Type": Sources.soap, "Lead ID": String(l1) });
      expect(await historyCount()).toBe(0);
    });
  });

  describe("D4: delete and re-create", () => {
    it("D4: after every lead of an unsubscribed address is deleted, a re-created lead starts unsubscribed; history and Delete Lead rows stay", async () => {
      const l1 = await created("jon@example.com", true);
      const l2 = await d.adminCreate({ email: "jon@example.com", partition: "EMEA", createPartition: true });
      await d.adminDelete(l1);
      await d.adminDelete(l2);

      expect(await d.getLeadFaultCode("EMAIL", "jon@example.com")).toBe("20103");
      expect(await d.getLeadFaultCode("IDNUM", String(l1))).toBe("20103");
      const status = await d.emailStatus("jon@example.com");
      expect(status).toMatchObject({ email: "jon@example.com", key: "jon@example.com", unsubscribed: true });
      expect(await d.historyOf("jon@example.com")).toEqual([soapChange(true, l1)]);

      const deletes = (await app.dataSource.query(
        `SELECT lead_id, attributes FROM activity WHERE type_name = 'Delete Lead' AND type_id = 37 ORDER BY id`,
      )) as { lead_id: number; attributes: unknown }[];
      expect(deletes.map((r) => [Number(r.lead_id), r.attributes])).toEqual([
        [l1, [{ name: "Reason", value: Reasons.admin }, { name: "Source", value: Sources.admin }, { name: "Lead ID", value: String(l1) }]],
        [l2, [{ name: "Reason", value: Reasons.admin }, { name: "Source", value: Sources.admin }, { name: "Lead ID", value: String(l2) }]],
      ]);
      expect(await count(`SELECT count(*) AS n FROM activity WHERE lead_id = $1 AND type_name = 'New Lead'`, [l1])).toBe(1);

      const l3 = await created("JON@example.com", false);
      expect(l3).not.toBe(l1);
      expect(await d.unsubscribedOf(l3)).toBe("1");
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.reset, l3)]);
      expect(await d.historyOf("jon@example.com")).toEqual([soapChange(true, l1)]);
    });
  });

  describe("D5: email change", () => {
    it("D5: changing the email to an unsubscribed address B makes the lead unsubscribed (resetLeadEmailStatus)", async () => {
      const lA = await created("kai-a@example.com");
      const lB = await created("kai-b@example.com", true);

      expect(await d.syncLead({ id: lA, email: "kai-b@example.com" })).toEqual({ leadId: lA, status: "UPDATED" });

      const lead = await d.getLead(lA);
      expect([lead.email, lead.attributes.Unsubscribed]).toEqual(["kai-b@example.com", "1"]);
      expect(await d.flagRows(lA)).toEqual([flagRow(false, true, Reasons.reset, lA)]);
      const emailRow = (await d.activities(lA)).find((a) => a.asset === "Email Address");
      expect(emailRow?.attributes).toEqual({
        "Attribute Name": "Email Address",
        "Old Value": "kai-a@example.com",
        "New Value": "kai-b@example.com",
        Reason: Reasons.soap,
        Source: Sources.soap,
        "Lead ID": String(lA),
      });
      expect(await d.flagRows(lB)).toEqual([flagRow(false, true, Reasons.soap, lB)]);
      expect(await d.historyOf("kai-b@example.com")).toEqual([soapChange(true, lB)]);
      expect(await d.emailStatus("kai-a@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it.each([
      ["an address nobody has", false],
      ["an address with a subscribed lead", true],
    ])("D5: an unsubscribed lead whose email changes to %s becomes subscribed; its old address stays unsubscribed", async (_title, withLeadOnB) => {
      const [lA, lA2] = await d.createDuplicates([{ email: "lia-a@example.com", unsubscribed: true }, { email: "lia-a@example.com" }]);
      const lB = withLeadOnB ? await created("lia-b@example.com") : undefined;

      await d.syncLead({ id: lA, email: "lia-b@example.com" });

      expect(await d.unsubscribedOf(lA)).toBe("0");
      expect(await d.flagRows(lA)).toEqual([flagRow(true, false, Reasons.reset, lA), flagRow(false, true, Reasons.soap, lA)]);
      expect(await d.unsubscribedOf(lA2)).toBe("1");
      expect(await d.flagRows(lA2)).toEqual([flagRow(false, true, Reasons.reset, lA2)]);
      expect(await d.emailStatus("lia-a@example.com")).toMatchObject({ unsubscribed: true });
      expect(await d.historyOf("lia-a@example.com")).toEqual([soapChange(true, lA)]);
      expect(await d.emailStatus("lia-b@example.com")).toMatchObject({ unsubscribed: false, history: [] });
      if (lB !== undefined) {
        expect(await d.unsubscribedOf(lB)).toBe("0");
        expect(await d.flagRows(lB)).toEqual([]);
      }
    });

    it("D5: Unsubscribed=true sent with an email change unsubscribes B and its other leads (D1)", async () => {
      const lA = await created("max-a@example.com");
      const lB = await d.adminCreate({ email: "max-b@example.com", partition: "EMEA", createPartition: true });

      await d.syncLead({ id: lA, email: "MAX-B@example.com", unsubscribed: true });

      expect(await d.flagsOf([lA, lB])).toEqual(["1", "1"]);
      expect(await d.flagRows(lA)).toEqual([flagRow(false, true, Reasons.soap, lA)]);
      expect(await d.flagRows(lB)).toEqual([flagRow(false, true, Reasons.propagate, lB)]);
      expect(await d.historyOf("max-b@example.com")).toEqual([soapChange(true, lA)]);
      expect(await d.emailStatus("max-a@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it("D5: Unsubscribed=false sent with an email change does not re-subscribe B; a request of its own does", async () => {
      const lA = await created("nia-a@example.com");
      const lB = await created("nia-b@example.com", true);

      await d.syncLead({ id: lA, email: "nia-b@example.com", unsubscribed: false });

      expect(await d.flagsOf([lA, lB])).toEqual(["1", "1"]);
      expect(await d.flagRows(lA)).toEqual([flagRow(false, true, Reasons.reset, lA)]);
      expect(await d.flagRows(lB)).toEqual([flagRow(false, true, Reasons.soap, lB)]);
      expect(await d.historyOf("nia-b@example.com")).toEqual([soapChange(true, lB)]);

      await d.syncLead({ id: lA, unsubscribed: false });

      expect(await d.flagsOf([lA, lB])).toEqual(["0", "0"]);
      expect(await d.historyOf("nia-b@example.com")).toEqual([soapChange(false, lA), soapChange(true, lB)]);
      expect((await d.flagRows(lB))[0]).toEqual(flagRow(true, false, Reasons.propagate, lB));
    });

    it("D5: an unsubscribed lead without email that gets email B unsubscribes B (D1)", async () => {
      const s = await d.syncLead({ foreignId: "D5-NO-EMAIL", unsubscribed: true });
      expect(s.status).toBe("CREATED");
      const l0 = s.leadId;
      const lB = await created("ola@example.com");
      expect(await d.historyOf("ola@example.com")).toEqual([]);

      await d.syncLead({ id: l0, email: "ola@example.com" });

      const lead = await d.getLead(l0);
      expect([lead.email, lead.attributes.Unsubscribed]).toEqual(["ola@example.com", "1"]);
      expect(await d.flagRows(l0)).toEqual([flagRow(false, true, Reasons.soap, l0)]);
      expect(await d.unsubscribedOf(lB)).toBe("1");
      expect(await d.flagRows(lB)).toEqual([flagRow(false, true, Reasons.propagate, lB)]);
      expect(await d.historyOf("ola@example.com")).toEqual([soapChange(true, l0)]);
    });

    it("D5: a change of case or surrounding spaces only is not an email change (Unsubscribed=false with it re-subscribes, D2)", async () => {
      const l1 = await created("Pia@Example.com", true);

      await d.syncLead({ id: l1, email: "  pia@EXAMPLE.com ", unsubscribed: false });

      expect(await d.unsubscribedOf(l1)).toBe("0");
      expect(await d.flagRows(l1)).toEqual([flagRow(true, false, Reasons.soap, l1), flagRow(false, true, Reasons.soap, l1)]);
      expect((await d.getLeadsByEmail("pia@example.com")).map((l) => l.id)).toEqual([l1]);
      expect(await d.historyOf("PIA@example.com")).toEqual([soapChange(false, l1), soapChange(true, l1)]);
      expect(await count(`SELECT count(*) AS n FROM email_status`)).toBe(1);
    });

    it("D5: an empty or nil Email means not given, never a removal", async () => {
      const l1 = await created("quinn@example.com", true);

      await d.syncLead({ id: l1, email: "", fields: { FirstName: "Quinn" } });
      await d.syncLead({ id: l1, email: null, fields: { LastName: "Quill" } });
      const [batch] = await d.syncMultipleLeads([{ id: l1, email: "", fields: { City: "Oslo" } }], false);
      expect(batch).toEqual({ leadId: l1, status: "UPDATED" });

      const lead = await d.getLead(l1);
      expect(lead.email).toBe("quinn@example.com");
      expect(lead.attributes).toMatchObject({ Unsubscribed: "1", FirstName: "Quinn", LastName: "Quill", City: "Oslo" });
      expect(await d.activitySummary(l1)).toEqual([
        "Change Data Value: City",
        "Change Data Value: Last Name",
        "Change Data Value: First Name",
        "Change Data Value: Unsubscribed",
        "New Lead",
      ]);
      expect(await d.historyOf("quinn@example.com")).toEqual([soapChange(true, l1)]);
    });
  });

  describe("D6: no-ops are silent", () => {
    it("D6: setting Unsubscribed=true on an unsubscribed lead, through every path, writes no activity and no history", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "ray@example.com" }, { email: "ray@example.com" }]);
      await d.syncLead({ id: l1, unsubscribed: true });
      const activities = await activityCount();

      await d.syncLead({ id: l1, unsubscribed: "TRUE" });
      await d.syncLead({ id: l2, unsubscribed: "1" });
      await d.syncLead({ email: "ray@example.com", unsubscribed: true });
      await d.syncMultipleLeads([{ id: l2, unsubscribed: "true" }], true);
      expect((await app.admin("PATCH", `/leads/${l2}`, { unsubscribed: true })).status).toBe(200);

      expect(await activityCount()).toBe(activities);
      expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.soap, l1)]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.propagate, l2)]);
      expect(await d.historyOf("ray@example.com")).toEqual([soapChange(true, l1)]);
    });

    it("D6: Unsubscribed=false on a subscribed lead writes no activity and no history", async () => {
      const l1 = await created("sam@example.com");

      await d.syncLead({ id: l1, unsubscribed: false });
      await d.syncLead({ email: "sam@example.com", unsubscribed: "0" });

      expect(await d.unsubscribedOf(l1)).toBe("0");
      expect(await d.activitySummary(l1)).toEqual(["New Lead"]);
      expect(await d.emailStatus("sam@example.com")).toMatchObject({ unsubscribed: false, history: [] });
      expect(await historyCount()).toBe(0);
    });
  });

  describe("D7: scope", () => {
    it("D7: a lead without email has only its own flag", async () => {
      const [n1, n2] = await d.createDuplicates([{ foreignId: "D7-A" }, { foreignId: "D7-B" }]);
      const withEmail = await created("tia@example.com");

      await d.syncLead({ id: n1, unsubscribed: true });

      expect(await d.flagsOf([n1, n2, withEmail])).toEqual(["1", "0", "0"]);
      expect(await d.flagRows(n1)).toEqual([flagRow(false, true, Reasons.soap, n1)]);
      expect(await d.flagRows(n2)).toEqual([]);
      expect(await d.flagRows(withEmail)).toEqual([]);
      expect(await historyCount()).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM email_status WHERE unsubscribed`)).toBe(0);

      await d.syncLead({ id: n1, unsubscribed: false });

      expect(await d.flagsOf([n1, n2])).toEqual(["0", "0"]);
      expect(await d.flagRows(n1)).toEqual([flagRow(true, false, Reasons.soap, n1), flagRow(false, true, Reasons.soap, n1)]);
      expect(await historyCount()).toBe(0);
    });

    it("D7: addresses that differ only in case or surrounding spaces share one status", async () => {
      const [l1, l2] = await d.createDuplicates([{ email: "Uma.Lee@Example.COM" }, { email: " uma.lee@example.com " }]);
      const l3 = await d.adminCreate({ email: "UMA.LEE@EXAMPLE.COM", partition: "EMEA", createPartition: true });

      await d.syncLead({ id: l2, unsubscribed: true });

      expect((await d.getLeadsByEmail("uMa.LeE@example.com")).map((l) => [l.id, l.attributes.Unsubscribed])).toEqual([
        [l1, "1"],
        [l2, "1"],
        [l3, "1"],
      ]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.propagate, l1)]);
      expect(await d.flagRows(l3)).toEqual([flagRow(false, true, Reasons.propagate, l3)]);
      expect(await d.emailStatus("UMA.lee@example.com")).toMatchObject({ key: "uma.lee@example.com", unsubscribed: true });
      expect(await count(`SELECT count(*) AS n FROM email_status`)).toBe(1);
    });

    it("D7: the NFC and NFD spellings of an address share one status (key = lowercase(NFC(trim)))", async () => {
      const nfc = "Jos\u00e9@example.com";
      const nfd = "JOSE\u0301@example.com";
      expect(nfc.toLowerCase()).not.toBe(nfd.toLowerCase());
      const [l1, l2] = await d.createDuplicates([{ email: nfc }, { email: nfd }]);

      await d.syncLead({ id: l2, unsubscribed: true });

      expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.propagate, l1)]);
      expect((await d.getLeadsByEmail(nfd)).map((l) => l.id)).toEqual([l1, l2]);
      expect((await d.getLead(l2)).email).toBe(nfd);
      const status = await d.emailStatus(nfc);
      expect(status).toMatchObject({ key: "jos\u00e9@example.com", unsubscribed: true });
      expect(status.history.map((h) => h.leadId)).toEqual([l2]);
    });
  });

  describe("D8: bulk paths obey", () => {
    it("D8: a syncMultipleLeads batch with duplicates and an unsubscribe applies every rule; bad records FAIL and the others apply", async () => {
      const statuses = await d.syncMultipleLeads(
        [
          { email: "vic@example.com" },
          { email: "VIC@example.com", unsubscribed: true },
          { email: "vic@example.com", unsubscribed: "false" },
          { email: "wes@example.com", fields: { NoSuchField: "x" } },
          { email: "wes@example.com", unsubscribed: "maybe" },
          { email: "wes@example.com", fields: { FirstName: "Wes" } },
        ],
        false,
      );

      expect(statuses).toEqual([
        { leadId: 1, status: "CREATED" },
        { leadId: 2, status: "CREATED" },
        { leadId: 3, status: "CREATED" },
        { leadId: 0, status: "FAILED", error: "unknown fields for import: NoSuchField" },
        { leadId: 0, status: "FAILED", error: "Unsubscribed: 'maybe' is not a boolean" },
        { leadId: 4, status: "CREATED" },
      ]);
      expect(await d.flagsOf([1, 2, 3, 4])).toEqual(["1", "1", "1", "0"]);
      expect(await d.flagRows(1)).toEqual([flagRow(false, true, Reasons.propagate, 1)]);
      expect(await d.flagRows(2)).toEqual([flagRow(false, true, Reasons.soap, 2)]);
      expect(await d.flagRows(3)).toEqual([flagRow(false, true, Reasons.reset, 3)]);
      expect(await d.historyOf("vic@example.com")).toEqual([soapChange(true, 2)]);
      const wes = await d.getLeadsByEmail("wes@example.com");
      expect(wes.map((l) => [l.id, l.attributes.FirstName])).toEqual([[4, "Wes"]]);
      expect(await d.emailStatus("wes@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it("D8: with dedup enabled a batch updates matched leads in order, and its unsubscribes and re-subscribes propagate", async () => {
      const l1 = await created("xia@example.com");
      const l2 = await d.adminCreate({ email: "xia@example.com", partition: "EMEA", createPartition: true });

      const statuses = await d.syncMultipleLeads(
        [
          { email: "XIA@example.com", unsubscribed: "1" },
          { email: "yan@example.com" },
          { email: "Yan@example.com", unsubscribed: "true" },
          { email: "yan@example.com", unsubscribed: "0" },
        ],
        true,
      );

      expect(statuses).toEqual([
        { leadId: l2, status: "UPDATED" },
        { leadId: 3, status: "CREATED" },
        { leadId: 3, status: "UPDATED" },
        { leadId: 3, status: "UPDATED" },
      ]);
      expect(await d.flagsOf([l1, l2, 3])).toEqual(["1", "1", "0"]);
      expect(await d.flagRows(l2)).toEqual([flagRow(false, true, Reasons.soap, l2)]);
      expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.propagate, l1)]);
      expect(await d.flagRows(3)).toEqual([flagRow(true, false, Reasons.soap, 3), flagRow(false, true, Reasons.soap, 3)]);
      expect(await d.historyOf("xia@example.com")).toEqual([soapChange(true, l2)]);
      expect(await d.historyOf("yan@example.com")).toEqual([soapChange(false, 3), soapChange(true, 3)]);
    });
  });
});
