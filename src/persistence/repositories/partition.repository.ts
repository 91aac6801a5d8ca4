import type { EntityManager } from "typeorm";
import type { PartitionRepository } from "../../domain/ports";
import { rowsOf } from "./lead.repository";

const INSERT_PARTITION = `INSERT INTO partition (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`;
const FIND_PARTITION = `SELECT id FROM partition WHERE name = $1`;
const INSERT_WORKSPACE = `INSERT INTO workspace (name, primary_partition_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`;

export class SqlPartitionRepository implements PartitionRepository {
  /** Default never changes; read once per transaction (an import creates many leads in one). */
  private defaultId?: number;

  constructor(private readonly manager: EntityManager) {}

  async defaultPartitionId(): Promise<number> {
    if (this.defaultId !== undefined) return this.defaultId;
    const id = await this.findByName("Default");
    if (id === null) throw new Error("the Default partition is missing: migrations have not run");
    this.defaultId = id;
    return id;
  }

  async findByName(name: string): Promise<number | null> {
    const rows = rowsOf(await this.manager.query(FIND_PARTITION, [name]));
    return rows.length ? Number(rows[0].id) : null;
  }

  async findOrCreate(name: string, createWorkspace: boolean): Promise<number> {
    await this.manager.query(INSERT_PARTITION, [name]);
    const id = (await this.findByName(name)) as number;
    if (createWorkspace) await this.manager.query(INSERT_WORKSPACE, [name, id]);
    return id;
  }

  async nameOf(id: number): Promise<string | null> {
    const rows = rowsOf(await this.manager.query(`SELECT name FROM partition WHERE id = $1`, [id]));
    return rows.length ? String(rows[0].name) : null;
  }

  async primaryPartitionOfWorkspace(workspace: string): Promise<number | null> {
    const rows = rowsOf(await this.manager.query(`SELECT primary_partition_id FROM workspace WHERE name = $1`, [workspace]));
    return rows.length ? Number(rows[0].primary_partition_id) : null;
  }
}
