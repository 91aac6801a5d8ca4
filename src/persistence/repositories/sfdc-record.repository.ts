import type { EntityManager } from "typeorm";
import type { KeptNotification, SfdcRecordRepository } from "../../domain/sfdc-ports";
import type { UnusableNotification } from "../../domain/sfdc-sync.service";
import type { SfdcRecordState } from "../../domain/sfdc-sync.policy";
import { rowsOf } from "./lead.repository";

/**
 * Records a Notification Id as processed; RETURNING gives no row when it was there already.
 * A concurrent insert of the same id waits on the primary key until the other transaction ends.
 * Called by SfdcSyncService first thing in each notification's transaction.
 */
const MARK_PROCESSED = `
  INSERT INTO sfdc_notification (notification_id, sobject_id) VALUES ($1, $2)
  ON CONFLICT (notification_id) DO NOTHING
  RETURNING notification_id`;

/** Creates the record's row when missing (seen_at NULL: a placeholder), so that it can be locked. */
const ENSURE_RECORD = `
  INSERT INTO sfdc_record (sobject_id, sobject_type) VALUES ($1, $2)
  ON CONFLICT (sobject_id) DO NOTHING`;

/** The last values seen, locking the row: notifications for one record apply one at a time. */
const LOCK_RECORD = `
  SELECT opted_out, email_hash, modified_at, seen_at FROM sfdc_record WHERE sobject_id = $1 FOR UPDATE`;

/** Stores what a notification leaves as the last values seen. Called by SfdcSyncService after the lead write. */
const SAVE_RECORD = `
  UPDATE sfdc_record
     SET opted_out = $2, email_hash = $3, modified_at = $4, last_notification_id = $5, seen_at = now()
   WHERE sobject_id = $1`;

/** Texts are stored with control characters escaped: PostgreSQL text cannot hold NUL. */
const KEEP = `
  INSERT INTO sfdc_kept_notification (notification_id, sobject_id, sobject_type, reason, excerpt) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (notification_id) DO NOTHING
  RETURNING id`;

const KEPT = `
  SELECT notification_id, sobject_id, sobject_type, reason, excerpt, received_at
    FROM sfdc_kept_notification ORDER BY id DESC LIMIT $1`;

export class SqlSfdcRecordRepository implements SfdcRecordRepository {
  constructor(private readonly manager: EntityManager) {}

  async markProcessed(notificationId: string, sobjectId: string): Promise<boolean> {
    return rowsOf(await this.manager.query(MARK_PROCESSED, [notificationId, sobjectId])).length > 0;
  }

  async lock(sobjectId: string, sobjectType: string): Promise<SfdcRecordState | null> {
    await this.manager.query(ENSURE_RECORD, [sobjectId, sobjectType]);
    const [row] = rowsOf(await this.manager.query(LOCK_RECORD, [sobjectId]));
    if (!row || row.seen_at === null) return null;
    return {
      optedOut: row.opted_out === null ? null : row.opted_out === true,
      emailHash: (row.email_hash as string | null) ?? null,
      modifiedAt: row.modified_at ? new Date(row.modified_at as string | Date) : null,
    };
  }

  async save(sobjectId: string, state: SfdcRecordState, notificationId: string): Promise<void> {
    await this.manager.query(SAVE_RECORD, [sobjectId, state.optedOut, state.emailHash, state.modifiedAt, notificationId]);
  }

  async keep(n: UnusableNotification): Promise<boolean> {
    const params = [n.notificationId ?? null, n.sobjectId ?? null, n.sobjectType ?? null, n.problem, n.excerpt].map((v) => (v === null ? null : printable(v).slice(0, 4000)));
    return rowsOf(await this.manager.query(KEEP, params)).length > 0;
  }

  async kept(limit: number): Promise<KeptNotification[]> {
    return rowsOf(await this.manager.query(KEPT, [limit])).map((r) => ({
      notificationId: (r.notification_id as string | null) ?? null,
      sobjectId: (r.sobject_id as string | null) ?? null,
      sobjectType: (r.sobject_type as string | null) ?? null,
      reason: String(r.reason),
      excerpt: String(r.excerpt),
      receivedAt: new Date(r.received_at as string | Date),
    }));
  }
}

/** Control characters and lone surrogates as \uXXXX, so any received text can be stored and shown. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  return text.replace(/[\u0000-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
