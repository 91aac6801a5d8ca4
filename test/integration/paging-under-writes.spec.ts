/**
 * Paging while others write (reference §5.2, §5.6): getMultipleLeads (LastUpdateAtSelector,
 * keyset on updated_at and id) and getLeadChanges (offset, commit order) must return every row
 * that existed when paging began exactly once, and never a row twice, while a concurrent writer
 * keeps creating leads and activity. Runs on PostgreSQL (TEST_DATABASE_URL) and on the embedded
 * database; again through PgBouncer in transaction pooling (TEST_PGBOUNCER_URL), and with
 * getMultipleLeads reading from a streaming standby (TEST_STANDBY_URL; issue 15).
 */
import type * as soap from "soap";
import { assertInvariant } from "../support/invariant";
import { LeadDriver } from "../support/lead-driver";
import { startTestApp, type TestApp } from "../support/test-app";
import { standbyReads } from "../support/metrics";
import { describeWithTool, onRealPostgres, PGBOUNCER_NEEDS, pgbouncerUrl, readingFromStandby, STANDBY_NEEDS, standbyUrl, testDatabaseUrl, throughPgbouncer } from "../support/test-env";

const MKTOWS_NS = "http://www.marketo.com/mktows/";
const ORIGINAL_LEADS = 2500;
const SYNC_BATCH = 300;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const str = (v: unknown): string => (v === undefined || v === null || (typeof v === "object" && Object.keys(v).length === 0) ? "" : String(v));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `step` in a loop until stopped; counts the steps that completed. */
function startWriter(step: (n: number) => Promise<void>): { stop(): Promise<number> } {
  let stopped = false;
  let done = 0;
  const loop = (async () => {
    while (!stopped) {
      await step(done);
      done++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return done;
    },
  };
}

/** Ids that occur more than once. */
function repeated(ids: number[]): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}

interface Variant {
  /** The server's environment (computed when the variant runs). */
  readonly env: () => Record<string, string>;
  /** Run the getLeadChanges test too (it reads from the primary in every variant). */
  readonly changes: boolean;
  /** getMultipleLeads must have read from the standby. */
  readonly standby?: boolean;
}

const direct: Variant = { env: () => ({}), changes: true };
describe("paging under concurrent writes", () => pagingUnderWrites(direct));
describeWithTool("paging under concurrent writes, through PgBouncer (transaction pooling)", onRealPostgres() && !!pgbouncerUrl(), PGBOUNCER_NEEDS, () =>
  pagingUnderWrites({ env: () => throughPgbouncer(testDatabaseUrl()), changes: true }),
);
describeWithTool("paging under concurrent writes, getMultipleLeads from the standby", onRealPostgres() && !!standbyUrl(), STANDBY_NEEDS, () =>
  pagingUnderWrites({ env: () => readingFromStandby(testDatabaseUrl()), changes: false, standby: true }),
);

function pagingUnderWrites(variant: Variant): void {
  let app: TestApp;
  let d: LeadDriver;
  let pager: soap.Client;
  let writerDriver: LeadDriver;
  let t0: Date;
  let originals: number[];
  let bystanders: number[];

  beforeAll(async () => {
    app = await startTestApp(variant.env());
    await app.reset();
    d = new LeadDriver(app);
    writerDriver = new LeadDriver(app);
    pager = await app.soapClient("2_2");
    // Leads from before the window, that the writer keeps updating.
    bystanders = await d.createDuplicates(Array.from({ length: 20 }, (_, i) => ({ email: `bystander${i}@example.com` })));
    await pause(20);
    t0 = await dbNow();
    await pause(20);
    // syncMultipleLeads batches of 300, three calls at a time (each record is its own transaction).
    const batches: number[] = [];
    for (let i = 0; i < ORIGINAL_LEADS; i += SYNC_BATCH) batches.push(i);
    const created: number[][] = [];
    const creators = [0, 1, 2].map(async (w) => {
      const driver = new LeadDriver(app);
      for (let b = w; b < batches.length; b += 3) {
        const from = batches[b];
        const n = Math.min(SYNC_BATCH, ORIGINAL_LEADS - from);
        created[b] = await driver.createDuplicates(Array.from({ length: n }, (_, j) => ({ email: `orig${from + j}@example.com`, fields: { Company: "Original" } })));
      }
    });
    await Promise.all(creators);
    originals = created.flat().sort((a, b) => a - b);
    expect(new Set(originals).size).toBe(ORIGINAL_LEADS);
  });
  afterAll(async () => {
    await app.stop();
  });
  afterEach(async () => {
    await assertInvariant(app.dataSource);
  });

  async function dbNow(): Promise<Date> {
    const rows = (await app.dataSource.query(`SELECT clock_timestamp() AS t`)) as { t: Date }[];
    return new Date(rows[0].t);
  }

  async function call(op: string, args: Rec): Promise<Rec> {
    const fn = (pager as unknown as Record<string, (a: Rec) => Promise<[unknown]>>)[`${op}Async`];
    const [out] = await fn.call(pager, args);
    return rec(rec(out).result);
  }

  it("getMultipleLeads (LastUpdateAtSelector, batchSize 100) returns every original lead exactly once while new leads are created", async () => {
    const selector = { attributes: { xsi_type: { type: "LastUpdateAtSelector", xmlns: MKTOWS_NS } }, oldestUpdatedAt: t0.toISOString() };
    // New leads (some with an original's address), and updates of leads from before the window.
    const write = async (n: number) => {
      if (n % 2 === 0) await writerDriver.createDuplicates([{ email: `new${n}@example.com` }, { email: `orig${n % ORIGINAL_LEADS}@example.com` }]);
      else await writerDriver.syncLead({ id: bystanders[n % bystanders.length], fields: { City: `City ${n}` } });
    };
    let writer: { stop(): Promise<number> } | undefined;

    const returned: number[] = [];
    let position = "";
    let pages = 0;
    let writesWhilePaging = 0;
    const countLeads = async () => Number(((await app.dataSource.query(`SELECT count(*) AS n FROM lead`)) as { n: string }[])[0].n);
    const leadsAtStart = await countLeads();
    try {
      for (;;) {
        const result = await call("getMultipleLeads", { leadSelector: selector, ...(position ? { streamPosition: position } : {}), batchSize: 100 });
        pages++;
        const records = list(rec(result.leadRecordList).leadRecord);
        expect(Number(result.returnCount)).toBe(records.length);
        expect(records.length).toBeLessThanOrEqual(100);
        returned.push(...records.map((r) => Number(rec(r).Id)));
        position = str(result.newStreamPosition);
        // The window's end is fixed by the first call; the writer starts after it.
        writer ??= startWriter(write);
        if (Number(result.remainingCount) === 0) {
          expect(position).toBe("");
          break;
        }
        expect(position).not.toBe("");
        if (pages > 200) throw new Error("getMultipleLeads does not end");
        await pause(5); // let the writer in between pages
      }
      writesWhilePaging = (await countLeads()) - leadsAtStart;
    } finally {
      await writer?.stop();
    }

    expect(pages).toBeGreaterThanOrEqual(ORIGINAL_LEADS / 100);
    expect(writesWhilePaging).toBeGreaterThan(0);
    expect(repeated(returned)).toEqual([]);
    const got = new Set(returned);
    expect(originals.filter((id) => !got.has(id))).toEqual([]);
    // Nothing from before the window, though the writer moved those leads' update times.
    expect(returned.filter((id) => bystanders.includes(id))).toEqual([]);
    if (variant.standby) {
      const reads = await standbyReads(app.url);
      expect(reads.standby).toBeGreaterThanOrEqual(pages / 2);
      expect(reads.error).toBe(0);
    }
  });

  if (variant.changes) it("getLeadChanges (offset, batchSize 200) returns every activity row once while syncLead updates keep writing, and the new rows by the end", async () => {
    const activityIds = async (): Promise<number[]> => ((await app.dataSource.query(`SELECT id FROM activity ORDER BY id`)) as { id: string }[]).map((r) => Number(r.id));
    const atStart = await activityIds();
    expect(atStart.length).toBeGreaterThanOrEqual(ORIGINAL_LEADS);

    // Three writers, so that transactions commit out of the order of their activity ids.
    const writers = [0, 1, 2].map((w) => {
      const driver = w === 0 ? writerDriver : new LeadDriver(app);
      return startWriter(async (n) => {
        await driver.syncLead({ id: originals[(n * 7 + w * 811) % originals.length], fields: { Company: `Written ${w}-${n}` } });
      });
    });
    // And a slow transaction: its row takes an id, then commits after rows with later ids.
    writers.push(
      startWriter(async (n) => {
        await app.dataSource.transaction(async (m) => {
          const leadId = originals[(n * 13) % originals.length];
          await m.query(
            `INSERT INTO activity (lead_id, type_id, type_name, mktg_asset_name, attributes) VALUES ($1, 13, 'Change Data Value', 'Lead Score', $2::jsonb)`,
            [leadId, JSON.stringify([{ name: "Attribute Name", value: "Lead Score" }, { name: "Lead ID", value: String(leadId) }])],
          );
          await pause(100);
        });
      }),
    );
    const writer = { stop: async () => (await Promise.all(writers.map((x) => x.stop()))).reduce((a, b) => a + b, 0) };
    const returned: number[] = [];
    let offset = "";
    let pages = 0;
    let deadline = Date.now() + 60000;
    const page = async (): Promise<number> => {
      const startPosition = offset ? { offset } : { oldestCreatedAt: new Date(t0.getTime() - 3600000).toISOString() };
      const result = await call("getLeadChanges", { startPosition, batchSize: 200 });
      pages++;
      const records = list(rec(result.leadChangeRecordList).leadChangeRecord);
      expect(Number(result.returnCount)).toBe(records.length);
      expect(records.length).toBeLessThanOrEqual(200);
      returned.push(...records.map((r) => Number(rec(r).id)));
      const next = str(rec(result.newStartPosition).offset);
      if (next) offset = next;
      if (Date.now() > deadline) {
        const got = new Set(returned);
        const all = await activityIds();
        throw new Error(`getLeadChanges did not catch up in time: ${pages} pages, ${returned.length} rows, never returned: ${all.filter((id) => !got.has(id)).slice(0, 10).join(", ")}…`);
      }
      return Number(result.remainingCount);
    };

    let written = 0;
    try {
      // Page through what was there (the writers add rows meanwhile), until the stream is caught up.
      while ((await page()) > 0 || returned.length < atStart.length) await pause(5);
      // Then follow the tail while the writers go on: rows of transactions that commit out of id
      // order arrive here, where paging by id alone would skip them.
      const tailUntil = Date.now() + 2500;
      while (Date.now() < tailUntil) await page();
    } finally {
      written = await writer.stop();
    }
    expect(written).toBeGreaterThan(0);

    // After the writer stopped: poll until every row in the table has come through.
    const all = await activityIds();
    deadline = Date.now() + 20000;
    for (;;) {
      const remaining = await page();
      const got = new Set(returned);
      if (remaining === 0 && all.every((id) => got.has(id))) break;
      if (remaining === 0) await pause(50);
    }

    expect(repeated(returned)).toEqual([]);
    const got = new Set(returned);
    expect(atStart.filter((id) => !got.has(id))).toEqual([]);
    const newRows = all.filter((id) => !atStart.includes(id));
    expect(newRows.length).toBeGreaterThanOrEqual(written);
    expect(newRows.filter((id) => !got.has(id))).toEqual([]);
    expect([...got].sort((a, b) => a - b)).toEqual(all);
  });
}
