import { In, type EntityManager } from "typeorm";
import type { LeadListFilter, LeadRepository, LeadSearchQuery } from "../../domain/ports";
import type { Lead } from "../../domain/types";
import { LeadEntity } from "../entities/lead.entity";

/**
 * searchLeads: the person page's search (LeadSearchService.searchLeads). A lead matches by id,
 * by a part of its email key ($2 was computed by emailKey() in the application: SQL never folds
 * the key), or by a part of "FirstName LastName" ignoring case (a name is not a key). The exact
 * address first, then the most recently updated. Scans the table: an operator's tool, not an API.
 */
const SEARCH_LEADS = `
  SELECT id FROM lead
   WHERE id = $1
      OR ($2::text IS NOT NULL AND strpos(email_key, $2) > 0)
      OR ($3::text IS NOT NULL AND strpos(lower(concat_ws(' ', fields->>'FirstName', fields->>'LastName')), lower($3)) > 0)
   ORDER BY (email_key IS NOT DISTINCT FROM $2) DESC, updated_at DESC, id DESC
   LIMIT $4 OFFSET $5`;

/** The admin API's list (LeadSearchService.list): optional filters, keyset by id. */
const LIST_WHERE = `
   ($1::text IS NULL OR email_hash = $1)
   AND ($2::text IS NULL OR strpos(email_key, $3) > 0 OR strpos(lower(concat_ws(' ', fields->>'FirstName', fields->>'LastName')), lower($2)) > 0)
   AND ($4::int IS NULL OR partition_id = $4)
   AND ($5::boolean IS NULL OR unsubscribed = $5)
   AND ($6::timestamptz IS NULL OR updated_at >= $6)`;

/**
 * The lead lookups of getLead and every other read by key (findLeadsByKey): by id, by foreign
 * id, by the keyed hash of the email key (lead_email_hash_idx; oldest first). Plain SELECTs read
 * into Lead values: TypeORM's find() spent more CPU building and hydrating the query than the
 * rest of a getLead (issue 10). Reads only; leads are written by the write path.
 */
const LEAD_COLUMNS = `id, email, email_key, email_hash, foreign_sys_person_id, foreign_sys_type, partition_id, unsubscribed, unsubscribed_reason, fields, created_at, updated_at`;
const LEAD_BY_ID = `SELECT ${LEAD_COLUMNS} FROM lead WHERE id = $1`;
const LEAD_BY_FOREIGN_ID = `SELECT ${LEAD_COLUMNS} FROM lead WHERE foreign_sys_type = $1 AND foreign_sys_person_id = $2 LIMIT 1`;
const LEADS_BY_EMAIL_HASH = `SELECT ${LEAD_COLUMNS} FROM lead WHERE email_hash = $1 ORDER BY id ASC`;

/** A lead row of LEAD_COLUMNS (or of lock_for_write's JSON, where times are text) as the domain's Lead. */
export function toLead(r: Record<string, unknown>): Lead {
  return {
    id: Number(r.id),
    email: (r.email as string | null) ?? null,
    emailKey: (r.email_key as string | null) ?? null,
    emailHash: (r.email_hash as string | null) ?? null,
    foreignSysPersonId: (r.foreign_sys_person_id as string | null) ?? null,
    foreignSysType: (r.foreign_sys_type as string | null) ?? null,
    partitionId: Number(r.partition_id),
    unsubscribed: r.unsubscribed === true,
    unsubscribedReason: (r.unsubscribed_reason as string | null) ?? null,
    fields: (r.fields as Record<string, string> | null) ?? {},
    createdAt: new Date(r.created_at as string | Date),
    updatedAt: new Date(r.updated_at as string | Date),
  };
}

function listParams(f: LeadListFilter): unknown[] {
  return [f.emailHash ?? null, f.textPart ?? null, f.emailKeyPart ?? f.textPart ?? null, f.partitionId ?? null, f.unsubscribed ?? null, f.updatedSince ?? null];
}

/** Reads of leads. Leads are written only by the write path (write.repository.ts). */
export class TypeOrmLeadRepository implements LeadRepository {
  constructor(private readonly manager: EntityManager) {}

  async findById(id: number): Promise<Lead | null> {
    const row = rowsOf(await this.manager.query(LEAD_BY_ID, [id]))[0];
    return row ? toLead(row) : null;
  }

  async findByForeignId(foreignSysType: string, foreignSysPersonId: string): Promise<Lead | null> {
    const row = rowsOf(await this.manager.query(LEAD_BY_FOREIGN_ID, [foreignSysType, foreignSysPersonId]))[0];
    return row ? toLead(row) : null;
  }

  async findByEmailHash(emailHash: string): Promise<Lead[]> {
    return rowsOf(await this.manager.query(LEADS_BY_EMAIL_HASH, [emailHash])).map(toLead);
  }

  findLatestByEmailHash(emailHash: string): Promise<Lead | null> {
    return this.manager.findOne(LeadEntity, { where: { emailHash }, order: { updatedAt: "DESC", id: "DESC" } });
  }

  findByIds(ids: number[]): Promise<Lead[]> {
    return ids.length ? this.manager.findBy(LeadEntity, { id: In(ids) }) : Promise.resolve([]);
  }

  async search(query: LeadSearchQuery): Promise<Lead[]> {
    const rows = rowsOf(await this.manager.query(SEARCH_LEADS, [query.id ?? null, query.emailKeyPart ?? null, query.namePart ?? null, query.limit, query.offset ?? 0]));
    const ids = rows.map((r) => Number(r.id));
    if (ids.length === 0) return [];
    const leads = new Map((await this.manager.findBy(LeadEntity, { id: In(ids) })).map((l) => [l.id, l]));
    return ids.map((id) => leads.get(id)).filter((l): l is LeadEntity => l !== undefined);
  }

  async list(filter: LeadListFilter, afterId: number, limit: number): Promise<Lead[]> {
    const rows = rowsOf(await this.manager.query(`SELECT id FROM lead WHERE ${LIST_WHERE} AND id > $7 ORDER BY id LIMIT $8`, [...listParams(filter), afterId, limit]));
    const ids = rows.map((r) => Number(r.id));
    if (ids.length === 0) return [];
    const leads = new Map((await this.manager.findBy(LeadEntity, { id: In(ids) })).map((l) => [l.id, l]));
    return ids.map((id) => leads.get(id)).filter((l): l is LeadEntity => l !== undefined);
  }

  async count(filter: LeadListFilter): Promise<number> {
    return Number(rowsOf(await this.manager.query(`SELECT count(*)::int AS n FROM lead WHERE ${LIST_WHERE}`, listParams(filter)))[0]?.n ?? 0);
  }

  async countWithEmailOutside(emailHash: string, partitionIds: number[]): Promise<number> {
    const rows = rowsOf(
      await this.manager.query(`SELECT count(*)::int AS n FROM lead WHERE email_hash = $1 AND NOT (partition_id = ANY($2::int[]))`, [emailHash, partitionIds]),
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/** TypeORM's postgres driver returns [rows, count] for UPDATE … RETURNING and rows for SELECT. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === "number") {
    return result[0] as Record<string, unknown>[];
  }
  return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
}
