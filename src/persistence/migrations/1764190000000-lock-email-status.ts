import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * lock_email_status(hashes, emails): the master rows of these addresses, created (subscribed)
 * where missing and locked FOR UPDATE in hash order, in one round trip instead of two. Every
 * lead write takes these locks first, so this is on the hot path of every write.
 */
export class LockEmailStatus1764190000000 implements MigrationInterface {
  name = "LockEmailStatus1764190000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION lock_email_status(hashes text[], emails text[])
        RETURNS SETOF email_status LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO email_status (email_hash, email)
        SELECT h, e FROM unnest(hashes, emails) AS t(h, e)
        ON CONFLICT (email_hash) DO NOTHING;
        RETURN QUERY SELECT * FROM email_status WHERE email_hash = ANY(hashes) ORDER BY email_hash FOR UPDATE;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS lock_email_status(text[], text[])`);
  }
}
