/**
 * A big syncMultipleLeads batch whose records share addresses (several leads per address) and
 * unsubscribe some of them, and the check that the database holds exactly its first k records,
 * each wholly applied: lead, New Lead activity, master status and history, propagation to the
 * other leads of its address with their activity rows. Used where a batch is cut short: a
 * SIGKILL (crash-safety) or the end of the shutdown drain (graceful-shutdown).
 */
import type { Client } from "pg";
import { prng } from "./concurrent-workload";
import { envelope } from "./test-app";

export interface BatchRecord {
  readonly index: number;
  readonly foreignId: string;
  readonly email: string;
  readonly unsubscribe: boolean;
}

/** Records with shared addresses (several leads per address) and unsubscribes among them. */
export function makeBatch(seed: number, records: number, addressCount = Math.ceil(records / 6)): BatchRecord[] {
  const rnd = prng(seed);
  return Array.from({ length: records }, (_, index) => {
    const n = Math.floor(rnd() * addressCount);
    // Spellings that share one email key.
    const email = rnd() < 0.7 ? `batch${n}@example.com` : `Batch${n}@Example.COM`;
    return { index, foreignId: `batch-rec-${index}`, email, unsubscribe: rnd() < 0.15 };
  });
}

const keyOf = (email: string) => email.trim().toLowerCase();

/**
 * dedupEnabled=false: a record matches only by its foreign id, so each record is its own lead and
 * sending the batch again updates the leads it already made. Records never send
 * Unsubscribed=false, which on an existing lead would be a re-subscribe.
 */
export function batchXml(records: readonly BatchRecord[]): string {
  const items = records.map(
    (r) =>
      `<leadRecord><Email>${r.email}</Email><ForeignSysPersonId>${r.foreignId}</ForeignSysPersonId><ForeignSysType>CUSTOM</ForeignSysType>` +
      `<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>R${r.index}</attrValue></attribute>` +
      (r.unsubscribe ? `<attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>` : "") +
      `</leadAttributeList></leadRecord>`,
  );
  return envelope(`<ns1:paramsSyncMultipleLeads><leadRecordList>${items.join("")}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`);
}

export async function postBatch(url: string, records: readonly BatchRecord[], signal?: AbortSignal): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: batchXml(records), signal });
  return { status: res.status, body: await res.text() };
}

interface LeadRow {
  id: number;
  foreign_sys_person_id: string;
  email_key: string;
  unsubscribed: boolean;
  first_name: string | null;
}

/**
 * Checks the database against the batch's first `k` records applied in order: the expected
 * leads, flags, activities, master rows and history, and nothing else. Returns problems.
 */
export async function checkPrefix(db: Client, batch: readonly BatchRecord[], k: number): Promise<string[]> {
  const problems: string[] = [];
  const leads = (
    await db.query<LeadRow>(`SELECT id, foreign_sys_person_id, email_key, unsubscribed, fields->>'FirstName' AS first_name FROM lead ORDER BY id`)
  ).rows;
  const byForeign = new Map(leads.map((l) => [l.foreign_sys_person_id, l]));
  if (leads.length !== k) problems.push(`${leads.length} leads, expected ${k}`);

  // The model: an address is unsubscribed once any applied record unsubscribed it (D1); every
  // lead of it follows (D1 fan-out, D3 on create).
  const unsubscribedBy = new Map<string, BatchRecord>();
  for (const r of batch.slice(0, k)) if (r.unsubscribe && !unsubscribedBy.has(keyOf(r.email))) unsubscribedBy.set(keyOf(r.email), r);

  const activities = (
    await db.query<{ lead_id: number; type_id: number; asset: string; n: number }>(
      `SELECT lead_id, type_id, mktg_asset_name AS asset, count(*)::int AS n FROM activity GROUP BY lead_id, type_id, mktg_asset_name`,
    )
  ).rows;
  const activityCount = (leadId: number, typeId: number, asset?: string) =>
    activities.filter((a) => a.lead_id === leadId && a.type_id === typeId && (asset === undefined || a.asset === asset)).reduce((s, a) => s + a.n, 0);

  for (const r of batch) {
    const lead = byForeign.get(r.foreignId);
    if (r.index >= k) {
      if (lead) problems.push(`record ${r.index} is there although record(s) before it are not (lead ${lead.id})`);
      continue;
    }
    if (!lead) {
      problems.push(`record ${r.index} is missing although record ${k - 1} is there`);
      continue;
    }
    const unsubscribed = unsubscribedBy.has(keyOf(r.email));
    if (lead.email_key !== keyOf(r.email)) problems.push(`record ${r.index}: email key ${lead.email_key}, expected ${keyOf(r.email)}`);
    if (lead.first_name !== `R${r.index}`) problems.push(`record ${r.index}: FirstName ${lead.first_name}`);
    if (lead.unsubscribed !== unsubscribed) problems.push(`record ${r.index}: Unsubscribed=${lead.unsubscribed}, expected ${unsubscribed}`);
    if (activityCount(lead.id, 12) !== 1) problems.push(`record ${r.index}: ${activityCount(lead.id, 12)} New Lead activities`);
    // One Change Data Value on Unsubscribed for a lead that is unsubscribed (its own, D3's or the fan-out's), none otherwise.
    const cdv = activityCount(lead.id, 13, "Unsubscribed");
    if (cdv !== (unsubscribed ? 1 : 0)) problems.push(`record ${r.index}: ${cdv} Unsubscribed change activities, expected ${unsubscribed ? 1 : 0}`);
  }
  const leadIds = new Set(leads.map((l) => l.id));
  const stray = activities.filter((a) => !leadIds.has(a.lead_id));
  if (stray.length) problems.push(`${stray.length} activity groups of leads that do not exist`);

  const masters = (await db.query<{ email: string; unsubscribed: boolean; lead_id: number | null }>(`SELECT email, unsubscribed, lead_id FROM email_status`)).rows;
  const history = (
    await db.query<{ email: string; unsubscribed: boolean; lead_id: number | null }>(`SELECT h.email, h.unsubscribed, h.lead_id FROM email_status_history h ORDER BY h.id`)
  ).rows;
  const addresses = new Set(batch.slice(0, k).map((r) => keyOf(r.email)));
  const masterKeys = new Set(masters.map((m) => keyOf(m.email)));
  for (const a of addresses) if (!masterKeys.has(a)) problems.push(`address ${a} has leads but no master row`);
  for (const m of masters) {
    const a = keyOf(m.email);
    if (!addresses.has(a)) problems.push(`master row for ${a}, which no applied record names`);
    const first = unsubscribedBy.get(a);
    if (m.unsubscribed !== !!first) problems.push(`master ${a}: unsubscribed=${m.unsubscribed}, expected ${!!first}`);
    const rows = history.filter((h) => keyOf(h.email) === a);
    if (!first) {
      if (rows.length) problems.push(`master ${a}: ${rows.length} history rows, expected none`);
      continue;
    }
    const causeId = byForeign.get(first.foreignId)?.id;
    if (rows.length !== 1 || !rows[0].unsubscribed || rows[0].lead_id !== causeId) {
      problems.push(`master ${a}: history ${JSON.stringify(rows)}, expected one unsubscribe caused by lead ${causeId} (record ${first.index})`);
    }
  }
  return problems;
}

/**
 * How many leads the server has started to insert: lead_id_seq advances outside transactions, so
 * this shows a batch's progress even while nothing of it is committed.
 */
export async function leadsStarted(db: Client): Promise<number> {
  const row = (await db.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM lead_id_seq`)).rows[0];
  return row.is_called ? Number(row.last_value) : 0;
}

/** Waits until the server has started to insert `n` more leads than `from` (the batch is surely in flight). */
export async function untilStarted(db: Client, n: number, from = 0, timeoutMs = 60000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = (await leadsStarted(db)) - from;
    if (started >= n || Date.now() > deadline) return started;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Holds a batch in the middle of its apply step, deterministically: `locker` (a connection of its
 * own) takes an EXCLUSIVE lock on the activity table, so a unit of work that has inserted its
 * leads waits at its activity insert, uncommitted. `release()` lets it go on.
 */
export async function holdActivityInserts(locker: Client): Promise<{ release(): Promise<void> }> {
  await locker.query("BEGIN");
  await locker.query("LOCK TABLE activity IN EXCLUSIVE MODE");
  return {
    async release() {
      await locker.query("COMMIT");
    },
  };
}

/** Waits until some session of the server waits on a lock (the held batch reached it). */
export async function untilWaitingOnLock(db: Client, timeoutMs = 60000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n;
    if (n > 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
