import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

/** A lead partition. The first migration creates "Default". */
@Entity({ name: "partition" })
export class PartitionEntity {
  @PrimaryGeneratedColumn({ name: "id", type: "integer" })
  id: number;

  @Column({ name: "name", type: "text", unique: true })
  name: string;
}

/** A workspace names a primary partition. */
@Entity({ name: "workspace" })
export class WorkspaceEntity {
  @PrimaryGeneratedColumn({ name: "id", type: "integer" })
  id: number;

  @Column({ name: "name", type: "text", unique: true })
  name: string;

  @Column({ name: "primary_partition_id", type: "integer" })
  primaryPartitionId: number;
}
