import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * ui_session_revocation: web UI sessions ended by logout before their time. A session is a
 * signed cookie (no server state), so logout writes its nonce here and every process refuses
 * it until it would have expired anyway; older rows are removed on the next logout.
 *
 * sfdc_kept_notification: Salesforce notifications that can never apply (a NUL byte, a value
 * that is not a boolean or a date, another sObject type, a lead write the rules refuse). They
 * are acknowledged, so that Salesforce does not retry them for 24 hours, and kept here for an
 * operator (GET /admin/api/sfdc/kept-notifications). The excerpt shows the values with control
 * characters escaped (PostgreSQL text cannot hold NUL).
 */
export class Hardening1764210000000 implements MigrationInterface {
  name = "Hardening1764210000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ui_session_revocation (nonce text PRIMARY KEY, expires_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX ui_session_revocation_expires_idx ON ui_session_revocation (expires_at)`);
    await q.query(`
      CREATE TABLE sfdc_kept_notification (
        id              bigserial PRIMARY KEY,
        notification_id text UNIQUE,
        sobject_id      text,
        sobject_type    text,
        reason          text NOT NULL,
        excerpt         text NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS sfdc_kept_notification, ui_session_revocation`);
  }
}
