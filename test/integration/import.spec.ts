/**
 * The import channel end to end: the command (runImportCli, in-process) on the tests' database,
 * checked by what a user sees afterwards through the server on the same database: getLead by
 * Marketo Id and SFDC id, getLeadActivity rows, the admin email-status view with its history.
 * After every test the invariant of SPEC §2 is checked in SQL.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ImportHarness, Import, summaryLine, useImportApp } from "../support/import-harness";
import { flagRow, LeadDriver, Reasons } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";

const HEADER = "Id,Email Address,First Name,Last Name,Company Name,Unsubscribed,Unsubscribed Reason,SFDC Type,SFDC Contact ID,SFDC Lead ID,Lead Score,Created At";

describe("import from a Marketo export (npm run import)", () => {
  let app: TestApp;
  let d: LeadDriver;
  let h: ImportHarness;
  let dir: string;

  useImportApp((a, leads, harness) => {
    app = a;
    d = leads;
    h = harness;
    dir = harness.dir;
  });

  const file = (name: string, lines: string[]): string => h.file(name, lines);
  const leadsCsv = (rows: string[]) => file("leads.csv", ["\ufeff" + HEADER, ...rows]);
  const run = (...args: string[]) => h.run(args);
  const count = (table: string) => h.count(table);
  const counts = () => h.counts();
  const soapByKey = (keyType: string, keyValue: string) => h.soapByKey(keyType, keyValue);

  it("creates leads with their Marketo Id and SFDC id, so integrations that stored them still find them", async () => {
    const leads = leadsCsv([
      `2000017,ann@example.com,Ann,"Lee, Jr.","Acme ""One""",false,,Contact,0035g00000ANNAAA,,12,2020-01-01`,
      `2000018,bob@example.com,Bob,Ray,Beta,,,Lead,,00Q5g00000BOBAAA,,2020-01-01`,
    ]);
    const r = await run("--leads", leads);
    expect(r.stderr).not.toContain("failed");
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(2);
    expect(r.stdout).not.toContain("Ignored columns");

    const ann = await d.getLead(2000017);
    expect(ann.email).toBe("ann@example.com");
    expect(ann.attributes).toMatchObject({ FirstName: "Ann", LastName: "Lee, Jr.", Company: 'Acme "One"', LeadScore: "12" });
    expect(await soapByKey("SFDCCONTACTID", "0035g00000ANNAAA")).toEqual([2000017]);
    expect(await soapByKey("SFDCLEADID", "00Q5g00000BOBAAA")).toEqual([2000018]);
    // SFDC Type is kept: a contact's id is no lead id, and a lead's no contact id (issue 12).
    expect(ann.attributes.SFDCType).toBe("Contact");
    expect(await soapByKey("SFDCLEADID", "0035g00000ANNAAA")).toBe("20103");
    expect(await soapByKey("SFDCCONTACTID", "00Q5g00000BOBAAA")).toBe("20103");
    // Created At is the lead's creation time, not the import's.
    const created = (await app.dataSource.query(`SELECT id, created_at FROM lead WHERE id IN (2000017, 2000018) ORDER BY id`)) as { created_at: Date }[];
    expect(created.map((r) => new Date(r.created_at).toISOString())).toEqual(["2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z"]);
    expect(await d.activitySummary(2000017)).toEqual(["New Lead"]);
    const [newLead] = await d.activities(2000017);
    expect(newLead.attributes).toMatchObject({ "Source Type": Import.source, "Source Info": Import.reason });

    // Later creates draw ids past the imported ones.
    const later = await d.syncLead({ email: "new@example.com" });
    expect(later.status).toBe("CREATED");
    expect(later.leadId).toBeGreaterThan(2000018);
  });

  it("a NUL in a field leaves that field out with a warning; the lead and the other rows are imported (issues 11 item 7, 12)", async () => {
    const leads = leadsCsv([`2000031,nul@example.com,A\u0000B,Lee,,,,,,,,`, `2000032,ok@example.com,Ok,Fine,,,,,,,,`, `2000033,a\u0000@example.com,Nul,Email,,,,,,,,`]);
    const r = await run("--leads", leads);
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(3);
    expect(summaryLine(r.stdout, "with warnings")).toBe(2);
    expect(r.stdout).toContain("leads.csv line 2, First Name 'AU+0000B': contains the character U+0000, which is not accepted: left out");
    expect(r.stdout).toContain("leads.csv line 4, Email Address 'aU+0000@example.com'");
    expect(r.stdout).not.toContain("\u0000");
    const nul = await d.getLead(2000031);
    expect(nul.email).toBe("nul@example.com");
    expect(nul.attributes.FirstName).toBeUndefined();
    expect(nul.attributes.LastName).toBe("Lee");
    expect((await d.getLead(2000032)).email).toBe("ok@example.com");
    expect((await d.getLead(2000033)).email).toBeNull();
  });

  it("is safe to run again: the same file updates nothing and duplicates nothing", async () => {
    const leads = leadsCsv([`2000017,ann@example.com,Ann,Lee,Acme,true,Asked,Contact,0035g00000ANNAAA,,1,`, `,carl@example.com,Carl,Noid,Gamma,,,,,,,`]);
    expect((await run("--leads", leads)).code).toBe(0);
    const before = await counts();
    const again = await run("--leads", leads);
    expect(again.code).toBe(0);
    expect(summaryLine(again.stdout, "created")).toBe(0);
    expect(summaryLine(again.stdout, "updated")).toBe(0);
    expect(summaryLine(again.stdout, "unchanged")).toBe(2);
    expect(await counts()).toEqual(before);

    // A changed file updates what the first run created, in place.
    const changed = leadsCsv([`2000017,ann@example.com,Annie,Lee,Acme,true,Asked,Contact,0035g00000ANNAAA,,1,`, `,carl@example.com,Carl,Noid,Delta,,,,,,,`]);
    const third = await run("--leads", changed);
    expect(summaryLine(third.stdout, "updated")).toBe(2);
    expect(await count("lead")).toBe(before.leads);
    expect((await d.getLead(2000017)).attributes.FirstName).toBe("Annie");
    expect((await d.activities(2000017))[0]).toMatchObject({ type: "Change Data Value", asset: "First Name", attributes: expect.objectContaining({ Reason: Import.reason, Source: Import.source }) });
  });

  it("never clears an unsubscribe: Unsubscribed=false in a row leaves an unsubscribed lead and address unsubscribed", async () => {
    const leads = leadsCsv([`2000017,ann@example.com,Ann,Lee,Acme,false,,,,,,`]);
    await run("--leads", leads);
    const unsub = await app.admin("PATCH", "/leads/2000017", { unsubscribed: true });
    expect(unsub.status).toBe(200);
    // An address unsubscribed with no lead yet: the lead the import creates starts unsubscribed (D3).
    await run("--unsubscribes", file("list.txt", ["dora@example.com"]));

    const r = await run("--leads", leadsCsv([`2000017,ann@example.com,Ann,Lee,Acme,false,,,,,,`, `2000019,dora@example.com,Dora,Day,Acme,false,,,,,,`]));
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "kept unsubscribed")).toBe(2);
    expect(await d.flagsOf([2000017, 2000019])).toEqual(["1", "1"]);
    expect(await d.flagRows(2000019)).toEqual([flagRow(false, true, Reasons.reset, 2000019, Import.source)]);
    expect((await d.emailStatus("ann@example.com")).unsubscribed).toBe(true);
    expect((await d.emailStatus("dora@example.com")).unsubscribed).toBe(true);
  });

  it("Unsubscribed=true unsubscribes the address, and the unsubscribe reaches its duplicates (D1)", async () => {
    const r = await run(
      "--leads",
      leadsCsv([`2000020,eve@example.com,Eve,One,Acme,false,,,,,,`, `2000021,EVE@example.com,Eve,Two,Acme,yes,Asked to stop,,,,,`, `2000022,fay@example.com,Fay,Other,Acme,0,,,,,,`]),
    );
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(3);
    expect(summaryLine(r.stdout, "unsubscribed")).toBe(1);
    expect(await d.flagsOf([2000020, 2000021, 2000022])).toEqual(["1", "1", "0"]);
    expect(await d.flagRows(2000021)).toEqual([flagRow(false, true, Import.reason, 2000021, Import.source)]);
    expect(await d.flagRows(2000020)).toEqual([flagRow(false, true, Reasons.propagate, 2000020, Import.source)]);
    expect((await d.getLead(2000021)).attributes.UnsubscribedReason).toBe("Asked to stop");
    expect(await d.historyOf("eve@example.com")).toEqual([{ unsubscribed: true, channel: "import", reason: Import.reason, source: Import.source, leadId: 2000021 }]);
  });

  it("the unsubscribe list unsubscribes addresses with leads (each lead gets its row) and without (the address alone)", async () => {
    const [g1, g2] = await d.createDuplicates([{ email: "gil@example.com" }, { email: "Gil@Example.com" }]);
    const [other] = await d.createDuplicates([{ email: "hal@example.com" }]);
    const list = file("unsubs.csv", ["Email Address,Note", "gil@example.com,from Marketo", "nobody@example.org,", "not an address,", "NOBODY@example.org,again"]);
    const r = await run("--unsubscribes", list);
    expect(r.code).toBe(3);
    expect(summaryLine(r.stdout, "unsubscribed")).toBe(2);
    expect(summaryLine(r.stdout, "already unsubscribed")).toBe(1);
    expect(r.stdout).toContain("unsubs.csv line 4: 'not an address' is not an email address");

    expect(await d.flagsOf([g1, g2, other])).toEqual(["1", "1", "0"]);
    for (const id of [g1, g2]) expect(await d.flagRows(id)).toEqual([flagRow(false, true, Import.reason, id, Import.source)]);
    expect(await d.historyOf("gil@example.com")).toEqual([{ unsubscribed: true, channel: "import", reason: Import.reason, source: Import.source, leadId: null }]);
    const nobody = await d.emailStatus("nobody@example.org");
    expect(nobody.unsubscribed).toBe(true);
    expect(nobody.history).toHaveLength(1);
    // A lead created later with that address starts unsubscribed (D3).
    const created = await d.syncLead({ email: "nobody@example.org" });
    expect(await d.unsubscribedOf(created.leadId)).toBe("1");
  });

  it("reads a plain list of addresses, one per line, with no header", async () => {
    const r = await run("--unsubscribes", file("plain.txt", ["ida@example.com", "", "jo@example.com"]));
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "unsubscribed")).toBe(2);
    expect((await d.emailStatus("jo@example.com")).unsubscribed).toBe(true);
  });

  it("a dry run reports what it would do and keeps nothing; the real run then does exactly that", async () => {
    await d.createDuplicates([{ email: "kim@example.com" }]);
    const leads = leadsCsv([
      `2000030,kim@example.com,Kim,Lee,Acme,true,,,,,,`,
      `2000031,lou@example.com,Lou,Ma,Acme,false,,,,,,`,
      `2000032,bad-address,X,Y,Z,false,,,,,,`,
      `2000033,mo@example.com,Mo,Ng,Acme,maybe,,,,,,`,
      `2000034,ned@example.com,Ned,Oh,Acme,,,,,,not a number,`,
    ]);
    const list = file("unsubs.txt", ["lou@example.com", "zed@example.com"]);
    const before = await counts();
    const dry = await run("--leads", leads, "--unsubscribes", list, "--dry-run");
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain("Dry run");
    expect(await counts()).toEqual(before);

    const real = await run("--leads", leads, "--unsubscribes", list);
    expect(real.code).toBe(3);
    const figures = (out: string, part: string, verbs: string[]) => verbs.map((v) => summaryLine(out, v, part));
    expect(figures(dry.stdout, "Leads", ["would create", "would update", "would unsubscribe", "would reject"])).toEqual(
      figures(real.stdout, "Leads", ["created", "updated", "unsubscribed", "rejected"]),
    );
    expect(figures(dry.stdout, "Unsubscribe list", ["would unsubscribe", "already unsubscribed"])).toEqual(figures(real.stdout, "Unsubscribe list", ["unsubscribed", "already unsubscribed"]));
    // Kept: a bad address (the row has an Id) and a bad Lead Score, warned; refused: an Unsubscribed that is neither.
    expect(figures(real.stdout, "Leads", ["created", "unsubscribed", "rejected", "with warnings"])).toEqual([4, 1, 1, 2]);
    expect(summaryLine(real.stdout, "unsubscribed", "Unsubscribe list")).toBe(2);
    for (const out of [dry.stdout, real.stdout]) {
      expect(out).toContain("leads.csv line 4, Email Address 'bad-address': not an email address: the lead is kept without one");
      expect(out).toContain("leads.csv line 5: Unsubscribed: 'maybe' is not a boolean");
      expect(out).toContain("leads.csv line 6, Lead Score 'not a number': 'not a number' is not an integer: left out");
    }
    expect(await count("lead")).toBe(before.leads + 4);
  });

  it("rejects rows it cannot place, with their line: no key, a short row, an Id that a non-imported lead has", async () => {
    const [soapLead] = await d.createDuplicates([{ email: "own@example.com" }]);
    const leads = leadsCsv([
      `,,No,Key,Acme,,,,,,,`,
      `2000040,short@example.com`,
      `${soapLead},taken@example.com,Tak,En,Acme,,,,,,,`,
      `2000041,"multi`,
      `line@example.com",Ok,Fine,Acme,,,,,,,`,
    ]);
    const report = path.join(dir, "report.json");
    const r = await run("--leads", leads, "--report", report);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("leads.csv line 2: no Id, SFDC id or email address");
    expect(r.stdout).toContain("leads.csv line 3: 2 fields where the header has 12");
    expect(r.stdout).toContain(`leads.csv line 4: Id ${soapLead}: lead ${soapLead} exists and no import created it`);
    expect(r.stdout).toContain("leads.csv line 5, Email Address 'multi\r\nline@example.com': not an email address");
    const json = JSON.parse(readFileSync(report, "utf8")) as { outcome: string; leads: { rejected: number; created: number }; rejects: { line: number }[]; warnings: { line: number; column: string }[] };
    expect(json.outcome).toBe("done, some rows rejected");
    expect(json.leads).toMatchObject({ rejected: 3, created: 1 });
    expect(json.rejects.map((x) => x.line)).toEqual([2, 3, 4]);
    expect(json.warnings).toEqual([expect.objectContaining({ line: 5, column: "Email Address" })]);
    expect((await d.getLead(soapLead)).email).toBe("own@example.com");
  });

  it("answers usage errors with 2 and a broken file with 1, naming the line", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("--leads")).code).toBe(2);
    expect((await run("--leads", path.join(dir, "missing.csv"))).code).toBe(2);
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npm run import");
    const broken = await run("--leads", leadsCsv([`2000050,a@example.com,"never closed`]));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("leads.csv: the quote opened on line 2 is never closed");
    expect(broken.stderr).toContain("Nothing was written");
    const noKey = await run("--leads", file("nokey.csv", ["First Name,Last Name", "A,B"]));
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("no Id, Email Address or SFDC id column");
  });
});
