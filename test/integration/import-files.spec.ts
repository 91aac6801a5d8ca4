/**
 * Issue 12, "A migration import that loses nothing", with generated files: encodings (a
 * Windows-1252 copy refused, then read with --encoding; UTF-16 read by its mark), the check of
 * the whole file before the first write (a quote left open at the very end, no Email column),
 * bad optional values kept as warnings, Updated At, and a run stopped mid-way (the database lost)
 * counting only what it committed. On PostgreSQL (TEST_DATABASE_URL) and on the embedded database.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../src/config";
import { openDatabase, type Database } from "../../src/database";
import { ImportService, ImportStoppedError, type LeadRow } from "../../src/domain/import.service";
import { createLogger } from "../../src/logger";
import { TypeOrmBulkTransactionRunner } from "../../src/persistence/bulk-transaction-runner";
import { ImportHarness, summaryLine, useImportApp } from "../support/import-harness";
import { LeadDriver } from "../support/lead-driver";
import { TEST_EMAIL_HASH_KEY, type TestApp } from "../support/test-app";
import { onRealPostgres, testDatabaseUrl } from "../support/test-env";

const HEADER = "Id,Email Address,First Name,Last Name,Annual Revenue,Unsubscribed,Created At,Updated At";

/** People of a Marketo export whose names need more than ASCII, composed and decomposed. */
const PEOPLE: [string, string][] = [
  ["Zoë", "Brontë"],
  ["José", "Muñoz"],
  ["Renée", "Ça\u0301rdenas"],
  ["François", "Lefèvre"],
  ["Søren", "Kierkegård"],
];

function exportLines(rows: number, first = 3000001): string[] {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const [given, family] = PEOPLE[i % PEOPLE.length];
    lines.push(`${first + i},p${i}@example.com,${given},"${family}, ${i}",${i * 1000},${i % 7 === 3 ? "true" : "false"},2019-03-0${1 + (i % 9)} 10:00:00,2024-05-06T07:08:09Z`);
  }
  return lines;
}

describe("import of real-world export files (issue 12)", () => {
  let app: TestApp;
  let d: LeadDriver;
  let h: ImportHarness;

  useImportApp((a, leads, harness) => {
    app = a;
    d = leads;
    h = harness;
  });

  const report = (name: string) => JSON.parse(readFileSync(path.join(h.dir, name), "utf8")) as Record<string, unknown>;

  it("a Windows-1252 copy is refused before any write, with the line and the option; with --encoding windows-1252 it is read right", async () => {
    const text = exportLines(40).join("\r\n") + "\r\n";
    // windows-1252 and latin1 agree on every character these names use (the decomposed accent aside, which has none).
    const cp1252 = Buffer.from(text.normalize("NFC"), "latin1");
    const file = h.bytes("people-1252.csv", cp1252);

    for (const dry of [[], ["--dry-run"]]) {
      const refused = await h.run(["--leads", file, "--report", "r.json", ...dry]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("people-1252.csv: line 2: byte 0xEB is not valid UTF-8");
      expect(refused.stderr).toContain("pass --encoding windows-1252");
      expect(refused.stderr).toContain("Nothing was written");
      expect(await h.count("lead")).toBe(0);
      expect(report("r.json")).toMatchObject({ outcome: "refused", nothingWritten: true, error: expect.stringContaining("not valid UTF-8") });
    }

    const r = await h.run(["--leads", file, "--encoding", "windows-1252"], { batch: 10 });
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(40);
    const zoe = await d.getLead(3000001);
    expect(zoe.attributes).toMatchObject({ FirstName: "Zoë", LastName: "Brontë, 0" });
    expect((await d.getLead(3000002)).attributes.LastName).toBe("Muñoz, 1");
    const replaced = (await app.dataSource.query(`SELECT count(*) AS n FROM lead WHERE fields::text LIKE '%' || chr(65533) || '%'`)) as { n: string }[];
    expect(Number(replaced[0].n)).toBe(0);
  });

  it("reads a UTF-16 file (Excel's Unicode text: a mark, tabs) and keeps decomposed names as given", async () => {
    const lines = exportLines(12).map((l) => l.replace(/"([^"]*)"/g, (_, inner: string) => inner.replace(/,/g, "")).replace(/,/g, "\t"));
    const file = h.bytes("unicode.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines.join("\r\n") + "\r\n", "utf16le")]));
    const r = await h.run(["--leads", file, "--delimiter", "tab"], { batch: 5 });
    expect(r.stderr).not.toContain("\u0000");
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(12);
    expect((await d.getLead(3000003)).attributes).toMatchObject({ FirstName: "Renée", LastName: "Ça\u0301rdenas 2" });
  });

  it("a quote left open on the last line refuses the whole file: nothing is written, the report says so", async () => {
    const lines = [...exportLines(60), `3999999,last@example.com,"Never,Closed,1,false,,`];
    const r = await h.run(["--leads", h.file("open-quote.csv", lines), "--report", "q.json"], { batch: 10 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("open-quote.csv: the quote opened on line 62 is never closed");
    expect(await h.count("lead")).toBe(0);
    expect(await h.count("activity")).toBe(0);
    expect(report("q.json")).toMatchObject({ outcome: "refused", exitCode: 1 });
  });

  it("a file without an Email column is refused before any write unless --allow-no-email; unknown columns are listed once", async () => {
    const file = h.file("no-email.csv", ["Id,First Name,Favourite Colour", "3100001,Ann,blue", "3100002,Bob,red"]);
    const refused = await h.run(["--leads", file, "--report", "n.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no Email column[^]*--allow-no-email/);
    expect(await h.count("lead")).toBe(0);
    expect(report("n.json")).toMatchObject({ outcome: "refused" });

    const allowed = await h.run(["--leads", file, "--allow-no-email"]);
    expect(allowed.code).toBe(0);
    expect(summaryLine(allowed.stdout, "created")).toBe(2);
    expect(allowed.stdout.match(/Favourite Colour/g)).toHaveLength(1);
    expect((await d.getLead(3100002)).attributes.FirstName).toBe("Bob");
  });

  it("a bad Annual Revenue is a warning: '$1,250,000' is read as 1250000, words are left out, and the leads are created", async () => {
    const file = h.file("revenue.csv", [HEADER, `3200001,rev1@example.com,Ann,Lee,"$1,250,000",false,,`, `3200002,rev2@example.com,Bob,Ray,about a million,false,,`, `3200003,rev3@example.com,Cy,Oh,12.5,false,,`]);
    const r = await h.run(["--leads", file, "--report", "w.json"]);
    expect(r.code).toBe(0);
    expect(summaryLine(r.stdout, "created")).toBe(3);
    expect(summaryLine(r.stdout, "with warnings")).toBe(2);
    expect(r.stdout).toContain("revenue.csv line 2, Annual Revenue '$1,250,000': read as 1250000");
    expect(r.stdout).toContain("revenue.csv line 3, Annual Revenue 'about a million': 'about a million' is not a number: left out");
    expect((await d.getLead(3200001)).attributes.AnnualRevenue).toBe("1250000");
    const bob = await d.getLead(3200002);
    expect(bob.email).toBe("rev2@example.com");
    expect(bob.attributes.AnnualRevenue).toBeUndefined();
    expect(report("w.json")).toMatchObject({ warnings: [expect.objectContaining({ line: 2, column: "Annual Revenue", value: "$1,250,000" }), expect.objectContaining({ line: 3 })] });
  });

  it("keeps Created At and Updated At of the leads it creates; a re-run changes neither", async () => {
    const file = h.file("times.csv", exportLines(3));
    expect((await h.run(["--leads", file])).code).toBe(0);
    const times = async () => (await app.dataSource.query(`SELECT created_at, updated_at FROM lead ORDER BY id`)) as { created_at: Date; updated_at: Date }[];
    const first = await times();
    expect(first.map((t) => [new Date(t.created_at).toISOString(), new Date(t.updated_at).toISOString()])).toEqual([
      ["2019-03-01T10:00:00.000Z", "2024-05-06T07:08:09.000Z"],
      ["2019-03-02T10:00:00.000Z", "2024-05-06T07:08:09.000Z"],
      ["2019-03-03T10:00:00.000Z", "2024-05-06T07:08:09.000Z"],
    ]);
    const again = await h.run(["--leads", file]);
    expect(summaryLine(again.stdout, "unchanged")).toBe(3);
    expect(await times()).toEqual(first);
  });

  describe("a run that stops (the database lost mid-run)", () => {
    let db: Database;
    beforeAll(async () => {
      const config = loadConfig({ DATABASE_URL: testDatabaseUrl(), EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY }, h.dir);
      db = await openDatabase(config, createLogger("warn", () => undefined), { poolSize: 2 });
    });
    afterAll(async () => {
      await db.close();
    });

    it("counts only what it committed, and says up to which line", async () => {
      const rows: LeadRow[] = Array.from({ length: 30 }, (_, i) => ({ line: i + 2, input: { id: 3300001 + i, email: `stop${i}@example.com`, fields: { FirstName: `S${i}` } } }));
      async function* source() {
        yield* rows;
      }
      // Every unit holding the 17th row fails as a lost connection does: not a row's fault, so the run stops.
      const lost = 3300001 + 16;
      const leads = {
        prepare: db.leads.prepare.bind(db.leads),
        syncManyWith: (...args: Parameters<Database["leads"]["syncManyWith"]>) => {
          if (args[1].some((r) => r.id === lost)) return Promise.reject(new Error("Connection terminated unexpectedly"));
          return db.leads.syncManyWith(...args);
        },
      };
      const service = new ImportService({ leads, writes: db.writes, bulk: new TypeOrmBulkTransactionRunner(db.dataSource, db.tx) });
      const lanes = onRealPostgres() ? 3 : 1;
      const stopped = await service.run({ leads: source() }, { dryRun: false, batchSize: 4, lanes }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(stopped).toBeInstanceOf(ImportStoppedError);
      const { summary, line } = stopped as ImportStoppedError;
      expect(line).toBe(18);
      const committed = ((await app.dataSource.query(`SELECT id FROM lead ORDER BY id`)) as { id: number }[]).map((r) => r.id - 3300001 + 2);
      // The counts are the committed truth, and the stop point names exactly the committed lines.
      expect(summary.leads?.created).toBe(committed.length);
      expect(summary.stop?.firstNotApplied).toBe(18);
      expect(committed.filter((l) => l < 18)).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
      expect(committed.filter((l) => l >= 18)).toEqual(summary.stop?.committedAfter);
      if (lanes === 1) expect(committed).toHaveLength(16);
    });
  });
});
