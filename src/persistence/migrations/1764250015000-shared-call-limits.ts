import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Marketo's call limits per API user, counted in PostgreSQL so that they hold across every
 * process of the database (issue 15): calls in the last 20 s (20023), calls in flight (20024),
 * calls today, US Central time (20015).
 *
 * - `api_call_limit`: one row per limited user; the times of its calls in the last 20 s (at
 *   most its limit of them), the day and the calls of that day. `acquire_api_call` locks the row,
 *   so one user's calls are counted one after another whichever process they reach.
 * - `api_call_in_flight`: one row per call in flight of a user with a concurrency limit, with a
 *   lease: a process that dies mid-call stops holding the slot when the lease ends.
 *
 * Both tables are UNLOGGED: a count is worth nothing after a crash, and without WAL a call's
 * commit does not wait for a disk flush. A crash (or a failover) resets the counts.
 */
const UP = `
CREATE UNLOGGED TABLE api_call_limit (
  user_id text PRIMARY KEY,
  recent timestamptz[] NOT NULL DEFAULT '{}',
  day date,
  today integer NOT NULL DEFAULT 0
);
CREATE UNLOGGED TABLE api_call_in_flight (
  call_id uuid PRIMARY KEY,
  user_id text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX api_call_in_flight_user ON api_call_in_flight (user_id, expires_at);

-- Counts one call of p_user in, or returns the name of the limit it would break (and counts
-- nothing): 'dailyQuota', 'callsPer20Seconds' or 'concurrentCalls', checked in that order. A
-- null limit is off. With a concurrency limit the call holds p_call in api_call_in_flight
-- until release (DELETE) or the lease ends. The database's clock decides, so every process
-- counts the same window. Called once per SOAP call of a limited user (SqlCallCounter).
CREATE FUNCTION acquire_api_call(p_user text, p_call uuid, p_per_20s integer, p_concurrent integer, p_daily integer, p_lease_ms integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz := clock_timestamp();
  d date := (t AT TIME ZONE 'America/Chicago')::date;
  c api_call_limit%ROWTYPE;
  live integer;
BEGIN
  SELECT * INTO c FROM api_call_limit WHERE user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO api_call_limit (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO c FROM api_call_limit WHERE user_id = p_user FOR UPDATE;
  END IF;
  IF c.day IS DISTINCT FROM d THEN
    c.day := d;
    c.today := 0;
  END IF;
  IF p_daily IS NOT NULL AND c.today >= p_daily THEN
    RETURN 'dailyQuota';
  END IF;
  c.recent := ARRAY(SELECT x FROM unnest(c.recent) AS x WHERE x > t - interval '20 seconds' ORDER BY x);
  IF p_per_20s IS NOT NULL AND cardinality(c.recent) >= p_per_20s THEN
    RETURN 'callsPer20Seconds';
  END IF;
  IF p_concurrent IS NOT NULL THEN
    DELETE FROM api_call_in_flight WHERE user_id = p_user AND expires_at <= t;
    SELECT count(*) INTO live FROM api_call_in_flight WHERE user_id = p_user;
    IF live >= p_concurrent THEN
      RETURN 'concurrentCalls';
    END IF;
    INSERT INTO api_call_in_flight (call_id, user_id, expires_at) VALUES (p_call, p_user, t + p_lease_ms * interval '1 millisecond');
  END IF;
  UPDATE api_call_limit
     SET recent = CASE WHEN p_per_20s IS NULL THEN '{}' ELSE c.recent || t END,
         day = c.day,
         today = c.today + 1
   WHERE user_id = p_user;
  RETURN NULL;
END $$;
`;

export class SharedCallLimits1764250015000 implements MigrationInterface {
  name = "SharedCallLimits1764250015000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION acquire_api_call(text, uuid, integer, integer, integer, integer); DROP TABLE api_call_in_flight; DROP TABLE api_call_limit;`);
  }
}
