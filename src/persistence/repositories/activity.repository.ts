import type { EntityManager } from "typeorm";
import type { ActivityQuery, ActivityRepository } from "../../domain/ports";
import type { Activity, ActivityAttribute } from "../../domain/types";
import { rowsOf } from "./lead.repository";

export class SqlActivityRepository implements ActivityRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Email Address rows, optionally only those whose text contains `fragment` (case-insensitive). */
  async emailChangeRowsMentioning(fragment: string | null): Promise<{ id: number; attributes: ActivityAttribute[] }[]> {
    const rows = rowsOf(
      await this.manager.query(
        `SELECT id, attributes FROM activity
          WHERE type_id = 13 AND mktg_asset_name = 'Email Address' AND ($1::text IS NULL OR strpos(lower(attributes::text), lower($1)) > 0)`,
        [fragment],
      ),
    );
    return rows.map((r) => ({ id: Number(r.id), attributes: r.attributes as ActivityAttribute[] }));
  }

  /** Newest first; `afterId` continues below the last id returned. */
  async find(q: ActivityQuery): Promise<{ rows: Activity[]; remaining: number }> {
    const where: string[] = ["lead_id = ANY($1::int[])"];
    const params: unknown[] = [q.leadIds];
    if (q.typeNames && q.typeNames.length) {
      params.push(q.typeNames);
      where.push(`type_name = ANY($${params.length}::text[])`);
    }
    if (q.excludeTypeNames && q.excludeTypeNames.length) {
      params.push(q.excludeTypeNames);
      where.push(`NOT (type_name = ANY($${params.length}::text[]))`);
    }
    if (q.since) {
      params.push(q.since);
      where.push(`created_at >= $${params.length}`);
    }
    if (q.until) {
      params.push(q.until);
      where.push(`created_at <= $${params.length}`);
    }
    const base = where.join(" AND ");
    const pageParams = [...params];
    let pageWhere = base;
    if (q.afterId !== undefined) {
      pageParams.push(q.afterId);
      pageWhere += ` AND id < $${pageParams.length}`;
    }
    pageParams.push(q.limit + 1);
    const rows = rowsOf(
      await this.manager.query(
        `SELECT id, lead_id, type_id, type_name, mktg_asset_name, attributes, campaign, created_at
           FROM activity WHERE ${pageWhere} ORDER BY id DESC LIMIT $${pageParams.length}`,
        pageParams,
      ),
    );
    const page = rows.slice(0, q.limit).map(toActivity);
    let remaining = 0;
    if (rows.length > q.limit) {
      const last = page[page.length - 1].id;
      const countRows = rowsOf(
        await this.manager.query(`SELECT count(*)::int AS n FROM activity WHERE ${base} AND id < $${params.length + 1}`, [...params, last]),
      );
      remaining = Number(countRows[0]?.n ?? 0);
    }
    return { rows: page, remaining };
  }
}

/** An activity row as the domain sees it (also used by the change stream). */
export function toActivity(r: Record<string, unknown>): Activity {
  return {
    id: Number(r.id),
    leadId: Number(r.lead_id),
    typeId: Number(r.type_id),
    typeName: String(r.type_name),
    mktgAssetName: String(r.mktg_asset_name ?? ""),
    attributes: (r.attributes as ActivityAttribute[]) ?? [],
    campaign: (r.campaign as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
  };
}
