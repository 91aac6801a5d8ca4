import { In, type EntityManager } from "typeorm";
import type { LeadRepository, LeadSearchQuery } from "../../domain/ports";
import type { Lead, WriteIntent } from "../../domain/types";
import { LeadEntity } from "../entities/lead.entity";

/**
 * propagateStatus: every other lead with the address takes its new status, in one statement.
 * Called by EmailStatusService (through applyStatusToAllWithEmail) after the master changed.
 * Raw SQL, so it cannot re-enter the lead subscriber; the deferred guard still checks it.
 */
const PROPAGATE_STATUS = `
  UPDATE lead SET unsubscribed = $2, updated_at = now()
   WHERE email_hash = $1 AND ($3::int IS NULL OR id <> $3) AND unsubscribed IS DISTINCT FROM $2
  RETURNING id`;

/**
 * advanceLeadIdSequence: before a lead is inserted with a given id (an import keeps Marketo's),
 * the id sequence moves past it, so later creates never draw that id. Called by save() for
 * leads made by create(partitionId, id), ID_SEQUENCE_STEP ids ahead at a time, so that a batch
 * of ascending ids costs one call, not one per lead (ids are not dense anyway). setval is not
 * transactional: a rolled-back import leaves the sequence moved, which only skips ids. A create
 * on another connection that drew an id between the read and the setval may draw it again and
 * retry on the unique key (23505).
 */
const ADVANCE_LEAD_ID_SEQUENCE = `
  SELECT setval('lead_id_seq', $1::bigint) FROM lead_id_seq
   WHERE last_value < $1::bigint OR (last_value = $1::bigint AND NOT is_called)`;

const ID_SEQUENCE_STEP = 1000;

/** Leads made by create() with a given id that are not inserted yet. */
const withGivenId = new WeakSet<object>();

/** lockLeadRow: the committed email hash and flag of a lead, locking its row. */
const LOCK_LEAD_ROW = `SELECT email_hash, unsubscribed FROM lead WHERE id = $1 FOR UPDATE`;

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
   LIMIT $4`;

/**
 * Leads through TypeORM. There is no update()/upsert()/delete(criteria) here on purpose: those
 * skip the subscriber's view of the old row (stack notes §3); every write is save() or remove().
 */
export class TypeOrmLeadRepository implements LeadRepository {
  /** The id sequence is known to be at or past this (this transaction moved it there). */
  private sequenceAtLeast = 0;

  constructor(private readonly manager: EntityManager) {}

  create(partitionId: number, id?: number): Lead {
    const lead = this.manager.create(LeadEntity, {
      ...(id !== undefined ? { id } : {}),
      email: null,
      emailKey: null,
      emailHash: null,
      foreignSysPersonId: null,
      foreignSysType: null,
      partitionId,
      unsubscribed: false,
      unsubscribedReason: null,
      fields: {},
    });
    if (id !== undefined) withGivenId.add(lead);
    return lead;
  }

  findById(id: number): Promise<Lead | null> {
    return this.manager.findOneBy(LeadEntity, { id });
  }

  async findByIdForUpdate(id: number): Promise<Lead | null> {
    const lead = await this.manager.createQueryBuilder(LeadEntity, "l").setLock("pessimistic_write").where("l.id = :id", { id }).getOne();
    if (lead) this.rowsLockedHere()?.add(id);
    return lead;
  }

  isLockedHere(id: number): boolean {
    return this.rowsLockedHere()?.has(id) ?? false;
  }

  /**
   * Lead rows this transaction locked at its top level (a lock taken in a savepoint goes when
   * the savepoint rolls back, so those are not remembered). Kept on the query runner.
   */
  private rowsLockedHere(): Set<number> | undefined {
    const runner = this.manager.queryRunner;
    if (!runner?.isTransactionActive || (runner as unknown as { transactionDepth?: number }).transactionDepth !== 1) return undefined;
    const data = runner.data as { lockedLeadRows?: Set<number> };
    return (data.lockedLeadRows ??= new Set());
  }

  findByForeignId(foreignSysType: string, foreignSysPersonId: string): Promise<Lead | null> {
    return this.manager.findOneBy(LeadEntity, { foreignSysType, foreignSysPersonId });
  }

  findByEmailHash(emailHash: string): Promise<Lead[]> {
    return this.manager.find(LeadEntity, { where: { emailHash }, order: { id: "ASC" } });
  }

  findLatestByEmailHash(emailHash: string): Promise<Lead | null> {
    return this.manager.findOne(LeadEntity, { where: { emailHash }, order: { updatedAt: "DESC", id: "DESC" } });
  }

  async save(lead: Lead, intent: WriteIntent): Promise<Lead> {
    const entity = lead instanceof LeadEntity ? lead : Object.assign(new LeadEntity(), lead);
    entity.writeIntent = intent;
    try {
      if (withGivenId.has(entity) && entity.id > this.sequenceAtLeast) {
        this.sequenceAtLeast = entity.id + ID_SEQUENCE_STEP;
        await this.manager.query(ADVANCE_LEAD_ID_SEQUENCE, [this.sequenceAtLeast]);
      }
      const saved = await this.manager.save(LeadEntity, entity);
      withGivenId.delete(entity);
      return saved;
    } finally {
      delete entity.writeIntent;
    }
  }

  async remove(lead: Lead, intent: WriteIntent): Promise<void> {
    const entity = lead instanceof LeadEntity ? lead : Object.assign(new LeadEntity(), lead);
    entity.writeIntent = intent;
    await this.manager.remove(LeadEntity, entity);
  }

  async applyStatusToAllWithEmail(emailHash: string, unsubscribed: boolean, exceptLeadId: number | null): Promise<number[]> {
    const result: unknown = await this.manager.query(PROPAGATE_STATUS, [emailHash, unsubscribed, exceptLeadId]);
    return rowsOf(result).map((r) => Number(r.id));
  }

  async search(query: LeadSearchQuery): Promise<Lead[]> {
    const rows = rowsOf(await this.manager.query(SEARCH_LEADS, [query.id ?? null, query.emailKeyPart ?? null, query.namePart ?? null, query.limit]));
    const ids = rows.map((r) => Number(r.id));
    if (ids.length === 0) return [];
    const leads = new Map((await this.manager.findBy(LeadEntity, { id: In(ids) })).map((l) => [l.id, l]));
    return ids.map((id) => leads.get(id)).filter((l): l is LeadEntity => l !== undefined);
  }

  async countWithEmailOutside(emailHash: string, partitionIds: number[]): Promise<number> {
    const rows = rowsOf(
      await this.manager.query(`SELECT count(*)::int AS n FROM lead WHERE email_hash = $1 AND NOT (partition_id = ANY($2::int[]))`, [emailHash, partitionIds]),
    );
    return Number(rows[0]?.n ?? 0);
  }

  async lockRow(id: number): Promise<{ emailHash: string | null; unsubscribed: boolean } | null> {
    const rows = rowsOf(await this.manager.query(LOCK_LEAD_ROW, [id]));
    if (rows.length === 0) return null;
    this.rowsLockedHere()?.add(id);
    return { emailHash: (rows[0].email_hash as string | null) ?? null, unsubscribed: rows[0].unsubscribed === true };
  }
}

/** TypeORM's postgres driver returns [rows, count] for UPDATE … RETURNING and rows for SELECT. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === "number") {
    return result[0] as Record<string, unknown>[];
  }
  return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
}
