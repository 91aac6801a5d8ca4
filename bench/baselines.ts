/**
 * The plain-pg baselines run in the benchmark process: the same work as the server with no
 * HTTP, SOAP, TypeORM or rules engine in between.
 */
import type { Pool } from "pg";
import { emailKey } from "../src/domain/email";
import { ActivityTypes, Channels } from "../src/domain/types";
import type { Dataset, Row } from "./data";

const UPSERT_MASTER = `INSERT INTO email_status (email_hash, email) VALUES ($1, $2) ON CONFLICT (email_hash) DO NOTHING`;
const LOCK_MASTER = `SELECT unsubscribed FROM email_status WHERE email_hash = $1 FOR UPDATE`;
const INSERT_LEAD = `INSERT INTO lead (email, email_key, email_hash, partition_id, unsubscribed, fields) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id, created_at`;
const INSERT_ACTIVITY = `INSERT INTO activity (lead_id, type_id, type_name, attributes, email_hash, created_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)`;

/** syncLead creating a lead, by hand: upsert master row, lock it, insert lead, insert its New Lead activity. */
export async function plainSyncLead(pool: Pool, ds: Dataset, row: Row): Promise<void> {
  const key = emailKey(row.email) as string;
  const hash = ds.hash(row.email);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(UPSERT_MASTER, [hash, row.email]);
    const master = await client.query(LOCK_MASTER, [hash]);
    const lead = await client.query(INSERT_LEAD, [row.email, key, hash, ds.partitionId, master.rows[0].unsubscribed === true, JSON.stringify(row.fields)]);
    const id = Number(lead.rows[0].id);
    const createdAt = lead.rows[0].created_at as Date;
    const attributes = [
      { name: "Source Type", value: Channels.soap.source },
      { name: "Source Info", value: Channels.soap.reason },
      { name: "Created Date", value: createdAt.toISOString().slice(0, 10) },
      { name: "Lead ID", value: String(id) },
    ];
    await client.query(INSERT_ACTIVITY, [id, ActivityTypes.newLead.id, ActivityTypes.newLead.name, JSON.stringify(attributes), hash, createdAt]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A batch by hand: master rows, then one multi-row INSERT … SELECT of the leads (status looked up in SQL) and their activities. */
export async function plainBatch(ds: Dataset, rows: Row[]): Promise<void> {
  await ds.insert(rows);
}
