import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The rest of the SOAP surface: custom lead fields, static lists, campaigns, and a commit-order
 * key on activities so getLeadChanges can page without losing rows of transactions that
 * commit out of id order.
 *
 * activity.tx_id is the writing transaction's id. A reader returns only rows whose tx_id is below
 * a horizon under which every writer of this database has ended (stream.repository.ts), ordered
 * by (tx_id, id): a transaction still running has a larger tx_id than anything returned, so its
 * rows sort after the position.
 */
export class Surface1764150000000 implements MigrationInterface {
  name = "Surface1764150000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE activity ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX activity_tx_idx ON activity (tx_id, id)`);

    await q.query(`
      CREATE TABLE lead_field (
        name         text PRIMARY KEY,
        attr_type    text NOT NULL,
        display_name text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE static_list (
        id           serial PRIMARY KEY,
        program_name text NOT NULL DEFAULT '',
        name         text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (program_name, name)
      )`);
    await q.query(`
      CREATE TABLE static_list_member (
        list_id  integer NOT NULL REFERENCES static_list (id) ON DELETE CASCADE,
        lead_id  integer NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (list_id, lead_id)
      )`);
    await q.query(`CREATE INDEX static_list_member_lead_idx ON static_list_member (lead_id)`);

    await q.query(`
      CREATE TABLE campaign (
        id           serial PRIMARY KEY,
        program_name text NOT NULL,
        name         text NOT NULL,
        description  text NOT NULL DEFAULT '',
        steps        jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (program_name, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS campaign, static_list_member, static_list, lead_field`);
    await q.query(`DROP INDEX IF EXISTS activity_tx_idx`);
    await q.query(`ALTER TABLE activity DROP COLUMN IF EXISTS tx_id`);
  }
}
