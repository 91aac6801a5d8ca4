/**
 * The rest of the lead surface (SPEC §5, reference §4–§6), through SOAP with node-soap's client
 * on the served 2_2 WSDL (getLeadChanges on 2_3, whose WSDL has activityNameFilter; 3_1 where
 * stated): getMultipleLeads with each selector and stream
 * positions, getLeadChanges (where pollers learn of unsubscribes and deletions), listOperation,
 * mergeLeads (SPEC D9), campaigns and flow steps (SPEC §4), custom fields, describeMObject and
 * listMObjects. After every test the invariant of SPEC §2 is checked in SQL.
 */
import type * as soap from "soap";
import { assertInvariant } from "../support/invariant";
import { waitForChangesVisible } from "../support/lead-changes";
import { flagRow, LeadDriver, Reasons, Sources } from "../support/lead-driver";
import { envelope, startTestApp, type TestApp } from "../support/test-app";

const MKTOWS_NS = "http://www.marketo.com/mktows/";
const FLOW_SOURCE = "Marketo Flow Action";
const campaignReason = (program: string, campaign: string) => `Changed by Smart Campaign ${program}.${campaign} action Change Data Value`;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
/** Text as node-soap read it; "" for an element it left out (nil) or read as empty. */
const str = (v: unknown): string => {
  if (v === undefined || v === null) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return Object.keys(v).length === 0 ? "" : JSON.stringify(v);
  return String(v);
};

/** `xsi:type` for the abstract LeadSelector, as node-soap writes it. */
const typed = (type: string) => ({ attributes: { xsi_type: { type, xmlns: MKTOWS_NS } } });
const keySelector = (keyType: string, values: string[]) => ({ ...typed("LeadKeySelector"), keyType, keyValues: { stringItem: values } });
const updatedSelector = (oldest: Date, latest?: Date) => ({
  ...typed("LastUpdateAtSelector"),
  ...(latest ? { latestUpdatedAt: latest.toISOString() } : {}),
  oldestUpdatedAt: oldest.toISOString(),
});
const listSelector = (by: { id?: number; name?: string }) => ({
  ...typed("StaticListSelector"),
  ...(by.name !== undefined ? { staticListName: by.name } : {}),
  ...(by.id !== undefined ? { staticListId: by.id } : {}),
});

interface LeadRecordView {
  id: number;
  email: string;
  attributes: Record<string, string>;
}
interface LeadsPage {
  returnCount: number;
  remainingCount: number;
  newStreamPosition: string;
  leads: LeadRecordView[];
}
interface ChangeRecordView {
  id: number;
  marketoGUID?: string;
  type: string;
  asset: string;
  leadId: number;
  campaign: string;
  attributes: Record<string, string>;
}
interface ChangesPage {
  returnCount: number;
  remainingCount: number;
  offset: string;
  oldestCreatedAt: string;
  records: ChangeRecordView[];
}

const leadRecordView = (r: unknown): LeadRecordView => ({
  id: Number(rec(r).Id),
  email: str(rec(r).Email),
  attributes: Object.fromEntries(list(rec(rec(r).leadAttributeList).attribute).map((a) => [str(rec(a).attrName), str(rec(a).attrValue)])),
});

describe("the lead surface through SOAP (node-soap client)", () => {
  let app: TestApp;
  let d: LeadDriver;
  let client: soap.Client;
  let client23: soap.Client;

  beforeAll(async () => {
    app = await startTestApp();
    d = new LeadDriver(app);
    client = await app.soapClient("2_2");
    client23 = await app.soapClient("2_3");
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    await app.reset();
  });
  afterEach(async () => {
    await assertInvariant(app.dataSource);
  });

  async function call(op: string, args: Rec, c: soap.Client = client): Promise<Rec> {
    const fn = (c as unknown as Record<string, (a: Rec) => Promise<[unknown]>>)[`${op}Async`];
    const [out] = await fn.call(c, args);
    return rec(out);
  }

  /** The Marketo fault code an operation answers with; fails when it answers without a fault. */
  async function faultOf(op: string, args: Rec, c: soap.Client = client): Promise<string> {
    try {
      await call(op, args, c);
    } catch (error) {
      const e = rec(error);
      expect(rec(e.response).status).toBe(500);
      const fault = rec(rec(rec(rec(e.root).Envelope).Body).Fault);
      expect(str(fault.faultcode)).toBe("SOAP-ENV:Client");
      return str(rec(rec(fault.detail).serviceException).code);
    }
    throw new Error(`${op} answered without a fault`);
  }

  /** The database's clock: leads and activities carry its times, not the test's. */
  async function dbNow(): Promise<Date> {
    const rows = (await app.dataSource.query(`SELECT clock_timestamp() AS t`)) as { t: Date }[];
    return new Date(rows[0].t);
  }
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A point in time strictly between what was written before and what is written after. */
  async function mark(): Promise<Date> {
    await pause(15);
    const t = await dbNow();
    await pause(15);
    return t;
  }

  async function createLeads(specs: { email?: string; fields?: Record<string, string>; unsubscribed?: boolean }[]): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < specs.length; i += 300) ids.push(...(await d.createDuplicates(specs.slice(i, i + 300))));
    return ids;
  }

  async function getMultipleLeads(args: Rec): Promise<LeadsPage> {
    const result = rec((await call("getMultipleLeads", args)).result);
    return {
      returnCount: Number(result.returnCount),
      remainingCount: Number(result.remainingCount),
      newStreamPosition: str(result.newStreamPosition),
      leads: list(rec(result.leadRecordList).leadRecord).map(leadRecordView),
    };
  }

  /** Pages through getMultipleLeads until newStreamPosition comes back empty; checks every page's counts. */
  async function allLeadPages(leadSelector: Rec, batchSize: number): Promise<LeadsPage[]> {
    const pages: LeadsPage[] = [];
    let position = "";
    for (;;) {
      const page = await getMultipleLeads({ leadSelector, ...(position ? { streamPosition: position } : {}), batchSize });
      pages.push(page);
      expect(page.returnCount).toBe(page.leads.length);
      expect(page.returnCount).toBeLessThanOrEqual(batchSize);
      if (page.remainingCount === 0) {
        expect(page.newStreamPosition).toBe("");
        return pages;
      }
      expect(page.newStreamPosition).not.toBe("");
      position = page.newStreamPosition;
      if (pages.length > 1000) throw new Error("getMultipleLeads does not end");
    }
  }

  async function getLeadChanges(args: Rec, c: soap.Client = client23): Promise<ChangesPage> {
    await waitForChangesVisible(app.dataSource);
    const result = rec((await call("getLeadChanges", args, c)).result);
    const position = rec(result.newStartPosition);
    return {
      returnCount: Number(result.returnCount),
      remainingCount: Number(result.remainingCount),
      offset: str(position.offset),
      oldestCreatedAt: str(position.oldestCreatedAt),
      records: list(rec(result.leadChangeRecordList).leadChangeRecord).map((x) => {
        const r = rec(x);
        return {
          id: Number(r.id),
          ...(r.marketoGUID !== undefined ? { marketoGUID: str(r.marketoGUID) } : {}),
          type: str(r.activityType),
          asset: str(r.mktgAssetName),
          leadId: Number(r.mktPersonId),
          campaign: str(r.campaign),
          attributes: Object.fromEntries(list(rec(r.activityAttributes).attribute).map((a) => [str(rec(a).attrName), str(rec(a).attrValue)])),
        };
      }),
    };
  }

  /** Every change from `since` (optionally filtered), paging by offset; checks each page's counts. */
  async function allChanges(since: Date, extra: Rec = {}, batchSize = 1000): Promise<ChangeRecordView[]> {
    const out: ChangeRecordView[] = [];
    let page = await getLeadChanges({ startPosition: { oldestCreatedAt: since.toISOString() }, ...extra, batchSize });
    for (let i = 0; ; i++) {
      expect(page.returnCount).toBe(page.records.length);
      out.push(...page.records);
      if (page.remainingCount === 0) return out;
      expect(page.offset).not.toBe("");
      // Sent back whole, as generated clients do: the oldestCreatedAt echo and the offset.
      page = await getLeadChanges({ startPosition: { oldestCreatedAt: page.oldestCreatedAt, offset: page.offset }, ...extra, batchSize });
      if (i > 1000) throw new Error("getLeadChanges does not end");
    }
  }

  async function activityIds(sql = `SELECT id FROM activity ORDER BY id`): Promise<number[]> {
    return ((await app.dataSource.query(sql)) as { id: number | string }[]).map((r) => Number(r.id));
  }

  async function createList(programName: string, name: string): Promise<number> {
    const res = await app.admin("POST", "/lists", { programName, name });
    expect(res.status).toBe(201);
    return Number(res.body.id);
  }

  const idKeys = (ids: number[]) => ({ leadKey: ids.map((id) => ({ keyType: "IDNUM", keyValue: String(id) })) });

  async function listOperation(op: string, listName: string, ids: number[], strict?: boolean): Promise<{ success: string; statuses: [string, string][] }> {
    const result = rec(
      (
        await call("listOperation", {
          listOperation: op,
          listKey: { keyType: "MKTOLISTNAME", keyValue: listName },
          listMemberList: idKeys(ids),
          ...(strict !== undefined ? { strict } : {}),
        })
      ).result,
    );
    return {
      success: str(result.success),
      statuses: list(rec(result.statusList).leadStatus).map((s) => [str(rec(rec(s).leadKey).keyValue), str(rec(s).status)]),
    };
  }

  // ---------------------------------------------------------------------------------------
  describe("getMultipleLeads", () => {
    it("LeadKeySelector IDNUM returns the leads with those ids (unknown ids are skipped), then an empty newStreamPosition", async () => {
      const [a, b, c] = await createLeads([
        { email: "a@example.com", fields: { FirstName: "Ann" } },
        { email: "b@example.com" },
        { email: "c@example.com" },
      ]);
      const page = await getMultipleLeads({ leadSelector: keySelector("IDNUM", [String(c), "999999", String(a)]), batchSize: 100 });
      expect(page).toMatchObject({ returnCount: 2, remainingCount: 0, newStreamPosition: "" });
      expect(page.leads.map((l) => [l.id, l.email])).toEqual([
        [a, "a@example.com"],
        [c, "c@example.com"],
      ]);
      expect(page.leads[0].attributes).toMatchObject({ FirstName: "Ann", Unsubscribed: "0" });
      expect(page.leads.map((l) => l.id)).not.toContain(b);
    });

    it("LeadKeySelector EMAIL matches the key (any case) and returns every lead with the address", async () => {
      const [a1, , a2] = await createLeads([{ email: "Dup@Example.com" }, { email: "other@example.com" }, { email: "dup@example.com" }]);
      const page = await getMultipleLeads({ leadSelector: keySelector("EMAIL", ["DUP@example.COM", "nobody@example.com"]) });
      expect(page.leads.map((l) => l.id)).toEqual([a1, a2]);
      expect(page.remainingCount).toBe(0);
    });

    it("LeadKeySelector with more than 100 keys ignores the keys beyond the 100th (no fault)", async () => {
      const ids = await createLeads(Array.from({ length: 105 }, (_, i) => ({ email: `k${i}@example.com` })));
      const keys = [...ids].reverse().map(String); // the first 100 keys are the 100 highest ids
      const page = await getMultipleLeads({ leadSelector: keySelector("IDNUM", keys), batchSize: 1000 });
      expect(page.returnCount).toBe(100);
      expect(page.remainingCount).toBe(0);
      expect(page.leads.map((l) => l.id)).toEqual([...ids].slice(5));
    });

    it("LastUpdateAtSelector returns the leads updated inside [oldestUpdatedAt, latestUpdatedAt]", async () => {
      const [before] = await createLeads([{ email: "before@example.com" }]);
      const t0 = await mark();
      const [inside1, inside2] = await createLeads([{ email: "in1@example.com" }, { email: "in2@example.com" }]);
      const t1 = await mark();
      const [after] = await createLeads([{ email: "after@example.com" }]);

      const window = await getMultipleLeads({ leadSelector: updatedSelector(t0, t1) });
      expect(window.leads.map((l) => l.id)).toEqual([inside1, inside2]);

      // No latestUpdatedAt: up to now.
      const open = await getMultipleLeads({ leadSelector: updatedSelector(t0) });
      expect(open.leads.map((l) => l.id).sort((x, y) => x - y)).toEqual([inside1, inside2, after]);

      // An update moves a lead into the window of its new update time.
      const t2 = await mark();
      await d.syncLead({ id: before, fields: { Company: "Moved" } });
      const moved = await getMultipleLeads({ leadSelector: updatedSelector(t2) });
      expect(moved.leads.map((l) => l.id)).toEqual([before]);
      expect(moved.leads[0].attributes.Company).toBe("Moved");
    });

    it("LastUpdateAtSelector spanning more than 30 days is fault 20022; exactly 30 days is accepted", async () => {
      await createLeads([{ email: "span@example.com" }]);
      const now = await dbNow();
      const day = 86400000;
      expect(await faultOf("getMultipleLeads", { leadSelector: updatedSelector(new Date(now.getTime() - 31 * day)) })).toBe("20022");
      const oldest = new Date(now.getTime() - 40 * day);
      expect(await faultOf("getMultipleLeads", { leadSelector: updatedSelector(oldest, new Date(oldest.getTime() + 30 * day + 1000)) })).toBe("20022");
      const ok = await getMultipleLeads({ leadSelector: updatedSelector(new Date(now.getTime() - 29 * day), new Date(now.getTime() + day)) });
      expect(ok.returnCount).toBe(1);
      const exactly = await getMultipleLeads({ leadSelector: updatedSelector(oldest, new Date(oldest.getTime() + 30 * day)) });
      expect(exactly.returnCount).toBe(0);
    });

    it("StaticListSelector by staticListId and by 'Program.List' name returns the list's members", async () => {
      const [m1, , m2] = await createLeads([{ email: "m1@example.com" }, { email: "x@example.com" }, { email: "m2@example.com" }]);
      const listId = await createList("Webinar", "Attendees");
      await createList("Other", "Attendees"); // same list name in another program
      expect((await listOperation("ADDTOLIST", "Webinar.Attendees", [m2, m1])).success).toBe("true");

      const byId = await getMultipleLeads({ leadSelector: listSelector({ id: listId }) });
      expect(byId.leads.map((l) => l.id)).toEqual([m1, m2]);
      const byName = await getMultipleLeads({ leadSelector: listSelector({ name: "Webinar.Attendees" }) });
      expect(byName.leads.map((l) => l.id)).toEqual([m1, m2]);
      const otherProgram = await getMultipleLeads({ leadSelector: listSelector({ name: "Other.Attendees" }) });
      expect(otherProgram.returnCount).toBe(0);

      expect(await faultOf("getMultipleLeads", { leadSelector: listSelector({ name: "Webinar.Nope" }) })).toBe("20111");
      expect(await faultOf("getMultipleLeads", { leadSelector: listSelector({ id: 987654 }) })).toBe("20111");
    });

    it("includeAttributes limits leadAttributeList to the named fields", async () => {
      const [id] = await createLeads([{ email: "inc@example.com", fields: { FirstName: "Ina", LastName: "Clude", Company: "Acme" } }]);
      const all = await getMultipleLeads({ leadSelector: keySelector("IDNUM", [String(id)]) });
      expect(all.leads[0].attributes).toEqual({ FirstName: "Ina", LastName: "Clude", Company: "Acme", Unsubscribed: "0" });
      const some = await getMultipleLeads({ leadSelector: keySelector("IDNUM", [String(id)]), includeAttributes: { stringItem: ["FirstName", "Company"] } });
      expect(some.leads.map((l) => [l.id, l.email])).toEqual([[id, "inc@example.com"]]);
      expect(some.leads[0].attributes).toEqual({ FirstName: "Ina", Company: "Acme" });
    });

    it("batchSize pages every selector through newStreamPosition until it comes back empty, each lead once", async () => {
      const t0 = await mark();
      const ids = await createLeads(Array.from({ length: 25 }, (_, i) => ({ email: `page${i}@example.com` })));
      const listId = await createList("P", "Paged");
      await listOperation("ADDTOLIST", "P.Paged", ids);

      for (const selector of [updatedSelector(t0), keySelector("IDNUM", ids.map(String)), listSelector({ id: listId })]) {
        const pages = await allLeadPages(selector, 10);
        expect(pages.map((p) => [p.returnCount, p.remainingCount])).toEqual([
          [10, 15],
          [10, 5],
          [5, 0],
        ]);
        const seen = pages.flatMap((p) => p.leads.map((l) => l.id));
        expect(seen.sort((a, b) => a - b)).toEqual(ids);
      }
    });

    it("a streamPosition this server did not hand out is fault 20122", async () => {
      const t0 = await mark();
      await createLeads([{ email: "s1@example.com" }, { email: "s2@example.com" }]);
      const first = await getMultipleLeads({ leadSelector: updatedSelector(t0), batchSize: 1 });
      expect(first.newStreamPosition).not.toBe("");
      const tampered = first.newStreamPosition.slice(0, -4) + (first.newStreamPosition.endsWith("AAAA") ? "BBBB" : "AAAA");
      for (const bad of ["garbage", "id:1089965:to:1392234668:tl:1392321068:os:2:rc:24", tampered, "L1.e30"]) {
        expect(await faultOf("getMultipleLeads", { leadSelector: updatedSelector(t0), streamPosition: bad })).toBe("20122");
      }
      const second = await getMultipleLeads({ leadSelector: updatedSelector(t0), streamPosition: first.newStreamPosition, batchSize: 1 });
      expect(second).toMatchObject({ returnCount: 1, remainingCount: 0, newStreamPosition: "" });
      expect(second.leads[0].id).not.toBe(first.leads[0].id);
    });
  });

  // ---------------------------------------------------------------------------------------
  describe("getLeadChanges", () => {
    it("pages every activity row from oldestCreatedAt, then by offset, each once; rows before oldestCreatedAt are left out", async () => {
      await createLeads([{ email: "early@example.com" }]);
      const t0 = await mark();
      const ids = await createLeads(Array.from({ length: 6 }, (_, i) => ({ email: `ch${i}@example.com` })));
      await d.syncLead({ id: ids[0], unsubscribed: true });
      await d.syncLead({ id: ids[1], fields: { Company: "Changed" } });
      const expected = await activityIds(`SELECT id FROM activity WHERE created_at >= '${t0.toISOString()}' ORDER BY id`);
      expect(expected.length).toBe(8);

      const first = await getLeadChanges({ startPosition: { oldestCreatedAt: t0.toISOString() }, batchSize: 3 });
      expect(first).toMatchObject({ returnCount: 3, remainingCount: 5 });
      expect(first.offset).not.toBe("");
      expect(new Date(first.oldestCreatedAt).getTime()).toBe(new Date(t0.toISOString().replace(/\.\d+Z$/, "Z")).getTime());
      const seen = first.records.map((r) => r.id);
      let page = first;
      while (page.remainingCount > 0) {
        page = await getLeadChanges({ startPosition: { offset: page.offset }, batchSize: 3 });
        seen.push(...page.records.map((r) => r.id));
      }
      expect(seen).toHaveLength(expected.length);
      expect([...seen].sort((a, b) => a - b)).toEqual(expected);
      // At the end the offset stays where it was: nothing new, nothing repeated.
      const after = await getLeadChanges({ startPosition: { offset: page.offset }, batchSize: 3 });
      expect(after).toMatchObject({ returnCount: 0, remainingCount: 0, offset: page.offset });
      // A new row shows up from that offset.
      await d.syncLead({ id: ids[2], fields: { Company: "Later" } });
      const later = await getLeadChanges({ startPosition: { offset: page.offset }, batchSize: 3 });
      expect(later.records.map((r) => [r.type, r.asset, r.leadId])).toEqual([["Change Data Value", "Company Name", ids[2]]]);
    });

    it("activityNameFilter takes display names: Change Data Value rows only", async () => {
      const t0 = await mark();
      const [a] = await createLeads([{ email: "f@example.com" }]);
      await d.syncLead({ id: a, fields: { FirstName: "Fay" } });
      const rows = await allChanges(t0, { activityNameFilter: { stringItem: ["Change Data Value"] } });
      expect(rows.map((r) => [r.type, r.asset, r.leadId])).toEqual([["Change Data Value", "First Name", a]]);
      expect(rows[0].attributes).toMatchObject({ "Attribute Name": "First Name", "Old Value": "", "New Value": "Fay", Reason: Reasons.soap, Source: Sources.soap, "Lead ID": String(a) });
      const newLeads = await allChanges(t0, { activityNameFilter: { stringItem: ["New Lead"] } });
      expect(newLeads.map((r) => [r.type, r.leadId])).toEqual([["New Lead", a]]);
    });

    it("a LeadKeySelector limits the rows to those leads; more than 100 keys is fault 20110", async () => {
      const t0 = await mark();
      const [a, b] = await createLeads([{ email: "ka@example.com" }, { email: "kb@example.com" }]);
      const rows = await allChanges(t0, { leadSelector: keySelector("IDNUM", [String(b)]) });
      expect(rows.map((r) => r.leadId)).toEqual([b]);
      expect(rows.map((r) => r.leadId)).not.toContain(a);
      const keys = Array.from({ length: 101 }, (_, i) => String(i + 1));
      expect(await faultOf("getLeadChanges", { startPosition: { oldestCreatedAt: t0.toISOString() }, leadSelector: keySelector("IDNUM", keys) })).toBe("20110");
    });

    it("a propagated unsubscribe appears as Change Data Value rows (updateLeadEmailStatus on the duplicates); an admin delete as Delete Lead", async () => {
      const [l1, l2, l3] = await createLeads([{ email: "poll@example.com" }, { email: "Poll@example.com" }, { email: "poll@example.com" }]);
      const t0 = await mark();
      await d.syncLead({ id: l1, unsubscribed: true });
      const rows = await allChanges(t0);
      const byLead = (id: number) => rows.filter((r) => r.leadId === id).map((r) => ({ type: r.type, asset: r.asset, ...r.attributes }));
      expect(rows).toHaveLength(3);
      const row = (leadId: number, reason: string) => [
        {
          type: "Change Data Value",
          asset: "Unsubscribed",
          "Attribute Name": "Unsubscribed",
          "Old Value": "false",
          "New Value": "true",
          Reason: reason,
          Source: Sources.soap,
          "Lead ID": String(leadId),
        },
      ];
      expect(byLead(l1)).toEqual(row(l1, Reasons.soap));
      expect(byLead(l2)).toEqual(row(l2, Reasons.propagate));
      expect(byLead(l3)).toEqual(row(l3, Reasons.propagate));

      const last = await getLeadChanges({ startPosition: { oldestCreatedAt: t0.toISOString() }, batchSize: 1000 });
      await d.adminDelete(l2);
      const next = await getLeadChanges({ startPosition: { offset: last.offset } });
      expect(next.records.map((r) => [r.type, r.leadId])).toEqual([["Delete Lead", l2]]);
      expect(next.records[0].attributes["Lead ID"]).toBe(String(l2));
    });

    it("the 3_1 path returns marketoGUID after id in every record", async () => {
      const client31 = await app.soapClient("3_1");
      const t0 = await mark();
      const [a] = await createLeads([{ email: "guid@example.com" }]);
      await d.syncLead({ id: a, fields: { City: "Oslo" } });
      const page = await getLeadChanges({ startPosition: { oldestCreatedAt: t0.toISOString() }, batchSize: 10 }, client31);
      expect(page.records).toHaveLength(2);
      for (const r of page.records) {
        expect(r.marketoGUID).toEqual(expect.stringMatching(/\S/));
      }
      expect(new Set(page.records.map((r) => r.marketoGUID)).size).toBe(2);
      // 2_2 has no marketoGUID.
      const page22 = await getLeadChanges({ startPosition: { oldestCreatedAt: t0.toISOString() }, batchSize: 10 });
      expect(page22.records.map((r) => r.marketoGUID)).toEqual([undefined, undefined]);
      const raw = await app.postSoap(
        "3_1",
        envelope(
          `<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>${t0.toISOString()}</oldestCreatedAt></startPosition><batchSize>1</batchSize></ns1:paramsGetLeadChanges>`,
        ),
      );
      expect(raw.status).toBe(200);
      expect(raw.body).toMatch(/<leadChangeRecord><id>\d+<\/id><marketoGUID>[^<]+<\/marketoGUID><activityDateTime>/);
    });
  });

  // ---------------------------------------------------------------------------------------
  describe("listOperation", () => {
    it("ADDTOLIST, ISMEMBEROFLIST and REMOVEFROMLIST; a non-member answers success false with its statusList", async () => {
      const [a, b, c] = await createLeads([{ email: "la@example.com" }, { email: "lb@example.com" }, { email: "lc@example.com" }]);
      await createList("Prog", "Members");

      expect(await listOperation("ADDTOLIST", "Prog.Members", [a, b])).toEqual({ success: "true", statuses: [] });
      expect(await listOperation("ISMEMBEROFLIST", "Prog.Members", [a, b, c])).toEqual({
        success: "false",
        statuses: [
          [String(a), "true"],
          [String(b), "true"],
          [String(c), "false"],
        ],
      });
      expect(await listOperation("ISMEMBEROFLIST", "Prog.Members", [a, b])).toEqual({
        success: "true",
        statuses: [
          [String(a), "true"],
          [String(b), "true"],
        ],
      });
      expect(await listOperation("REMOVEFROMLIST", "Prog.Members", [a, c], false)).toEqual({ success: "false", statuses: [[String(c), "false"]] });
      expect((await listOperation("ISMEMBEROFLIST", "Prog.Members", [a, b])).statuses).toEqual([
        [String(a), "false"],
        [String(b), "true"],
      ]);
      expect(await listOperation("REMOVEFROMLIST", "Prog.Members", [b])).toEqual({ success: "true", statuses: [] });
      expect((await listOperation("ISMEMBEROFLIST", "Prog.Members", [b])).success).toBe("false");

      // The raw answers: statusList nil on success, present on failure.
      expect(await d.activitySummary(a)).toEqual(["Remove from List", "Add to List", "New Lead"]);
    });

    it("strict mode changes nothing when any lead fails", async () => {
      const [a, b] = await createLeads([{ email: "sa@example.com" }, { email: "sb@example.com" }]);
      await createList("Prog", "Strict");
      const activitiesBefore = await activityIds();

      expect(await listOperation("ADDTOLIST", "Prog.Strict", [a, 999999], true)).toEqual({ success: "false", statuses: [["999999", "false"]] });
      expect((await listOperation("ISMEMBEROFLIST", "Prog.Strict", [a])).statuses).toEqual([[String(a), "false"]]);
      expect(await activityIds()).toEqual(activitiesBefore);

      await listOperation("ADDTOLIST", "Prog.Strict", [a]);
      expect(await listOperation("REMOVEFROMLIST", "Prog.Strict", [a, b], true)).toEqual({ success: "false", statuses: [[String(b), "false"]] });
      expect((await listOperation("ISMEMBEROFLIST", "Prog.Strict", [a])).statuses).toEqual([[String(a), "true"]]);

      // Non-strict does what it can.
      expect(await listOperation("ADDTOLIST", "Prog.Strict", [b, 999999], false)).toEqual({ success: "false", statuses: [["999999", "false"]] });
      expect((await listOperation("ISMEMBEROFLIST", "Prog.Strict", [a, b])).success).toBe("true");
    });

    it("an unknown list is fault 20111", async () => {
      const [a] = await createLeads([{ email: "ul@example.com" }]);
      await createList("Prog", "Known");
      for (const name of ["Prog.Unknown", "Unknown", "Other.Known"]) {
        expect(await faultOf("listOperation", { listOperation: "ADDTOLIST", listKey: { keyType: "MKTOLISTNAME", keyValue: name }, listMemberList: idKeys([a]) })).toBe("20111");
      }
      // A bare list name finds the list in whatever program it is.
      expect((await listOperation("ADDTOLIST", "Known", [a])).success).toBe("true");
    });
  });

  // ---------------------------------------------------------------------------------------
  describe("mergeLeads (SPEC D9)", () => {
    const attr = (attrName: string, attrValue: string | number) => ({ attribute: [{ attrName, attrValue: String(attrValue) }] });

    async function merge(winner: number, losers: (number | string)[]): Promise<{ status: string; winningLeadId: string; losers: string[]; error: string }> {
      const result = rec(
        (
          await call("mergeLeads", {
            winningLeadKeyList: attr("IDNUM", winner),
            losingLeadKeyLists: { keyList: losers.map((l) => attr("IDNUM", l)) },
          })
        ).result,
      );
      const s = rec(result.mergeStatus);
      return { status: str(s.status), winningLeadId: str(s.winningLeadId), losers: list(rec(s.losingLeadIdList).integerItem).map(str), error: str(s.error) };
    }

    it("the winner keeps its email; losers are deleted with Delete Lead rows; their master rows stay; an unsubscribed loser unsubscribes the winner and its duplicates", async () => {
      const [w, w2, l1, l2] = await createLeads([
        { email: "winner@example.com", fields: { FirstName: "Win" } },
        { email: "winner@example.com" },
        { email: "loser1@example.com", fields: { Company: "LoserCo" } },
        { email: "loser2@example.com" },
      ]);
      await d.syncLead({ id: l1, unsubscribed: true });
      const loser1Status = await d.emailStatus("loser1@example.com");
      const loser2Status = await d.emailStatus("loser2@example.com");
      expect(loser1Status.unsubscribed).toBe(true);
      const t0 = await mark();

      expect(await merge(w, [l1, l2])).toEqual({ status: "MERGED", winningLeadId: String(w), losers: [String(l1), String(l2)], error: "" });

      expect(await d.getLeadFaultCode("IDNUM", String(l1))).toBe("20103");
      expect(await d.getLeadFaultCode("IDNUM", String(l2))).toBe("20103");
      const winner = await d.getLead(w);
      expect(winner.email).toBe("winner@example.com");
      expect(winner.attributes).toMatchObject({ FirstName: "Win", Company: "LoserCo", Unsubscribed: "1" });
      // D9 → D1 on the winner's key: its duplicate follows, with the propagation Reason.
      expect(await d.unsubscribedOf(w2)).toBe("1");
      expect(await d.flagRows(w2)).toEqual([flagRow(false, true, Reasons.propagate, w2)]);
      expect((await d.flagRows(w))[0]).toMatchObject({ oldValue: "false", newValue: "true", source: Sources.soap });
      expect(await d.emailStatus("winner@example.com")).toMatchObject({ unsubscribed: true });
      // The losers' addresses keep their master rows and history exactly (D4).
      expect(await d.emailStatus("loser1@example.com")).toEqual(loser1Status);
      expect(await d.emailStatus("loser2@example.com")).toEqual(loser2Status);

      expect((await d.activities(w)).filter((a) => a.type === "Merge Leads")).toHaveLength(1);
      const deletes = await allChanges(t0, { activityNameFilter: { stringItem: ["Delete Lead"] } });
      expect(deletes.map((r) => r.leadId).sort((a, b) => a - b)).toEqual([l1, l2]);
      const merges = await allChanges(t0, { activityNameFilter: { stringItem: ["Merge Leads"] } });
      expect(merges.map((r) => r.leadId)).toEqual([w]);
    });

    it("merging subscribed leads leaves the winner subscribed", async () => {
      const [w, l] = await createLeads([{ email: "sw@example.com" }, { email: "sl@example.com" }]);
      expect((await merge(w, [l])).status).toBe("MERGED");
      expect(await d.unsubscribedOf(w)).toBe("0");
      expect(await d.emailStatus("sw@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it("an unknown loser answers status FAILED with an error (no fault) and changes nothing", async () => {
      const [w, l] = await createLeads([{ email: "fw@example.com" }, { email: "fl@example.com", unsubscribed: true }]);
      const before = await activityIds();
      const r = await merge(w, [l, 999999]);
      expect(r.status).toBe("FAILED");
      expect(r.error).toMatch(/999999/);
      expect(await activityIds()).toEqual(before);
      expect(await d.getLead(l)).toMatchObject({ id: l });
      expect(await d.unsubscribedOf(w)).toBe("0");
    });
  });

  // ---------------------------------------------------------------------------------------
  describe("campaigns and flow steps (SPEC §4)", () => {
    async function createCampaign(programName: string, name: string, steps: { attribute: string; value: string }[], description = ""): Promise<number> {
      const res = await app.admin("POST", "/campaigns", { programName, name, description, steps: steps.map((s) => ({ type: "changeDataValue", ...s })) });
      expect(res.status).toBe(201);
      return Number(res.body.id);
    }

    async function campaigns(args: Rec): Promise<{ returnCount: number; records: [number, string, string][] }> {
      const result = rec((await call("getCampaignsForSource", { source: "MKTOWS", ...args })).result);
      return {
        returnCount: Number(result.returnCount),
        records: list(rec(result.campaignRecordList).campaignRecord).map((c) => [Number(rec(c).id), str(rec(c).name), str(rec(c).description)]),
      };
    }

    it("getCampaignsForSource lists the admin-created campaigns: all, by name fragment, by exact name", async () => {
      const c1 = await createCampaign("Newsletter", "Resubscribe", [{ attribute: "Unsubscribed", value: "false" }], "Puts people back");
      const c2 = await createCampaign("Newsletter", "Unsubscribe All", [{ attribute: "Unsubscribed", value: "true" }]);
      const c3 = await createCampaign("Scoring", "Set Company", [{ attribute: "Company", value: "Acme" }]);

      expect(await campaigns({})).toEqual({
        returnCount: 3,
        records: [
          [c1, "Newsletter.Resubscribe", "Puts people back"],
          [c2, "Newsletter.Unsubscribe All", ""],
          [c3, "Scoring.Set Company", ""],
        ],
      });
      expect((await campaigns({ name: "subscribe", exactName: false })).records.map((r) => r[0])).toEqual([c1, c2]);
      expect((await campaigns({ name: "Resubscribe", exactName: true })).records.map((r) => r[0])).toEqual([c1]);
      expect(await campaigns({ name: "Resub", exactName: true })).toEqual({ returnCount: 0, records: [] });
    });

    it("requestCampaign by campaignId runs a step Unsubscribed=false: every lead with the address is re-subscribed (D2), with the campaign's Reason and Source", async () => {
      const id = await createCampaign("Newsletter", "Resubscribe", [{ attribute: "Unsubscribed", value: "false" }]);
      const [l1, l2] = await createLeads([{ email: "rc@example.com" }, { email: "rc@example.com" }]);
      const l3 = await d.adminCreate({ email: "RC@example.com", partition: "EMEA", createPartition: true });
      await d.syncLead({ id: l2, unsubscribed: true });
      expect(await d.flagsOf([l1, l2, l3])).toEqual(["1", "1", "1"]);

      const out = await call("requestCampaign", { source: "MKTOWS", campaignId: id, leadList: idKeys([l1]) });
      expect(str(rec(out.result).success)).toBe("true");

      expect(await d.flagsOf([l1, l2, l3])).toEqual(["0", "0", "0"]);
      const reason = campaignReason("Newsletter", "Resubscribe");
      expect((await d.flagRows(l1))[0]).toEqual(flagRow(true, false, reason, l1, FLOW_SOURCE));
      expect((await d.flagRows(l2))[0]).toEqual(flagRow(true, false, Reasons.propagate, l2, FLOW_SOURCE));
      expect((await d.flagRows(l3))[0]).toEqual(flagRow(true, false, Reasons.propagate, l3, FLOW_SOURCE));
      const status = await d.emailStatus("rc@example.com");
      expect(status.unsubscribed).toBe(false);
      expect(status.history[0]).toMatchObject({ unsubscribed: false, channel: "flow", reason, source: FLOW_SOURCE, leadId: l1 });
      // The flow rows name the campaign, as getLeadChanges shows it.
      const changes = await allChanges(new Date(Date.now() - 3600000), { activityNameFilter: { stringItem: ["Change Data Value"] } });
      expect(changes.find((r) => r.leadId === l1 && r.attributes.Reason === reason)?.campaign).toBe("Newsletter.Resubscribe");
    });

    it("requestCampaign by programName + campaignName runs its steps on the leads; EMAIL keys reach every lead with the address", async () => {
      await createCampaign("Ops", "Stamp", [
        { attribute: "Company", value: "Stamped" },
        { attribute: "Unsubscribed", value: "true" },
      ]);
      const [a, a2, other] = await createLeads([{ email: "st@example.com" }, { email: "st@example.com" }, { email: "bystander@example.com" }]);
      const out = await call("requestCampaign", { source: "MKTOWS", leadList: { leadKey: [{ keyType: "EMAIL", keyValue: "ST@example.com" }] }, programName: "Ops", campaignName: "Stamp" });
      expect(str(rec(out.result).success)).toBe("true");
      expect((await d.getLead(a)).attributes).toMatchObject({ Company: "Stamped", Unsubscribed: "1" });
      expect((await d.getLead(a2)).attributes).toMatchObject({ Company: "Stamped", Unsubscribed: "1" });
      expect((await d.getLead(other)).attributes).toEqual({ Unsubscribed: "0" });
      expect(await d.emailStatus("st@example.com")).toMatchObject({ unsubscribed: true });
      expect((await d.flagRows(a)).map((r) => r.source)).toEqual([FLOW_SOURCE]);
    });

    it("campaignId with campaignName is fault 20110; an unknown campaign is 20113", async () => {
      const id = await createCampaign("Ops", "Known", [{ attribute: "Company", value: "X" }]);
      const [a] = await createLeads([{ email: "cf@example.com" }]);
      const before = await activityIds();
      expect(await faultOf("requestCampaign", { source: "MKTOWS", campaignId: id, leadList: idKeys([a]), campaignName: "Known" })).toBe("20110");
      expect(await faultOf("requestCampaign", { source: "MKTOWS", campaignId: id + 100, leadList: idKeys([a]) })).toBe("20113");
      expect(await faultOf("requestCampaign", { source: "MKTOWS", leadList: idKeys([a]), programName: "Ops", campaignName: "Unknown" })).toBe("20113");
      expect(await faultOf("requestCampaign", { source: "MKTOWS", leadList: idKeys([a]), programName: "Nope", campaignName: "Known" })).toBe("20113");
      expect(await activityIds()).toEqual(before);
    });

    it("the admin flow endpoint changes a value on many leads, with the flow channel and propagation", async () => {
      const specs = Array.from({ length: 40 }, (_, i) => ({ email: `flow${i % 20}@example.com` })); // 20 addresses, two leads each
      const ids = await createLeads(specs);
      const chosen = ids.slice(0, 20); // one lead of each address
      const res = await app.admin("POST", "/flow/change-data-value", { leadIds: [...chosen, 999999], attribute: "Unsubscribed", value: true });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ updated: chosen, notFound: [999999] });
      expect(new Set(await d.flagsOf(ids))).toEqual(new Set(["1"]));
      expect(await d.flagRows(ids[0])).toEqual([flagRow(false, true, "Changed by flow action Change Data Value", ids[0], FLOW_SOURCE)]);
      expect(await d.flagRows(ids[20])).toEqual([flagRow(false, true, Reasons.propagate, ids[20], FLOW_SOURCE)]);

      const id = await createCampaign("Ops", "Back", []);
      const back = await app.admin("POST", "/flow/change-data-value", { leadIds: ids.slice(20), attribute: "Unsubscribed", value: "false", campaignId: id });
      expect(back.status).toBe(200);
      expect(new Set(await d.flagsOf(ids))).toEqual(new Set(["0"]));
      expect((await d.flagRows(ids[20]))[0]).toEqual(flagRow(true, false, campaignReason("Ops", "Back"), ids[20], FLOW_SOURCE));
      expect((await d.flagRows(ids[0]))[0]).toEqual(flagRow(true, false, Reasons.propagate, ids[0], FLOW_SOURCE));
    });
  });

  // ---------------------------------------------------------------------------------------
  describe("custom fields, describeMObject, listMObjects", () => {
    type FieldMeta = Record<string, string>;
    async function describe_(objectName: string): Promise<{ name: string; fields: FieldMeta[] }> {
      const metadata = rec(rec((await call("describeMObject", { objectName })).result).metadata);
      return {
        name: str(metadata.name),
        fields: list(rec(metadata.fieldList).field).map((f) => Object.fromEntries(Object.entries(rec(f)).map(([k, v]) => [k, str(v)]))),
      };
    }

    it("a field declared through the admin API is synced and returned through syncLead/getLead and listed as custom", async () => {
      const res = await app.admin("POST", "/fields", { name: "Favorite_Color", attrType: "string", displayName: "Favorite Color" });
      expect(res.status).toBe(201);
      expect(await app.admin("POST", "/fields", { name: "Shoe_Size", attrType: "integer", displayName: "Shoe Size" })).toMatchObject({ status: 201 });

      const created = await d.syncLead({ email: "cf@example.com", fields: { Favorite_Color: "teal", Shoe_Size: "42" } });
      expect(created.status).toBe("CREATED");
      const [out] = (await client.getLeadAsync({ leadKey: { keyType: "IDNUM", keyValue: String(created.leadId) } })) as [unknown];
      const records = list(rec(rec(rec(out).result).leadRecordList).leadRecord);
      expect(records).toHaveLength(1);
      const attrs = list(rec(rec(records[0]).leadAttributeList).attribute);
      const byName = Object.fromEntries(attrs.map((a) => [str(rec(a).attrName), [str(rec(a).attrType), str(rec(a).attrValue)]]));
      expect(byName.Favorite_Color).toEqual(["string", "teal"]);
      expect(byName.Shoe_Size).toEqual(["integer", "42"]);

      await d.syncLead({ id: created.leadId, fields: { Favorite_Color: "red" } });
      const row = (await d.activities(created.leadId)).find((a) => a.type === "Change Data Value");
      expect(row).toMatchObject({ asset: "Favorite Color", attributes: { "Attribute Name": "Favorite Color", "Old Value": "teal", "New Value": "red" } });

      const meta = await describe_("LeadRecord");
      expect(meta.name).toBe("LeadRecord");
      expect(meta.fields.find((f) => f.name === "Favorite_Color")).toMatchObject({ displayName: "Favorite Color", dataType: "string", isCustom: "true" });
      expect(meta.fields.find((f) => f.name === "Shoe_Size")).toMatchObject({ dataType: "integer", isCustom: "true" });
      expect(meta.fields.find((f) => f.name === "FirstName")).toMatchObject({ isCustom: "false" });
      expect(meta.fields.find((f) => f.name === "Email")).toBeDefined();
    });

    it("an undeclared field is fault 20105 and creates nothing", async () => {
      const before = await activityIds();
      const leadRecord = { Email: "undeclared@example.com", leadAttributeList: { attribute: [{ attrName: "Not_Declared", attrValue: "x" }] } };
      expect(await faultOf("syncLead", { leadRecord, returnLead: false })).toBe("20105");
      expect(await activityIds()).toEqual(before);
      expect(await d.getLeadFaultCode("EMAIL", "undeclared@example.com")).toBe("20103");
    });

    it("describeMObject ActivityRecord and listMObjects", async () => {
      const meta = await describe_("ActivityRecord");
      expect(meta.name).toBe("ActivityRecord");
      expect(meta.fields.map((f) => f.name)).toEqual(expect.arrayContaining(["id", "activityDateTime", "activityType", "mktgAssetName", "mktPersonId"]));
      for (const f of meta.fields) expect(f.isCustom).toBe("false");
      expect(await faultOf("describeMObject", { objectName: "NoSuchObject" })).toBe("20110");

      const objects = list(rec((await call("listMObjects", {})).result).objects).map(str);
      expect(objects).toEqual(expect.arrayContaining(["LeadRecord", "ActivityRecord"]));
    });
  });
});
