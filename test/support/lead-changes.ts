/**
 * getLeadChanges returns only rows of transactions that have ended, below the reading snapshot's
 * xmin (commit-order paging, migration 1764150000000). Transaction ids are cluster-wide, so a
 * write transaction running in another database of the same PostgreSQL server delays (never
 * loses) new rows. Tests that expect exact rows wait here until every row written is visible.
 */
import { rowsOf, type Queryable } from "./invariant";

const ALL_VISIBLE = `SELECT NOT EXISTS (SELECT 1 FROM activity WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())) AS ok`;

export async function waitForChangesVisible(db: Queryable, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = rowsOf<{ ok: boolean }>(await db.query(ALL_VISIBLE));
    if (rows[0]?.ok) return;
    if (Date.now() > deadline) throw new Error(`activity rows stayed invisible to getLeadChanges for ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
