import type { EntityManager } from "typeorm";
import type { SfdcRecordRepository } from "../../domain/sfdc-ports";
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
}
