import type { EntityManager } from "typeorm";
import type { ListRepository } from "../../domain/ports";
import { rowsOf } from "./lead.repository";

/** findList: by name, within a program when one is given (names are "Program.List" or "List"). */
const FIND_BY_NAME = `SELECT id, program_name, name FROM static_list WHERE name = $2 AND ($1::text IS NULL OR program_name = $1) ORDER BY id LIMIT 1`;
const FIND_BY_ID = `SELECT id, program_name, name FROM static_list WHERE id = $1`;
const CREATE = `INSERT INTO static_list (program_name, name) VALUES ($1, $2) ON CONFLICT (program_name, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`;
const MEMBER_IDS = `SELECT lead_id FROM static_list_member WHERE list_id = $1 ORDER BY lead_id`;
const MEMBERS_AMONG = `SELECT lead_id FROM static_list_member WHERE list_id = $1 AND lead_id = ANY($2::int[])`;
/** addListMembers: one statement; returns the leads that were not members yet. */
const ADD = `INSERT INTO static_list_member (list_id, lead_id) SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING RETURNING lead_id`;
const REMOVE = `DELETE FROM static_list_member WHERE list_id = $1 AND lead_id = ANY($2::int[]) RETURNING lead_id`;

type ListRow = { id: number; programName: string; name: string };

export class SqlListRepository implements ListRepository {
  constructor(private readonly manager: EntityManager) {}

  async findByName(programName: string | null, name: string): Promise<ListRow | null> {
    return this.one(await this.manager.query(FIND_BY_NAME, [programName, name]));
  }

  async findById(id: number): Promise<ListRow | null> {
    return this.one(await this.manager.query(FIND_BY_ID, [id]));
  }

  async create(programName: string, name: string): Promise<number> {
    return Number(rowsOf(await this.manager.query(CREATE, [programName, name]))[0].id);
  }

  async memberIds(listId: number): Promise<number[]> {
    return rowsOf(await this.manager.query(MEMBER_IDS, [listId])).map((r) => Number(r.lead_id));
  }

  async memberIdsOfLead(leadId: number): Promise<number[]> {
    return rowsOf(await this.manager.query(`SELECT list_id FROM static_list_member WHERE lead_id = $1 ORDER BY list_id`, [leadId])).map((r) => Number(r.list_id));
  }

  async membersAmong(listId: number, leadIds: number[]): Promise<Set<number>> {
    return new Set(rowsOf(await this.manager.query(MEMBERS_AMONG, [listId, leadIds])).map((r) => Number(r.lead_id)));
  }

  async addMembers(listId: number, leadIds: number[]): Promise<number[]> {
    if (leadIds.length === 0) return [];
    return rowsOf(await this.manager.query(ADD, [listId, leadIds])).map((r) => Number(r.lead_id));
  }

  async removeMembers(listId: number, leadIds: number[]): Promise<number[]> {
    if (leadIds.length === 0) return [];
    return rowsOf(await this.manager.query(REMOVE, [listId, leadIds])).map((r) => Number(r.lead_id));
  }

  private one(result: unknown): ListRow | null {
    const rows = rowsOf(result);
    return rows.length ? { id: Number(rows[0].id), programName: String(rows[0].program_name), name: String(rows[0].name) } : null;
  }
}
