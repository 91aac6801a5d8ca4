import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import type { ActivityAttribute } from "../../domain/types";

/** An append-only activity row (New Lead, Change Data Value, Delete Lead, …). Kept after the lead is deleted. */
@Entity({ name: "activity" })
@Index("activity_lead_idx", ["leadId", "id"])
export class ActivityEntity {
  @PrimaryColumn({ name: "id", type: "bigint", generated: "increment" })
  id: string;

  @Column({ name: "lead_id", type: "integer" })
  leadId: number;

  @Column({ name: "type_id", type: "integer" })
  typeId: number;

  @Column({ name: "type_name", type: "text" })
  typeName: string;

  @Column({ name: "mktg_asset_name", type: "text", default: "" })
  mktgAssetName: string;

  @Column({ name: "attributes", type: "jsonb" })
  attributes: ActivityAttribute[];

  @Column({ name: "campaign", type: "text", nullable: true })
  campaign: string | null;

  @Column({ name: "email_hash", type: "text", nullable: true })
  emailHash: string | null;

  @Column({ name: "created_at", type: "timestamptz", default: () => "now()" })
  createdAt: Date;
}
