import type { EntityManager, QueryRunner } from "typeorm";
import { ConcurrentChangeError } from "../../domain/errors";
import type { NewActivity, WriteStore } from "../../domain/ports";
import type { EmailStatus, Lead } from "../../domain/types";
import type { LockRequest, LockedSnapshot, MasterChange, WriteOutcome } from "../../domain/write-plan";
import { LeadEntity } from "../entities/lead.entity";
import { rowsOf, toLead } from "./lead.repository";

/**
 * lockForWrite: see migration 1764200000000 (lock_for_write). Called by LeadWriteService first
 * in every unit of work.
 */
const LOCK_FOR_WRITE = `SELECT masters, named, by_address FROM lock_for_write($1::text[], $2::text[], $3::int[], $4::text[], $5::text[])`;

/**
 * advanceLeadIdSequence: before leads are inserted with given ids (an import keeps Marketo's),
 * the id sequence moves past the largest, so later creates never draw one of them. setval is not
 * transactional: a rolled-back unit leaves the sequence moved, which only skips ids.
 */
const ADVANCE_LEAD_ID_SEQUENCE = `
  SELECT setval('lead_id_seq', $1::bigint) FROM lead_id_seq
   WHERE last_value < $1::bigint OR (last_value = $1::bigint AND NOT is_called)`;

/** propagateStatus: leads whose only change is the status their address took (D1/D2), one statement per status. */
const PROPAGATE_STATUS = `UPDATE lead SET unsubscribed = $1, updated_at = now() WHERE id = ANY($2::int[])`;

/** insertActivities: every activity row of the unit in one statement (chunked past 5,000). */
const INSERT_ACTIVITIES = `
  INSERT INTO activity (lead_id, type_id, type_name, mktg_asset_name, attributes, campaign, email_hash)
  SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[])`;

/** changeEmailStatuses: each changed address's final status ('' as the email keeps the stored one). */
const CHANGE_EMAIL_STATUSES = `
  UPDATE email_status m
     SET unsubscribed = v.unsubscribed, reason = v.reason, channel = v.channel, source = v.source, changed_at = v.at,
         lead_id = v.lead_id, email = CASE WHEN v.email = '' THEN m.email ELSE v.email END
    FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::int[])
         AS v(email_hash, email, unsubscribed, reason, channel, source, at, lead_id)
   WHERE m.email_hash = v.email_hash`;

/** insertEmailStatusHistory: every status change of the unit, in order: what explains each address's status. */
const INSERT_HISTORY = `
  INSERT INTO email_status_history (email_hash, email, unsubscribed, channel, reason, source, lead_id, at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::int[], $8::timestamptz[])`;

/**
 * Addresses a later one-click may name by hash only (links made by address): a subscribed
 * master row with the plaintext, or the plaintext filled into a row that has none. No status
 * changes. In hash order, the writers' lock order.
 */
const REMEMBER_ADDRESSES = `
  INSERT INTO email_status (email_hash, email)
  SELECT h, e FROM unnest($1::text[], $2::text[]) AS t(h, e) ORDER BY h
  ON CONFLICT (email_hash) DO UPDATE SET email = EXCLUDED.email
   WHERE email_status.email = '' AND EXCLUDED.email <> '' AND email_status.reason IS DISTINCT FROM 'erased'`;

/** erasure: the addresses' plaintext goes from their master rows, history and outbox; hashes and statuses stay (SPEC §1). */
const BLANK_ADDRESSES = `
  WITH s AS (UPDATE email_status SET email = '' WHERE email_hash = ANY($1::text[])),
       o AS (UPDATE webhook_outbox SET email = '' WHERE email_hash = ANY($1::text[]))
  UPDATE email_status_history SET email = '' WHERE email_hash = ANY($1::text[])`;

/** erasure: activity rows that named an erased address, rewritten without it. */
const REWRITE_ACTIVITIES = `
  UPDATE activity a SET attributes = v.attributes
    FROM unnest($1::bigint[], $2::jsonb[]) AS v(id, attributes) WHERE a.id = v.id`;

/**
 * insertLeads: the unit's new leads in one statement; an id of 0 takes the sequence's next value
 * (an import's leads keep Marketo's), and so do times: null is the transaction's now(), a given
 * one (an import's Created At / Updated At) is kept. unnest yields its rows in array order, and
 * an INSERT … SELECT returns its rows in the order it inserts them: the n-th row returned is the
 * n-th lead.
 */
const INSERT_LEADS = `
  INSERT INTO lead (id, email, email_key, email_hash, foreign_sys_person_id, foreign_sys_type, partition_id, unsubscribed, unsubscribed_reason, fields, created_at, updated_at)
  SELECT CASE WHEN v.id = 0 THEN nextval('lead_id_seq')::int ELSE v.id END, v.email, v.email_key, v.email_hash, v.fid, v.ftype, v.partition_id,
         v.unsubscribed, v.reason, v.fields, COALESCE(v.created_at, now()), COALESCE(v.updated_at, now())
    FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::boolean[], $9::text[], $10::jsonb[], $11::timestamptz[], $12::timestamptz[])
         AS v(id, email, email_key, email_hash, fid, ftype, partition_id, unsubscribed, reason, fields, created_at, updated_at)
  RETURNING id, created_at, updated_at`;

/** updateLeads: the unit's changed leads, each written whole, in one statement (their rows are locked by lock_for_write). */
const UPDATE_LEADS = `
  UPDATE lead l
     SET email = v.email, email_key = v.email_key, email_hash = v.email_hash, foreign_sys_person_id = v.fid, foreign_sys_type = v.ftype,
         partition_id = v.partition_id, unsubscribed = v.unsubscribed, unsubscribed_reason = v.reason, fields = v.fields, updated_at = now()
    FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::boolean[], $9::text[], $10::jsonb[])
         AS v(id, email, email_key, email_hash, fid, ftype, partition_id, unsubscribed, reason, fields)
   WHERE l.id = v.id`;

/** deleteLeads: the unit's deleted leads (D4: their addresses keep their status). */
const DELETE_LEADS = `DELETE FROM lead WHERE id = ANY($1::int[])`;

/** Rows per lead statement: large units go in parts, each array parameter a bounded size. */
const LEAD_CHUNK = 5000;
const ACTIVITY_CHUNK = 5000;

/**
 * What the lead subscriber checks each lead row of an apply against (STYLE habit 6), carried on
 * the query runner's `data` — TypeORM's documented place for data a subscriber reads
 * (QueryRunner.data, the same object SaveOptions.data fills). Set for the apply's statements only.
 */
export interface LeadWriteContext {
  readonly outcome: WriteOutcome;
  /** The decided lead row a value set written by the apply stands for. */
  readonly plannedRowOf: (values: object) => Lead | undefined;
}

export function leadWriteContextOf(queryRunner: QueryRunner | undefined): LeadWriteContext | undefined {
  return (queryRunner?.data as { leadWrite?: LeadWriteContext } | undefined)?.leadWrite;
}

export class SqlWriteStore implements WriteStore {
  constructor(private readonly manager: EntityManager) {}

  async lockForWrite(r: LockRequest): Promise<LockedSnapshot> {
    const [row] = rowsOf(
      await this.manager.query(LOCK_FOR_WRITE, [
        r.addresses.map((a) => a.emailHash),
        r.addresses.map((a) => a.email),
        r.leadIds,
        r.foreignIds.map((f) => f.type),
        r.foreignIds.map((f) => f.id),
      ]),
    );
    const masters = new Map<string, EmailStatus>();
    for (const m of (row?.masters ?? []) as Record<string, unknown>[]) masters.set(String(m.email_hash), toStatus(m));
    const byId = new Map<number, Lead>();
    for (const r of [...((row?.named ?? []) as Record<string, unknown>[]), ...((row?.by_address ?? []) as Record<string, unknown>[])]) {
      const lead = toLead(r);
      if (!byId.has(lead.id)) byId.set(lead.id, lead);
    }
    const leads = [...byId.values()];
    // A lead named by id or foreign id that another writer moved to an address this unit did not lock.
    if (leads.some((l) => l.emailHash !== null && !masters.has(l.emailHash))) throw new ConcurrentChangeError("a lead changed address while its write was planned");
    return { masters, leads };
  }

  async rememberAddresses(addresses: readonly { emailHash: string; email: string }[]): Promise<void> {
    const unique = [...new Map(addresses.map((a) => [a.emailHash, a.email])).entries()];
    if (unique.length === 0) return;
    await this.manager.query(REMEMBER_ADDRESSES, [unique.map(([h]) => h), unique.map(([, e]) => e)]);
  }

  async apply(outcome: WriteOutcome): Promise<void> {
    const runner = this.manager.queryRunner;
    if (!runner?.isTransactionActive) throw new Error("a unit of work applies inside a transaction");
    const planned = new Map<object, Lead>();
    const data = runner.data as { leadWrite?: LeadWriteContext };
    data.leadWrite = { outcome, plannedRowOf: (values) => planned.get(values) };
    try {
      await this.writeLeads(outcome, planned);
    } finally {
      delete data.leadWrite;
    }
    for (const p of outcome.propagations) await this.manager.query(PROPAGATE_STATUS, [p.unsubscribed, p.leadIds]);
    await this.insertActivities(outcome.activities.map((build) => build()));
    await this.writeMasters(outcome.masterChanges);
    if (outcome.blankAddresses.length) await this.manager.query(BLANK_ADDRESSES, [outcome.blankAddresses]);
    if (outcome.blankActivities.length) {
      await this.manager.query(REWRITE_ACTIVITIES, [outcome.blankActivities.map((a) => a.id), outcome.blankActivities.map((a) => JSON.stringify(a.attributes))]);
    }
  }

  /**
   * The lead statements. Each row is announced to TypeORM's lead subscriber first (the event
   * TypeORM's own insert and update builders send: BeforeInsert, BeforeUpdate with the row as
   * read, BeforeRemove), which checks it against the outcome and refuses, before any SQL, a row
   * the plan did not decide. The statements themselves are set-based: TypeORM's builders spend
   * most of a large unit's CPU on parameter bookkeeping (measured; README, Performance).
   */
  private async writeLeads(outcome: WriteOutcome, planned: Map<object, Lead>): Promise<void> {
    const broadcaster = this.manager.queryRunner?.broadcaster;
    if (!broadcaster) throw new Error("a unit of work applies on its own query runner");
    const metadata = this.manager.dataSource.getMetadata(LeadEntity);
    // Deletes first: a merge winner may take the foreign id of a loser that goes (a unique key).
    if (outcome.deletes.length) {
      for (const id of outcome.deletes) await broadcaster.broadcast("BeforeRemove", metadata, { id });
      await this.manager.query(DELETE_LEADS, [outcome.deletes]);
    }
    const given = outcome.inserts.filter((l) => l.id > 0).map((l) => l.id);
    if (given.length) await this.manager.query(ADVANCE_LEAD_ID_SEQUENCE, [Math.max(...given)]);
    for (let i = 0; i < outcome.inserts.length; i += LEAD_CHUNK) {
      const chunk = outcome.inserts.slice(i, i + LEAD_CHUNK);
      const values = chunk.map((lead) => remember(planned, lead));
      for (const v of values) await broadcaster.broadcast("BeforeInsert", metadata, v);
      const kept = outcome.givenTimes ?? new Set<Lead>();
      const times = [chunk.map((l) => (kept.has(l) ? l.createdAt.toISOString() : null)), chunk.map((l) => (kept.has(l) ? l.updatedAt.toISOString() : null))];
      const rows = rowsOf(await this.manager.query(INSERT_LEADS, [...leadArrays(values), ...times]));
      rows.forEach((r, j) => {
        chunk[j].id = Number(r.id);
        chunk[j].createdAt = new Date(r.created_at as string);
        chunk[j].updatedAt = new Date(r.updated_at as string);
      });
    }
    for (let i = 0; i < outcome.updates.length; i += LEAD_CHUNK) {
      const chunk = outcome.updates.slice(i, i + LEAD_CHUNK);
      const values = chunk.map((lead) => remember(planned, lead));
      for (const v of values) await broadcaster.broadcast("BeforeUpdate", metadata, v);
      await this.manager.query(UPDATE_LEADS, leadArrays(values));
    }
  }

  private async insertActivities(rows: NewActivity[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ACTIVITY_CHUNK) {
      const chunk = rows.slice(i, i + ACTIVITY_CHUNK);
      await this.manager.query(INSERT_ACTIVITIES, [
        chunk.map((r) => r.leadId),
        chunk.map((r) => r.typeId),
        chunk.map((r) => r.typeName),
        chunk.map((r) => r.mktgAssetName),
        chunk.map((r) => JSON.stringify(r.attributes)),
        chunk.map((r) => r.campaign),
        chunk.map((r) => r.emailHash),
      ]);
    }
  }

  /** Each changed address's final status, then every change's history row. */
  private async writeMasters(changes: readonly MasterChange[]): Promise<void> {
    if (changes.length === 0) return;
    const final = new Map<string, MasterChange & { email: string }>();
    for (const c of changes) {
      const before = final.get(c.emailHash);
      final.set(c.emailHash, { ...c, email: c.email !== "" ? c.email : (before?.email ?? "") });
    }
    const f = [...final.values()];
    await this.manager.query(CHANGE_EMAIL_STATUSES, [
      f.map((c) => c.emailHash),
      f.map((c) => c.email),
      f.map((c) => c.change.unsubscribed),
      f.map((c) => c.change.reason),
      f.map((c) => c.change.channel),
      f.map((c) => c.change.source),
      f.map((c) => c.change.at),
      f.map((c) => leadIdOf(c)),
    ]);
    await this.manager.query(INSERT_HISTORY, [
      changes.map((c) => c.emailHash),
      changes.map((c) => c.email),
      changes.map((c) => c.change.unsubscribed),
      changes.map((c) => c.change.channel),
      changes.map((c) => c.change.reason),
      changes.map((c) => c.change.source),
      changes.map((c) => leadIdOf(c)),
      changes.map((c) => c.change.at),
    ]);
  }
}

/** The causing lead's id, known once its insert returned it. */
function leadIdOf(c: MasterChange): number | null {
  return c.causedBy ? c.causedBy.id : c.change.leadId;
}

/** The values written for a lead: a copy, so what the subscriber checks is what the statement writes. */
function remember(planned: Map<object, Lead>, lead: Lead): Lead {
  const values = { ...lead };
  planned.set(values, lead);
  return values;
}

/** The ten array parameters of INSERT_LEADS / UPDATE_LEADS. */
function leadArrays(leads: readonly Lead[]): unknown[] {
  return [
    leads.map((l) => l.id),
    leads.map((l) => l.email),
    leads.map((l) => l.emailKey),
    leads.map((l) => l.emailHash),
    leads.map((l) => l.foreignSysPersonId),
    leads.map((l) => l.foreignSysType),
    leads.map((l) => l.partitionId),
    leads.map((l) => l.unsubscribed),
    leads.map((l) => l.unsubscribedReason),
    leads.map((l) => JSON.stringify(l.fields)),
  ];
}

export function toStatus(r: Record<string, unknown>): EmailStatus {
  return {
    emailHash: String(r.email_hash),
    email: String(r.email),
    unsubscribed: r.unsubscribed === true,
    reason: (r.reason as string | null) ?? null,
    channel: (r.channel as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    changedAt: r.changed_at ? new Date(r.changed_at as string) : null,
    leadId: r.lead_id === null || r.lead_id === undefined ? null : Number(r.lead_id),
  };
}
