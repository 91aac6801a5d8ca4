import type { MigrationInterface, QueryRunner } from "typeorm";
import { CREATE_MASTERS_V1, lockForWriteSql } from "./1764200000000-lock-for-write";

/**
 * lock_for_write fills in a master row's address when the row has none and a write brings it:
 * a one-click link can unsubscribe an address by its hash alone (the token carries no
 * plaintext), and the suppression export and the webhook need the address once a lead (or a
 * link made by address) names it. The rows are updated after the function has locked every
 * master row of the unit (in hash order), so this takes no lock of its own: an
 * `INSERT … ON CONFLICT DO UPDATE` would lock the requested rows before the others and break
 * the one lock order (measured: deadlocks under the concurrent workload). The returned master
 * rows may still show '' for such an address; every later step reads the row itself. An erased
 * address stays without its plaintext.
 */
export const FILL_ADDRESSES = `

        UPDATE email_status m SET email = t.e
          FROM unnest(hashes, emails) AS t(h, e)
         WHERE m.email_hash = t.h AND m.email = '' AND t.e <> '' AND m.reason IS DISTINCT FROM 'erased';`;

export class AddressPlaintext1764230000000 implements MigrationInterface {
  name = "AddressPlaintext1764230000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(lockForWriteSql("CREATE OR REPLACE", CREATE_MASTERS_V1, FILL_ADDRESSES));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(lockForWriteSql("CREATE OR REPLACE", CREATE_MASTERS_V1));
  }
}
