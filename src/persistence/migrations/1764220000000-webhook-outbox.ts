import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * webhook_outbox: every committed change of an address's status, for the sending system's
 * webhook (issue 14). A row is written by the write path's apply step in the same transaction
 * as the change (only while a process of the database has WEBHOOK_URL set), and sent after
 * commit: at least once, in id order per address (a row is sent only when every older row of
 * its address was delivered). A process takes rows with a lease (leased_until), so several
 * processes never send one row at the same time, and a crashed process's rows are taken again
 * when the lease ends. Erasure blanks `email` here as everywhere (the hash stays).
 */
export class WebhookOutbox1764220000000 implements MigrationInterface {
  name = "WebhookOutbox1764220000000";

  async up(q: QueryRunner): Promise<void> {
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
        delivered_at    timestamptz,
        last_error      text
      )`);
    await q.query(`CREATE INDEX webhook_outbox_pending_idx ON webhook_outbox (email_hash, id) WHERE delivered_at IS NULL`);
    await q.query(`CREATE INDEX webhook_outbox_delivered_idx ON webhook_outbox (delivered_at) WHERE delivered_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_outbox`);
  }
}
