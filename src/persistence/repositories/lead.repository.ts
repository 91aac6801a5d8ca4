import type { EntityManager } from "typeorm";
import type { LeadRepository } from "../../domain/ports";
import type { Lead, WriteIntent } from "../../domain/types";
import { LeadEntity } from "../entities/lead.entity";

/**
 * propagateStatus: every other lead with the address takes its new status, in one statement.
 * Called by EmailStatusService (through applyStatusToAllWithEmail) after the master changed.
 * Raw SQL, so it cannot re-enter the lead subscriber; the deferred guard still checks it.
 */
const PROPAGATE_STATUS = `
  UPDATE lead SET unsubscribed = $2, updated_at = now()
   WHERE email_hash = $1 AND id <> $3 AND unsubscribed IS DISTINCT FROM $2
  RETURNING id`;

/** lockLeadRow: the committed email hash and flag of a lead, locking its row. */
const LOCK_LEAD_ROW = `SELECT email_hash, unsubscribed FROM lead WHERE id = $1 FOR UPDATE`;

/**
 * Leads through TypeORM. There is no update()/upsert()/delete(criteria) here on purpose: those
 * skip the subscriber's view of the old row (stack notes §3); every write is save() or remove().
 */
export class TypeOrmLeadRepository implements LeadRepository {
  constructor(private readonly manager: EntityManager) {}

  create(partitionId: number): Lead {
    const lead = this.manager.create(LeadEntity, {
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
    return lead;
  }

  findById(id: number): Promise<Lead | null> {
    return this.manager.findOneBy(LeadEntity, { id });
  }

  findByIdForUpdate(id: number): Promise<Lead | null> {
    return this.manager.createQueryBuilder(LeadEntity, "l").setLock("pessimistic_write").where("l.id = :id", { id }).getOne();
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
      return await this.manager.save(LeadEntity, entity);
    } finally {
      delete entity.writeIntent;
    }
  }

  async remove(lead: Lead, intent: WriteIntent): Promise<void> {
    const entity = lead instanceof LeadEntity ? lead : Object.assign(new LeadEntity(), lead);
    entity.writeIntent = intent;
    await this.manager.remove(LeadEntity, entity);
  }

  async applyStatusToAllWithEmail(emailHash: string, unsubscribed: boolean, exceptLeadId: number): Promise<number[]> {
    const result: unknown = await this.manager.query(PROPAGATE_STATUS, [emailHash, unsubscribed, exceptLeadId]);
    return rowsOf(result).map((r) => Number(r.id));
  }

  async lockRow(id: number): Promise<{ emailHash: string | null; unsubscribed: boolean } | null> {
    const rows = rowsOf(await this.manager.query(LOCK_LEAD_ROW, [id]));
    if (rows.length === 0) return null;
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
