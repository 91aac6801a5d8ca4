/**
 * The webhook outbox's SQL (table webhook_outbox, migration 1764220000000). Leasing takes, per
 * address, only its oldest undelivered event, and only when no lease on it is live: the
 * conditions are on the row itself, so a concurrent lease of the same row by another process
 * (which waits on the row lock, then re-checks them on the committed row) takes nothing.
 */
import type { DataSource } from "typeorm";
import type { OutboxEvent, OutboxStore } from "../domain/outbox-ports";
import { rowsOf } from "./repositories/lead.repository";

const COLUMNS = `o.id, o.event_id, o.email_hash, o.email, o.unsubscribed, o.at, o.channel, o.reason, o.source, o.attempts`;

/**
 * Pending rows in id order (partial index), each taken only if no older row of its address is
 * pending ((email_hash, id) partial index): the heads, found without reading a whole backlog.
 */
const LEASE = `
  UPDATE webhook_outbox o SET leased_until = now() + make_interval(secs => $2::double precision / 1000), leased_by = $3
    FROM (SELECT c.id FROM webhook_outbox c
           WHERE c.delivered_at IS NULL AND c.next_attempt_at <= now() AND (c.leased_until IS NULL OR c.leased_until < now())
             AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.email_hash = c.email_hash AND p.id < c.id AND p.delivered_at IS NULL)
           ORDER BY c.id LIMIT $1) h
   WHERE o.id = h.id AND o.delivered_at IS NULL AND o.next_attempt_at <= now() AND (o.leased_until IS NULL OR o.leased_until < now())
  RETURNING ${COLUMNS}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly dataSource: DataSource) {}

  async lease(limit: number, leaseMs: number, owner: string): Promise<OutboxEvent[]> {
    return rowsOf(await this.dataSource.query(LEASE, [limit, leaseMs, owner])).map(toEvent).sort((a, b) => a.id - b.id);
  }

  /** Only by the lease's owner: a process whose lease ran out (and was taken over) changes nothing. */
  async delivered(id: number, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_outbox SET delivered_at = now(), leased_until = NULL, leased_by = NULL, attempts = attempts + 1, last_error = NULL WHERE id = $1 AND leased_by = $2 AND delivered_at IS NULL`,
      [id, owner],
    );
  }

  async failed(id: number, error: string, retryAt: Date, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_outbox SET leased_until = NULL, leased_by = NULL, attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1 AND leased_by = $4 AND delivered_at IS NULL`,
      [id, error.slice(0, 500), retryAt, owner],
    );
  }

  async setEnabled(on: boolean): Promise<void> {
    await this.dataSource.query(`INSERT INTO instance_setting (name, value) VALUES ('webhook', $1) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, [on ? "on" : "off"]);
  }

  async enabled(): Promise<boolean> {
    return rowsOf(await this.dataSource.query(`SELECT 1 FROM instance_setting WHERE name = 'webhook' AND value = 'on'`)).length > 0;
  }

  async depth(): Promise<{ count: number; oldestSeconds: number }> {
    const [row] = rowsOf(
      await this.dataSource.query(`SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age FROM webhook_outbox WHERE delivered_at IS NULL`),
    );
    return { count: Number(row?.n ?? 0), oldestSeconds: Number(row?.age ?? 0) };
  }

  async failures(limit: number): Promise<(OutboxEvent & { lastError: string | null; nextAttemptAt: Date })[]> {
    const rows = rowsOf(
      await this.dataSource.query(`SELECT ${COLUMNS}, o.last_error, o.next_attempt_at FROM webhook_outbox o WHERE o.delivered_at IS NULL AND o.attempts > 0 ORDER BY o.id LIMIT $1`, [limit]),
    );
    return rows.map((r) => ({ ...toEvent(r), lastError: (r.last_error as string | null) ?? null, nextAttemptAt: new Date(r.next_attempt_at as string) }));
  }

  async replayFrom(eventId: string): Promise<number | null> {
    if (!UUID.test(eventId)) return null;
    const [from] = rowsOf(await this.dataSource.query(`SELECT id FROM webhook_outbox WHERE event_id = $1`, [eventId]));
    if (!from) return null;
    const result = await this.dataSource.query(
      // Rows being sent right now are left to their sender (their lease is live).
      `UPDATE webhook_outbox SET delivered_at = NULL, leased_until = NULL, leased_by = NULL, next_attempt_at = now(), last_error = NULL
        WHERE id >= $1 AND (leased_until IS NULL OR leased_until < now()) RETURNING id`,
      [from.id],
    );
    return rowsOf(result).length;
  }

  async prune(before: Date): Promise<number> {
    return rowsOf(await this.dataSource.query(`DELETE FROM webhook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1 RETURNING id`, [before])).length;
  }
}

function toEvent(r: Record<string, unknown>): OutboxEvent {
  return {
    id: Number(r.id),
    eventId: String(r.event_id),
    emailHash: String(r.email_hash),
    email: String(r.email ?? ""),
    unsubscribed: r.unsubscribed === true,
    at: new Date(r.at as string),
    channel: String(r.channel),
    reason: (r.reason as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    attempts: Number(r.attempts),
  };
}
