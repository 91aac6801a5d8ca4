import type { EntityManager } from "typeorm";
import type { ChangeCursor, ChangeQuery, ChangeRepository, LeadCursor, LeadPageQuery, LeadPageRepository } from "../../domain/stream-ports";
import type { Activity, Lead } from "../../domain/types";
import { LeadEntity } from "../entities/lead.entity";
import { toActivity } from "./activity.repository";
import { rowsOf } from "./lead.repository";

/** A timestamptz as whole microseconds since the epoch, exact (no float rounding). */
const MICROS = `(EXTRACT(EPOCH FROM date_trunc('second', updated_at))::bigint * 1000000 + EXTRACT(MICROSECONDS FROM updated_at)::bigint % 1000000)`;
const FROM_MICROS = (p: string) => `('epoch'::timestamptz + (${p})::bigint * interval '1 microsecond')`;

/**
 * getMultipleLeads pages: keyset on (updated_at, id) within a fixed [since, until] window, so a
 * lead is returned once even while other leads are written.
 */
export class SqlLeadPageRepository implements LeadPageRepository {
  constructor(private readonly manager: EntityManager) {}

  async pageByUpdatedAt(q: LeadPageQuery): Promise<{ leads: Lead[]; last?: LeadCursor; remaining: number }> {
    const params: unknown[] = [q.since, q.until];
    let window = `updated_at >= $1 AND updated_at <= $2`;
    if (q.partitionIds) {
      params.push(q.partitionIds);
      window += ` AND partition_id = ANY($${params.length}::int[])`;
    }
    const windowParams = [...params];
    let where = window;
    if (q.after) {
      params.push(q.after.updatedMicros, q.after.id);
      where += ` AND (updated_at, id) > (${FROM_MICROS(`$${params.length - 1}`)}, $${params.length})`;
    }
    params.push(q.limit + 1);
    const keys = rowsOf(
      await this.manager.query(`SELECT id, ${MICROS}::text AS micros FROM lead WHERE ${where} ORDER BY updated_at, id LIMIT $${params.length}`, params),
    );
    const page = keys.slice(0, q.limit);
    const leads = await this.byIdsInOrder(page.map((r) => Number(r.id)));
    const lastKey = page[page.length - 1];
    const last = lastKey ? { updatedMicros: String(lastKey.micros), id: Number(lastKey.id) } : q.after;
    let remaining = 0;
    if (keys.length > q.limit && last) {
      const n = windowParams.length;
      const rows = rowsOf(
        await this.manager.query(
          `SELECT count(*)::int AS n FROM lead WHERE ${window} AND (updated_at, id) > (${FROM_MICROS(`$${n + 1}`)}, $${n + 2})`,
          [...windowParams, last.updatedMicros, last.id],
        ),
      );
      remaining = Number(rows[0]?.n ?? 0);
    }
    return { leads, last, remaining };
  }

  async pageByIds(ids: number[], afterId: number, limit: number, partitionIds?: number[]): Promise<{ leads: Lead[]; remaining: number }> {
    const sorted = [...new Set(ids)].filter((id) => id > afterId).sort((a, b) => a - b);
    const found = (await this.byIdsInOrder(sorted)).filter((l) => !partitionIds || partitionIds.includes(l.partitionId));
    return { leads: found.slice(0, limit), remaining: Math.max(0, found.length - limit) };
  }

  findByEmailHashes(hashes: string[]): Promise<Lead[]> {
    if (hashes.length === 0) return Promise.resolve([]);
    return this.manager.createQueryBuilder(LeadEntity, "l").where("l.email_hash IN (:...hashes)", { hashes }).orderBy("l.id").getMany();
  }

  async latestIdsByEmailHashes(hashes: string[]): Promise<Map<string, number>> {
    if (hashes.length === 0) return new Map();
    const rows = rowsOf(
      await this.manager.query(
        `SELECT DISTINCT ON (email_hash) email_hash, id FROM lead WHERE email_hash = ANY($1::text[]) ORDER BY email_hash, updated_at DESC, id DESC`,
        [hashes],
      ),
    );
    return new Map(rows.map((r) => [String(r.email_hash), Number(r.id)]));
  }

  findByForeignIds(foreignSysType: string, ids: string[]): Promise<Lead[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.manager
      .createQueryBuilder(LeadEntity, "l")
      .where("l.foreign_sys_type = :t AND l.foreign_sys_person_id IN (:...ids)", { t: foreignSysType, ids })
      .orderBy("l.id")
      .getMany();
  }

  private async byIdsInOrder(ids: number[]): Promise<Lead[]> {
    if (ids.length === 0) return [];
    const rows = await this.manager.createQueryBuilder(LeadEntity, "l").where("l.id IN (:...ids)", { ids }).getMany();
    const byId = new Map(rows.map((l) => [l.id, l]));
    return ids.map((id) => byId.get(id)).filter((l): l is LeadEntity => !!l);
  }
}

/**
 * changeHorizon: a transaction id below which every transaction that wrote to THIS database has
 * ended. It is the current snapshot's xmax (transactions from there on had not ended when the
 * snapshot was taken), lowered to the oldest transaction of the snapshot's in-progress list that
 * belongs to a backend of this database. In-progress transactions of other databases of the
 * cluster, and transactions that only read (no xid), do not hold the feed back.
 */
const CHANGE_HORIZON = `
  WITH s AS (SELECT pg_current_snapshot() AS snap),
       ours AS (
         SELECT backend_xid::text::bigint AS x FROM pg_stat_activity
          WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid())
  SELECT LEAST(
           pg_snapshot_xmax(s.snap)::text::bigint,
           (SELECT min(x8::text::bigint) FROM pg_snapshot_xip(s.snap) AS x8
             WHERE (x8::text::bigint & 4294967295) IN (SELECT x FROM ours)))::text AS horizon
    FROM s`;

/**
 * getLeadChanges pages in commit order: only rows of transactions that have ended (tx_id below
 * the change horizon), keyset on (tx_id, id). See migration 1764150000000.
 */
export class SqlChangeRepository implements ChangeRepository {
  constructor(private readonly manager: EntityManager) {}

  async page(q: ChangeQuery): Promise<{ rows: Activity[]; last?: ChangeCursor; remaining: number }> {
    const horizon = String(rowsOf(await this.manager.query(CHANGE_HORIZON))[0].horizon);
    const params: unknown[] = [horizon];
    const where = [`tx_id < $1::xid8`];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.since) add((p) => `created_at >= ${p}`, q.since);
    if (q.until) add((p) => `created_at <= ${p}`, q.until);
    if (q.typeNames?.length) add((p) => `type_name = ANY(${p}::text[])`, q.typeNames);
    if (q.excludeTypeNames?.length) add((p) => `NOT (type_name = ANY(${p}::text[]))`, q.excludeTypeNames);
    if (q.leadIds) add((p) => `lead_id = ANY(${p}::int[])`, q.leadIds);
    if (q.partitionIds) add((p) => `lead_id IN (SELECT id FROM lead WHERE partition_id = ANY(${p}::int[]))`, q.partitionIds);
    const base = [...where];
    const baseParams = [...params];
    if (q.after) {
      params.push(q.after.txId, q.after.id);
      where.push(`(tx_id, id) > ($${params.length - 1}::xid8, $${params.length})`);
    }
    params.push(q.limit + 1);
    const rows = rowsOf(
      await this.manager.query(
        `SELECT id, lead_id, type_id, type_name, mktg_asset_name, attributes, campaign, created_at, tx_id::text AS tx
           FROM activity WHERE ${where.join(" AND ")} ORDER BY tx_id, id LIMIT $${params.length}`,
        params,
      ),
    );
    const page = rows.slice(0, q.limit);
    const lastRow = page[page.length - 1];
    const last = lastRow ? { txId: String(lastRow.tx), id: Number(lastRow.id) } : q.after;
    let remaining = 0;
    if (rows.length > q.limit && last) {
      const n = rowsOf(
        await this.manager.query(
          `SELECT count(*)::int AS n FROM activity WHERE ${base.join(" AND ")} AND (tx_id, id) > ($${baseParams.length + 1}::xid8, $${baseParams.length + 2})`,
          [...baseParams, last.txId, last.id],
        ),
      );
      remaining = Number(n[0]?.n ?? 0);
    }
    return {
      rows: page.map(toActivity),
      last,
      remaining,
    };
  }
}
