import type { MigrationInterface, QueryRunner } from "typeorm";
import { CREATE_MASTERS_V1, lockForWriteSql } from "./1764200000000-lock-for-write";

/**
 * lock_for_write fills in a master row's address when the row has none and a write brings it:
 * a one-click link can unsubscribe an address by its hash alone (the token carries no
 * plaintext), and the suppression export and the webhook need the address once a lead (or a
 * link made by address) names it. Rows are inserted in hash order, so the row locks this takes
 * follow the one lock order of every writer.
 */
export const CREATE_MASTERS_V2 = `        INSERT INTO email_status (email_hash, email)
        SELECT h, e FROM unnest(hashes, emails) AS t(h, e) ORDER BY h
        ON CONFLICT (email_hash) DO UPDATE SET email = EXCLUDED.email
         WHERE email_status.email = '' AND EXCLUDED.email <> '';`;

export class AddressPlaintext1764230000000 implements MigrationInterface {
  name = "AddressPlaintext1764230000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(lockForWriteSql("CREATE OR REPLACE", CREATE_MASTERS_V2));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(lockForWriteSql("CREATE OR REPLACE", CREATE_MASTERS_V1));
  }
}
