import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The Salesforce sync channel (SPEC §4, §6). Salesforce outbound messages carry a record's
 * current values, not what changed, so the last values seen per Salesforce record are kept
 * here and a notification acts only on what differs from them. Processed Notification Ids are
 * kept so that a redelivered notification is applied once.
 *
 * sfdc_record.sobject_id is the 18-character form of the record id. The email is kept as its
 * keyed hash (the master table's email_hash), never as plaintext, so erasure has nothing to
 * blank here. A row with seen_at NULL is a placeholder a notification's transaction created
 * to lock on; it never commits in that state.
 */
export class SfdcSync1764180000000 implements MigrationInterface {
  name = "SfdcSync1764180000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sfdc_record (
        sobject_id           text PRIMARY KEY,
        sobject_type         text NOT NULL,
        opted_out            boolean,
        email_hash           text,
        modified_at          timestamptz,
        last_notification_id text,
        seen_at              timestamptz
      )`);
    await q.query(`
      CREATE TABLE sfdc_notification (
        notification_id text PRIMARY KEY,
        sobject_id      text NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sfdc_notification_received_idx ON sfdc_notification (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS sfdc_notification, sfdc_record`);
  }
}
