import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from "typeorm";
import type { Lead } from "../../domain/types";

/**
 * One lead. Its email is stored as given and as its key; email_hash (the keyed hash of the
 * key) joins it to the master email status. Written only by the write path's apply step
 * (LeadWriteService → SqlWriteStore), which the lead subscriber checks against its plan; a
 * deferred trigger (migration) refuses any commit that leaves a lead disagreeing with its
 * master status.
 */
@Entity({ name: "lead" })
@Index("lead_email_hash_idx", ["emailHash"])
@Index("lead_foreign_id_uq", ["foreignSysType", "foreignSysPersonId"], { unique: true, where: "foreign_sys_person_id IS NOT NULL" })
export class LeadEntity implements Lead {
  /**
   * From the column's sequence (serial), unless a create gives one: an import keeps Marketo's
   * ids. Not @PrimaryGeneratedColumn, whose given value TypeORM silently drops on PostgreSQL
   * inserts; with the sequence as the column default, an unset id is the sequence's next value
   * (INSERT … DEFAULT … RETURNING id) and a set one is inserted as it is.
   */
  @PrimaryColumn({ name: "id", type: "integer", default: () => "nextval('lead_id_seq'::regclass)" })
  id: number;

  @Column({ name: "email", type: "text", nullable: true })
  email: string | null;

  @Column({ name: "email_key", type: "text", nullable: true })
  emailKey: string | null;

  @Column({ name: "email_hash", type: "text", nullable: true })
  emailHash: string | null;

  @Column({ name: "foreign_sys_person_id", type: "text", nullable: true })
  foreignSysPersonId: string | null;

  @Column({ name: "foreign_sys_type", type: "text", nullable: true })
  foreignSysType: string | null;

  @Column({ name: "partition_id", type: "integer" })
  partitionId: number;

  @Column({ name: "unsubscribed", type: "boolean", default: false })
  unsubscribed: boolean;

  @Column({ name: "unsubscribed_reason", type: "text", nullable: true })
  unsubscribedReason: string | null;

  @Column({ name: "fields", type: "jsonb", default: () => "'{}'::jsonb" })
  fields: Record<string, string>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
