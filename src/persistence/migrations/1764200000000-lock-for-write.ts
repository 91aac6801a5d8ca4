import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * lock_for_write(hashes, emails, lead_ids, foreign_types, foreign_ids): everything a unit of
 * work (LeadWriteService) needs to decide in memory, read under its locks, in one round trip:
 *
 * 1. the addresses of the leads named by id or foreign id join the requested ones;
 * 2. a subscribed master row is created for each requested address that has none, and every
 *    master row is locked FOR UPDATE in hash order (the one lock order of every writer);
 * 3. every lead named by id or foreign id is read and row-locked, in id order, and every lead
 *    with one of those addresses is read (the master locks already keep its writers out; a row
 *    lock each would cost a thousand-lead address a thousand tuple locks);
 *
 * Returns one row: the master rows, the named leads and the address's leads as JSON arrays (snake_case columns; json,
 * not jsonb: built as text, measured cheaper for a thousand leads). A named lead whose address
 * changed between 1 and 3 (another writer committed in between) comes back with an address not
 * among the masters: the caller retries the unit (SqlWriteStore.lockForWrite).
 * Replaces lock_email_status, which locked addresses only.
 */
export class LockForWrite1764200000000 implements MigrationInterface {
  name = "LockForWrite1764200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(lockForWriteSql("CREATE", CREATE_MASTERS_V1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS lock_for_write(text[], text[], int[], text[], text[])`);
  }
}

/** Step 2's insert as this migration made it: a missing master row is created subscribed. */
export const CREATE_MASTERS_V1 = `        INSERT INTO email_status (email_hash, email)
        SELECT h, e FROM unnest(hashes, emails) AS t(h, e)
        ON CONFLICT (email_hash) DO NOTHING;`;

/** The function's text, with its master-row insert given (a later migration changes only that). */
export function lockForWriteSql(create: "CREATE" | "CREATE OR REPLACE", createMasters: string, afterLock = ""): string {
  return `
      ${create} FUNCTION lock_for_write(hashes text[], emails text[], lead_ids int[], foreign_types text[], foreign_ids text[],
                                     OUT masters json, OUT named json, OUT by_address json)
        LANGUAGE plpgsql AS $$
      DECLARE
        all_hashes text[];
      BEGIN
        SELECT array(
                 SELECT h FROM unnest(hashes) AS h
                 UNION
                 SELECT l.email_hash FROM lead l WHERE l.id = ANY(lead_ids) AND l.email_hash IS NOT NULL
                 UNION
                 SELECT l.email_hash FROM lead l JOIN unnest(foreign_types, foreign_ids) AS f(t, i)
                   ON l.foreign_sys_type = f.t AND l.foreign_sys_person_id = f.i
                  WHERE l.email_hash IS NOT NULL)
          INTO all_hashes;

${createMasters}

        SELECT coalesce(json_agg(m), '[]'::json) INTO masters
          FROM (SELECT email_hash, email, unsubscribed, reason, channel, source, changed_at, lead_id
                  FROM email_status WHERE email_hash = ANY(all_hashes) ORDER BY email_hash FOR UPDATE) m;${afterLock}

        -- The leads named by id or foreign id: row locks (a lead without an address has no master row to serialize on).
        SELECT coalesce(json_agg(x), '[]'::json) INTO named
          FROM (SELECT l.id, l.email, l.email_key, l.email_hash, l.foreign_sys_person_id, l.foreign_sys_type, l.partition_id,
                       l.unsubscribed, l.unsubscribed_reason, l.fields, l.created_at, l.updated_at
                  FROM lead l
                 WHERE l.id IN (SELECT unnest(lead_ids)
                                UNION SELECT k.id FROM lead k JOIN unnest(foreign_types, foreign_ids) AS f(t, i)
                                        ON k.foreign_sys_type = f.t AND k.foreign_sys_person_id = f.i)
                 ORDER BY l.id FOR UPDATE) x;

        -- Every lead with one of the addresses, read, not row-locked: whoever writes a lead with an
        -- address holds that address's master row first, and this unit holds them all now.
        SELECT coalesce(json_agg(y), '[]'::json) INTO by_address
          FROM (SELECT l.id, l.email, l.email_key, l.email_hash, l.foreign_sys_person_id, l.foreign_sys_type, l.partition_id,
                       l.unsubscribed, l.unsubscribed_reason, l.fields, l.created_at, l.updated_at
                  FROM lead l WHERE l.email_hash = ANY(all_hashes)) y;
      END $$`;
}
