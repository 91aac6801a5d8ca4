/**
 * The invariant of SPEC §2, checked in SQL against whatever the database holds right now:
 * every lead with an email key agrees with the master status of that key (a missing master
 * row counts as subscribed), and every lead's email_hash has its master row.
 */
/** A DataSource, an EntityManager, a pg Client, or anything else that runs SQL. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface InvariantViolation {
  readonly leadId: number;
  readonly emailHash: string;
  readonly leadUnsubscribed: boolean;
  /** null: the lead's email_hash has no master row. */
  readonly masterUnsubscribed: boolean | null;
}

const VIOLATIONS = `
  SELECT l.id AS lead_id, l.email_hash, l.unsubscribed AS lead_unsubscribed, s.unsubscribed AS master_unsubscribed
    FROM lead l
    LEFT JOIN email_status s ON s.email_hash = l.email_hash
   WHERE l.email_hash IS NOT NULL
     AND (s.email_hash IS NULL OR l.unsubscribed IS DISTINCT FROM COALESCE(s.unsubscribed, false))
   ORDER BY l.id`;

/** The rows of a query result: TypeORM answers with the rows, a pg Client with { rows }. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows)) return rows as T[];
  throw new Error("not a query result: neither an array of rows nor { rows }");
}

export async function findInvariantViolations(db: Queryable): Promise<InvariantViolation[]> {
  const rows = rowsOf(await db.query(VIOLATIONS));
  return rows.map((r) => ({
    leadId: Number(r.lead_id),
    emailHash: String(r.email_hash),
    leadUnsubscribed: r.lead_unsubscribed === true,
    masterUnsubscribed: r.master_unsubscribed === null ? null : r.master_unsubscribed === true,
  }));
}

/** Throws (listing the first offenders) when any lead disagrees with its master row or has none. */
export async function assertInvariant(db: Queryable): Promise<void> {
  const violations = await findInvariantViolations(db);
  if (violations.length === 0) return;
  const shown = violations
    .slice(0, 10)
    .map((v) =>
      v.masterUnsubscribed === null
        ? `lead ${v.leadId}: email_hash ${v.emailHash.slice(0, 12)}… has no master row`
        : `lead ${v.leadId}: Unsubscribed=${v.leadUnsubscribed} but its address has ${v.masterUnsubscribed}`,
    )
    .join("\n  ");
  throw new Error(`durable-unsubscribe invariant violated by ${violations.length} lead(s):\n  ${shown}`);
}
