/**
 * The database guard (migration 1764140000000): writes that bypass the lead subscriber cannot
 * break the invariant. Deferred constraint triggers refuse, at COMMIT, any transaction that
 * leaves a lead disagreeing with its master row (SQLSTATE MK001); master rows cannot be deleted
 * (MK002); TypeORM's partial writes (repository update/insert/delete, QueryBuilder with
 * listeners) are refused by the subscriber before any SQL runs. The guard raises, it never
 * coerces: a legitimate re-subscribe still works afterwards.
 */
import type { DataSource } from "typeorm";
import { InvalidWriteError } from "../../src/domain/errors";
import { LeadEntity } from "../../src/persistence/entities/lead.entity";
import { sqlStateOf } from "../../src/persistence/transaction-runner";
import { assertInvariant, findInvariantViolations } from "../support/invariant";
import { envelope, startTestApp, type TestApp } from "../support/test-app";

const ADDRESS = "guard@example.com";
const OTHER = "other-guard@example.com";

/** The error a promise rejects with; fails the test when it resolves. */
async function refusal(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("the write was accepted, but the guard should have refused it");
}

async function leadRow(ds: DataSource, id: number): Promise<{ unsubscribed: boolean; email: string; email_hash: string } | undefined> {
  const rows = (await ds.query(`SELECT unsubscribed, email, email_hash FROM lead WHERE id = $1`, [id])) as { unsubscribed: boolean; email: string; email_hash: string }[];
  return rows[0];
}

async function masterOf(ds: DataSource, hash: string): Promise<boolean | undefined> {
  const rows = (await ds.query(`SELECT unsubscribed FROM email_status WHERE email_hash = $1`, [hash])) as { unsubscribed: boolean }[];
  return rows[0]?.unsubscribed;
}

async function count(ds: DataSource, table: "lead" | "email_status"): Promise<number> {
  const rows = (await ds.query(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[];
  return rows[0].n;
}

describe("the database guard refuses writes that bypass the rules", () => {
  let app: TestApp;
  let ds: DataSource;
  let first: number;
  let second: number;
  let otherId: number;
  let hash: string;
  let otherHash: string;

  const soap = async (body: string): Promise<string> => {
    const res = await app.postSoap("2_2", envelope(body));
    if (res.status !== 200) throw new Error(`SOAP call failed: ${res.body}`);
    return res.body;
  };

  beforeAll(async () => {
    app = await startTestApp();
    ds = app.dataSource;
    // Two leads with one address (dedupEnabled=false), unsubscribed through one of them (D1), and
    // a subscribed lead with another address.
    const created = await soap(
      `<ns1:paramsSyncMultipleLeads><leadRecordList>` +
        `<leadRecord><Email>${ADDRESS}</Email></leadRecord><leadRecord><Email>${ADDRESS.toUpperCase()}</Email></leadRecord>` +
        `<leadRecord><Email>${OTHER}</Email></leadRecord>` +
        `</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
    );
    [first, second, otherId] = [...created.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => Number(m[1]));
    await soap(
      `<ns1:paramsSyncLead><leadRecord><Id>${first}</Id><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord></ns1:paramsSyncLead>`,
    );
    hash = (await leadRow(ds, first))!.email_hash;
    otherHash = (await leadRow(ds, otherId))!.email_hash;
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);
    expect(await masterOf(ds, hash)).toBe(true);
    expect(await masterOf(ds, otherHash)).toBe(false);
  });
  afterEach(async () => {
    await assertInvariant(ds);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("assertInvariant itself sees a lead that disagrees (triggers switched off inside a rolled-back transaction)", async () => {
    const error = await refusal(
      ds.transaction(async (m) => {
        await m.query(`SET LOCAL session_replication_role = replica`); // user triggers do not fire
        await m.query(`UPDATE lead SET unsubscribed = false WHERE id = $1`, [second]);
        expect(await findInvariantViolations(m)).toEqual([{ leadId: second, emailHash: hash, leadUnsubscribed: false, masterUnsubscribed: true }]);
        await expect(assertInvariant(m)).rejects.toThrow(/invariant violated by 1 lead/);
        throw new Error("roll back");
      }),
    );
    expect(String(error)).toContain("roll back");
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);
  });

  it("raw SQL UPDATE lead SET unsubscribed=false on an unsubscribed address fails at COMMIT with MK001; the row is unchanged", async () => {
    // Autocommit: the statement's own commit fails.
    const autocommit = await refusal(ds.query(`UPDATE lead SET unsubscribed = false WHERE id = $1`, [second]));
    expect(sqlStateOf(autocommit)).toBe("MK001");
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);

    // In a transaction: the UPDATE itself runs; the deferred check refuses the COMMIT.
    let seenInside: boolean | undefined;
    const atCommit = await refusal(
      ds.transaction(async (m) => {
        await m.query(`UPDATE lead SET unsubscribed = false WHERE email_hash = $1`, [hash]);
        const rows = (await m.query(`SELECT bool_or(unsubscribed) AS any FROM lead WHERE email_hash = $1`, [hash])) as { any: boolean }[];
        seenInside = rows[0].any;
      }),
    );
    expect(seenInside).toBe(false);
    expect(sqlStateOf(atCommit)).toBe("MK001");
    expect(String((atCommit as Error).message)).toMatch(/durable unsubscribe/);
    expect((await leadRow(ds, first))?.unsubscribed).toBe(true);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);
  });

  it("a TypeORM QueryBuilder update is refused: by the subscriber with listeners, by MK001 at COMMIT without", async () => {
    const withListeners = await refusal(
      ds.transaction((m) => m.createQueryBuilder().update(LeadEntity).set({ unsubscribed: false }).where("id = :id", { id: second }).execute()),
    );
    expect(withListeners).toBeInstanceOf(InvalidWriteError);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);

    const withoutListeners = await refusal(
      ds.transaction((m) => m.createQueryBuilder().update(LeadEntity).set({ unsubscribed: false }).where("id = :id", { id: second }).callListeners(false).execute()),
    );
    expect(sqlStateOf(withoutListeners)).toBe("MK001");
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);
  });

  it("a raw INSERT of a subscribed lead with an unsubscribed address's hash is refused", async () => {
    const before = await count(ds, "lead");
    const error = await refusal(
      ds.query(
        `INSERT INTO lead (email, email_key, email_hash, partition_id, unsubscribed)
         SELECT email, email_key, email_hash, partition_id, false FROM lead WHERE id = $1`,
        [first],
      ),
    );
    expect(sqlStateOf(error)).toBe("MK001");
    expect(await count(ds, "lead")).toBe(before);
  });

  it("a raw email change that skips D5 (an unsubscribed lead moved to a subscribed address) is refused", async () => {
    const error = await refusal(
      ds.query(`UPDATE lead SET email = l2.email, email_key = l2.email_key, email_hash = l2.email_hash FROM lead l2 WHERE lead.id = $1 AND l2.id = $2`, [second, otherId]),
    );
    expect(sqlStateOf(error)).toBe("MK001");
    expect((await leadRow(ds, second))?.email_hash).toBe(hash);
  });

  it("a lead cannot point at an address without a master row (foreign key)", async () => {
    const error = await refusal(ds.query(`UPDATE lead SET email_hash = 'no-such-master-row' WHERE id = $1`, [otherId]));
    expect(sqlStateOf(error)).toBe("23503");
    expect((await leadRow(ds, otherId))?.email_hash).toBe(otherHash);
  });

  it("UPDATE email_status SET unsubscribed=false without its leads is refused; so is unsubscribing a master alone", async () => {
    const resubscribe = await refusal(ds.query(`UPDATE email_status SET unsubscribed = false WHERE email_hash = $1`, [hash]));
    expect(sqlStateOf(resubscribe)).toBe("MK001");
    expect(await masterOf(ds, hash)).toBe(true);

    const unsubscribe = await refusal(ds.query(`UPDATE email_status SET unsubscribed = true WHERE email_hash = $1`, [otherHash]));
    expect(sqlStateOf(unsubscribe)).toBe("MK001");
    expect(await masterOf(ds, otherHash)).toBe(false);
  });

  it("DELETE FROM email_status is refused with MK002, also for an address whose leads are all gone", async () => {
    const orphan = await app.admin("POST", "/leads", { email: "orphan-guard@example.com", unsubscribed: true });
    expect(orphan.status).toBe(201);
    const orphanHash = (await leadRow(ds, orphan.body.id as number))!.email_hash;
    expect((await app.admin("DELETE", `/leads/${orphan.body.id}`)).status).toBe(204);

    const before = await count(ds, "email_status");
    const all = await refusal(ds.query(`DELETE FROM email_status`));
    expect(sqlStateOf(all)).toBe("MK002");
    const one = await refusal(ds.query(`DELETE FROM email_status WHERE email_hash = $1`, [orphanHash]));
    expect(sqlStateOf(one)).toBe("MK002");
    expect(await count(ds, "email_status")).toBe(before);
    expect(await masterOf(ds, orphanHash)).toBe(true);
  });

  it("repository.update() (no databaseEntity) is refused by the subscriber before any SQL runs, in or out of a transaction", async () => {
    const repo = ds.getRepository(LeadEntity);
    const outside = await refusal(repo.update(second, { unsubscribed: false }));
    expect(outside).toBeInstanceOf(InvalidWriteError);
    expect((outside as Error).message).toMatch(/without a plan/);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);

    const inside = await refusal(ds.transaction((m) => m.getRepository(LeadEntity).update({ emailHash: hash }, { unsubscribed: false })));
    expect(inside).toBeInstanceOf(InvalidWriteError);
    expect((await leadRow(ds, first))?.unsubscribed).toBe(true);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);
  });

  it("other TypeORM writes that do not say their channel are refused by the subscriber (save without intent, insert, delete by criteria)", async () => {
    const repo = ds.getRepository(LeadEntity);
    const loaded = (await repo.findOneBy({ id: second })) as LeadEntity;
    loaded.unsubscribed = false;
    expect(await refusal(repo.save(loaded))).toBeInstanceOf(InvalidWriteError);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(true);

    const before = await count(ds, "lead");
    const partition = ((await ds.query(`SELECT partition_id FROM lead WHERE id = $1`, [first])) as { partition_id: number }[])[0].partition_id;
    expect(await refusal(repo.insert({ email: ADDRESS, emailKey: ADDRESS, emailHash: hash, partitionId: partition, unsubscribed: false }))).toBeInstanceOf(
      InvalidWriteError,
    );
    expect(await refusal(repo.delete({ id: otherId }))).toBeInstanceOf(InvalidWriteError);
    expect(await count(ds, "lead")).toBe(before);
  });

  it("a legitimate re-subscribe through SOAP still works afterwards (the guard raises, it never coerces)", async () => {
    const body = await soap(
      `<ns1:paramsSyncLead><leadRecord><Email>${ADDRESS}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord></ns1:paramsSyncLead>`,
    );
    expect(body).toContain("<status>UPDATED</status>");
    expect((await leadRow(ds, first))?.unsubscribed).toBe(false);
    expect((await leadRow(ds, second))?.unsubscribed).toBe(false);
    expect(await masterOf(ds, hash)).toBe(false);
    const status = await app.admin("GET", `/email-status/${encodeURIComponent(ADDRESS)}`);
    expect(status.body.unsubscribed).toBe(false);
    expect((status.body.history as { unsubscribed: boolean }[]).map((h) => h.unsubscribed)).toEqual([false, true]);

    // And the raw write that was refused before is now a no-op agreement: it commits.
    await ds.query(`UPDATE lead SET unsubscribed = false WHERE id = $1`, [second]);
  });
});
