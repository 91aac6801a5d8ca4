import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The initial schema: partitions and workspaces (with "Default"), the master email status and
 * its history, leads, activities, instance secrets, and the database guard of the invariant.
 *
 * The guard: two deferred constraint triggers check, at COMMIT, that every lead written in the
 * transaction agrees with the master status of its email key, and that every master row
 * changed in the transaction agrees with all its leads. A write that bypasses the application
 * (a QueryBuilder update, raw SQL) and would break the invariant fails at COMMIT with SQLSTATE
 * MK001 instead of committing. The guard raises; it never coerces a value, since that would
 * undo legitimate re-subscribes (D2) and email changes (D5).
 */
export class InitialSchema1764140000000 implements MigrationInterface {
  name = "InitialSchema1764140000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE partition (
        id   serial PRIMARY KEY,
        name text NOT NULL UNIQUE
      )`);
    await q.query(`
      CREATE TABLE workspace (
        id                   serial PRIMARY KEY,
        name                 text NOT NULL UNIQUE,
        primary_partition_id integer NOT NULL REFERENCES partition (id)
      )`);
    await q.query(`INSERT INTO partition (name) VALUES ('Default')`);
    await q.query(`INSERT INTO workspace (name, primary_partition_id) SELECT 'Default', id FROM partition WHERE name = 'Default'`);

    await q.query(`
      CREATE TABLE email_status (
        email_hash   text PRIMARY KEY,
        email        text NOT NULL,
        unsubscribed boolean NOT NULL DEFAULT false,
        reason       text,
        channel      text,
        source       text,
        changed_at   timestamptz,
        lead_id      integer,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX email_status_unsubscribed_idx ON email_status (email_hash) WHERE unsubscribed`);
    await q.query(`
      CREATE TABLE email_status_history (
        id           bigserial PRIMARY KEY,
        email_hash   text NOT NULL REFERENCES email_status (email_hash),
        email        text NOT NULL,
        unsubscribed boolean NOT NULL,
        channel      text NOT NULL,
        reason       text NOT NULL,
        source       text NOT NULL,
        lead_id      integer,
        at           timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX email_status_history_hash_idx ON email_status_history (email_hash, id)`);

    await q.query(`
      CREATE TABLE lead (
        id                    serial PRIMARY KEY,
        email                 text,
        email_key             text,
        email_hash            text REFERENCES email_status (email_hash),
        foreign_sys_person_id text,
        foreign_sys_type      text,
        partition_id          integer NOT NULL REFERENCES partition (id),
        unsubscribed          boolean NOT NULL DEFAULT false,
        unsubscribed_reason   text,
        fields                jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lead_email_key_ck CHECK ((email IS NULL) = (email_key IS NULL)),
        CONSTRAINT lead_email_hash_ck CHECK ((email_key IS NULL) = (email_hash IS NULL))
      )`);
    await q.query(`CREATE INDEX lead_email_hash_idx ON lead (email_hash)`);
    await q.query(`CREATE INDEX lead_updated_at_idx ON lead (updated_at, id)`);
    await q.query(
      `CREATE UNIQUE INDEX lead_foreign_id_uq ON lead (foreign_sys_type, foreign_sys_person_id) WHERE foreign_sys_person_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE activity (
        id              bigserial PRIMARY KEY,
        lead_id         integer NOT NULL,
        type_id         integer NOT NULL,
        type_name       text NOT NULL,
        mktg_asset_name text NOT NULL DEFAULT '',
        attributes      jsonb NOT NULL,
        campaign        text,
        email_hash      text,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX activity_lead_idx ON activity (lead_id, id)`);
    await q.query(`CREATE INDEX activity_created_idx ON activity (created_at, id)`);

    await q.query(`
      CREATE TABLE instance_secret (
        name       text PRIMARY KEY,
        value      text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The guard, lead side: the row as it stands at COMMIT agrees with its master row.
    await q.query(`
      CREATE FUNCTION lead_agrees_with_email_status() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        cur_hash text;
        cur_unsubscribed boolean;
        master_unsubscribed boolean;
      BEGIN
        SELECT email_hash, unsubscribed INTO cur_hash, cur_unsubscribed FROM lead WHERE id = NEW.id;
        IF NOT FOUND OR cur_hash IS NULL THEN
          RETURN NULL;
        END IF;
        SELECT unsubscribed INTO master_unsubscribed FROM email_status WHERE email_hash = cur_hash FOR SHARE;
        IF cur_unsubscribed IS DISTINCT FROM COALESCE(master_unsubscribed, false) THEN
          RAISE EXCEPTION 'durable unsubscribe: lead % has Unsubscribed=% but its address has %',
            NEW.id, cur_unsubscribed, COALESCE(master_unsubscribed, false)
            USING ERRCODE = 'MK001';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER lead_agrees_with_email_status
        AFTER INSERT OR UPDATE OF email_hash, unsubscribed ON lead
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION lead_agrees_with_email_status()`);

    // The guard, master side: a changed master row agrees with every lead of its key.
    await q.query(`
      CREATE FUNCTION email_status_agrees_with_leads() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        master_unsubscribed boolean;
        bad_id integer;
      BEGIN
        SELECT unsubscribed INTO master_unsubscribed FROM email_status WHERE email_hash = NEW.email_hash;
        SELECT id INTO bad_id FROM lead
         WHERE email_hash = NEW.email_hash AND unsubscribed IS DISTINCT FROM master_unsubscribed
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'durable unsubscribe: address status is % but lead % disagrees', master_unsubscribed, bad_id
            USING ERRCODE = 'MK001';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER email_status_agrees_with_leads
        AFTER UPDATE OF unsubscribed ON email_status
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION email_status_agrees_with_leads()`);

    // Master rows outlive every lead (D4, SPEC §1): they are never deleted.
    await q.query(`
      CREATE FUNCTION email_status_is_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'durable unsubscribe: email status rows are never deleted' USING ERRCODE = 'MK002';
      END $$`);
    await q.query(`
      CREATE TRIGGER email_status_is_never_deleted BEFORE DELETE ON email_status
        FOR EACH ROW EXECUTE FUNCTION email_status_is_never_deleted()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS instance_secret, activity, lead, email_status_history, email_status, workspace, partition CASCADE`);
    await q.query(`DROP FUNCTION IF EXISTS lead_agrees_with_email_status, email_status_agrees_with_leads, email_status_is_never_deleted`);
  }
}
