/**
 * Loads benchmark data straight into lead / email_status / activity with bulk statements
 * (unnest of arrays, 10,000 rows a transaction): master rows first, then the leads and their
 * New Lead activities, so the deferred invariant triggers check every row at COMMIT.
 * The email key and its HMAC are computed here in JS with the server's own functions.
 */
import { createHmac } from "node:crypto";
import type { Pool } from "pg";
import { emailKey } from "../src/domain/email";
import { ActivityTypes, Channels } from "../src/domain/types";

const ENSURE_MASTERS = `
  INSERT INTO email_status (email_hash, email)
  SELECT DISTINCT ON (h) h, e FROM unnest($1::text[], $2::text[]) AS t(h, e) ORDER BY h
  ON CONFLICT (email_hash) DO NOTHING`;

/** The New Lead activity exactly as newLeadRow() writes it. */
const ACTIVITY_OF_INSERTED = (typeId: number) => `
  INSERT INTO activity (lead_id, type_id, type_name, attributes, email_hash, created_at)
  SELECT id, ${typeId}, '${ActivityTypes.newLead.name}', jsonb_build_array(
           jsonb_build_object('name', 'Source Type', 'value', $6::text),
           jsonb_build_object('name', 'Source Info', 'value', $7::text),
           jsonb_build_object('name', 'Created Date', 'value', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')),
           jsonb_build_object('name', 'Lead ID', 'value', id::text)),
         email_hash, created_at
    FROM ins`;

/** Leads with the status of their master row (looked up in SQL), plus their activities. */
export const INSERT_LEADS = `
  WITH ins AS (
    INSERT INTO lead (email, email_key, email_hash, partition_id, unsubscribed, fields)
    SELECT t.e, t.k, t.h, $5, COALESCE(s.unsubscribed, false), t.f::jsonb
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(e, k, h, f, n)
      LEFT JOIN email_status s ON s.email_hash = t.h
     ORDER BY t.n
    RETURNING id, email_hash, created_at)
  ${ACTIVITY_OF_INSERTED(ActivityTypes.newLead.id)}`;

export interface Row {
  readonly email: string;
  readonly fields: Record<string, string>;
}

export interface Group {
  readonly k: number;
  readonly email: string;
  readonly hash: string;
  /** The lead whose unsubscribe is timed. */
  readonly leadId: number;
}

export const uniqueEmail = (n: number) => `u${n}@bench.example.com`;
export const fieldsFor = (n: number): Record<string, string> => ({ FirstName: `First${n}`, LastName: `Last${n}`, Company: `Company ${n % 997}` });

export class Dataset {
  /** Unique leads u0 … u(uniqueCount-1) exist. */
  uniqueCount = 0;
  readonly groups = new Map<number, Group>();

  constructor(
    private readonly pool: Pool,
    private readonly hashKey: string,
    readonly partitionId: number,
  ) {}

  hash(email: string): string {
    return createHmac("sha256", this.hashKey)
      .update(emailKey(email) as string, "utf8")
      .digest("hex");
  }

  /** Inserts rows (any order, duplicates allowed) in one transaction. */
  async insert(rows: Row[]): Promise<void> {
    const emails = rows.map((r) => r.email);
    const keys = emails.map((e) => emailKey(e) as string);
    const hashes = keys.map((k) => createHmac("sha256", this.hashKey).update(k, "utf8").digest("hex"));
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(ENSURE_MASTERS, [hashes, emails]);
      await client.query(INSERT_LEADS, [emails, keys, hashes, rows.map((r) => JSON.stringify(r.fields)), this.partitionId, Channels.soap.source, Channels.soap.reason]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async leadCount(): Promise<number> {
    return Number((await this.pool.query(`SELECT count(*)::int AS n FROM lead`)).rows[0].n);
  }

  /**
   * Grows the database to `target` leads. The first call also creates the shared-address
   * groups (k leads each), shuffled among the first unique leads.
   */
  async grow(target: number, groupSizes: number[], log: (m: string) => void): Promise<void> {
    const started = Date.now();
    let total = await this.leadCount();
    const from = total;
    if (this.groups.size === 0 && groupSizes.length > 0) {
      const rows: Row[] = [];
      for (const k of groupSizes) for (let i = 0; i < k; i++) rows.push({ email: `shared-k${k}@bench.example.com`, fields: { FirstName: `Shared${i}`, LastName: `K${k}` } });
      const fill = Math.max(0, Math.min(target - total - rows.length, 10000));
      for (let i = 0; i < fill; i++) rows.push({ email: uniqueEmail(this.uniqueCount + i), fields: fieldsFor(this.uniqueCount + i) });
      shuffle(rows);
      await this.insert(rows);
      this.uniqueCount += fill;
      for (const k of groupSizes) {
        const email = `shared-k${k}@bench.example.com`;
        const hash = this.hash(email);
        const r = await this.pool.query(`SELECT min(id) AS id, count(*)::int AS n FROM lead WHERE email_hash = $1`, [hash]);
        if (r.rows[0].n !== k) throw new Error(`group k=${k} has ${r.rows[0].n} leads`);
        this.groups.set(k, { k, email, hash, leadId: Number(r.rows[0].id) });
      }
      total += rows.length;
    }
    const chunk = 10000;
    let lastLog = Date.now();
    while (total < target) {
      const n = Math.min(chunk, target - total);
      const rows: Row[] = [];
      for (let i = 0; i < n; i++) rows.push({ email: uniqueEmail(this.uniqueCount + i), fields: fieldsFor(this.uniqueCount + i) });
      await this.insert(rows);
      this.uniqueCount += n;
      total += n;
      if (Date.now() - lastLog > 15000) {
        log(`  … ${total.toLocaleString("en")} leads`);
        lastLog = Date.now();
      }
    }
    const loaded = Date.now();
    await this.pool.query(`VACUUM ANALYZE lead`);
    await this.pool.query(`VACUUM ANALYZE email_status`);
    await this.pool.query(`VACUUM ANALYZE activity`);
    log(`  ${from.toLocaleString("en")} → ${total.toLocaleString("en")} leads: loaded in ${((loaded - started) / 1000).toFixed(1)} s, VACUUM ANALYZE ${((Date.now() - loaded) / 1000).toFixed(1)} s`);
  }
}

function shuffle<T>(a: T[]): void {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
