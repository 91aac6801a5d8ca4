import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * The master email status: one row per email key, keyed by its keyed hash, never deleted.
 * `email` is the plaintext for display (blanked by erasure).
 */
@Entity({ name: "email_status" })
export class EmailStatusEntity {
  @PrimaryColumn({ name: "email_hash", type: "text" })
  emailHash: string;

  @Column({ name: "email", type: "text" })
  email: string;

  @Column({ name: "unsubscribed", type: "boolean", default: false })
  unsubscribed: boolean;

  @Column({ name: "reason", type: "text", nullable: true })
  reason: string | null;

  @Column({ name: "channel", type: "text", nullable: true })
  channel: string | null;

  @Column({ name: "source", type: "text", nullable: true })
  source: string | null;

  @Column({ name: "changed_at", type: "timestamptz", nullable: true })
  changedAt: Date | null;

  @Column({ name: "lead_id", type: "integer", nullable: true })
  leadId: number | null;

  @Column({ name: "created_at", type: "timestamptz", default: () => "now()" })
  createdAt: Date;
}

/** Every change of an address's status; outlives every lead. */
@Entity({ name: "email_status_history" })
export class EmailStatusHistoryEntity {
  @PrimaryColumn({ name: "id", type: "bigint", generated: "increment" })
  id: string;

  @Column({ name: "email_hash", type: "text" })
  emailHash: string;

  @Column({ name: "email", type: "text" })
  email: string;

  @Column({ name: "unsubscribed", type: "boolean" })
  unsubscribed: boolean;

  @Column({ name: "channel", type: "text" })
  channel: string;

  @Column({ name: "reason", type: "text" })
  reason: string;

  @Column({ name: "source", type: "text" })
  source: string;

  @Column({ name: "lead_id", type: "integer", nullable: true })
  leadId: number | null;

  @Column({ name: "at", type: "timestamptz" })
  at: Date;
}
