import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * webhook_outbox: every committed change of an address's status, for the sending system's
 * webhook (issue 14). A row is written by a trigger on email_status_history, so in the same
 * transaction as the change, whichever process or command (the import too) made it, while the
 * database's `webhook` setting is on (a process started with WEBHOOK_URL turns it on; the
 * admin API's DELETE /webhook turns it off). Rows are sent after commit: at least once, in id
 * order per address (a row is sent only when every older row of its address was delivered). A
 * process leases rows (leased_until, leased_by), so several processes never send one row at
 * the same time, and a crashed process's rows are taken again when the lease ends. Erasure
 * blanks `email` here as everywhere (the hash stays).
 */
export class WebhookOutbox1764220000000 implements MigrationInterface {
  name = "WebhookOutbox1764220000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE instance_setting (name text PRIMARY KEY, value text NOT NULL)`);
    await q.query(`
      CREATE TABLE webhook_outbox (
        id              bigserial PRIMARY KEY,
        event_id        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        email_hash      text NOT NULL,
        email           text NOT NULL,
        unsubscribed    boolean NOT NULL,
        at              timestamptz NOT NULL,
        channel         text NOT NULL,
        reason          text,
        source          text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        attempts        int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        leased_until    timestamptz,
        leased_by       uuid,
        delivered_at    timestamptz,
        last_error      text
      )`);
    await q.query(`CREATE INDEX webhook_outbox_pending_idx ON webhook_outbox (email_hash, id) WHERE delivered_at IS NULL`);
    await q.query(`CREATE INDEX webhook_outbox_pending_id_idx ON webhook_outbox (id) WHERE delivered_at IS NULL`);
    await q.query(`CREATE INDEX webhook_outbox_delivered_idx ON webhook_outbox (delivered_at) WHERE delivered_at IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION webhook_outbox_from_history() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM instance_setting WHERE name = 'webhook' AND value = 'on') THEN
          INSERT INTO webhook_outbox (email_hash, email, unsubscribed, channel, reason, source, at)
          SELECT n.email_hash, CASE WHEN n.email = '' THEN coalesce(m.email, '') ELSE n.email END,
                 n.unsubscribed, n.channel, n.reason, n.source, n.at
            FROM new_rows n LEFT JOIN email_status m ON m.email_hash = n.email_hash
           ORDER BY n.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER webhook_outbox_from_history AFTER INSERT ON email_status_history
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_from_history()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS webhook_outbox_from_history ON email_status_history`);
    await q.query(`DROP FUNCTION IF EXISTS webhook_outbox_from_history()`);
    await q.query(`DROP TABLE IF EXISTS webhook_outbox, instance_setting`);
  }
}
