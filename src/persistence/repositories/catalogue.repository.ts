import type { EntityManager } from "typeorm";
import type { Campaign, CampaignRepository, CampaignStep, FieldRepository } from "../../domain/catalogue-ports";
import type { FieldDefinition, FieldType } from "../../domain/lead-fields";
import { rowsOf } from "./lead.repository";

const ALL_FIELDS = `SELECT name, attr_type, display_name FROM lead_field ORDER BY name`;
const INSERT_FIELD = `INSERT INTO lead_field (name, attr_type, display_name) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING name`;

export class SqlFieldRepository implements FieldRepository {
  constructor(private readonly manager: EntityManager) {}

  async all(): Promise<FieldDefinition[]> {
    return rowsOf(await this.manager.query(ALL_FIELDS)).map((r) => ({
      name: String(r.name),
      type: String(r.attr_type) as FieldType,
      displayName: String(r.display_name),
      custom: true,
    }));
  }

  async insert(def: FieldDefinition): Promise<boolean> {
    return rowsOf(await this.manager.query(INSERT_FIELD, [def.name, def.type, def.displayName])).length > 0;
  }
}

const CAMPAIGN_COLUMNS = `id, program_name, name, description, steps`;

export class SqlCampaignRepository implements CampaignRepository {
  constructor(private readonly manager: EntityManager) {}

  async create(c: Omit<Campaign, "id">): Promise<number | null> {
    const rows = rowsOf(
      await this.manager.query(
        `INSERT INTO campaign (program_name, name, description, steps) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (program_name, name) DO NOTHING RETURNING id`,
        [c.programName, c.name, c.description, JSON.stringify(c.steps)],
      ),
    );
    return rows.length ? Number(rows[0].id) : null;
  }

  async findById(id: number): Promise<Campaign | null> {
    return this.one(await this.manager.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE id = $1`, [id]));
  }

  async findByName(programName: string, name: string): Promise<Campaign | null> {
    return this.one(await this.manager.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE program_name = $1 AND name = $2`, [programName, name]));
  }

  /** getCampaignsForSource: all, by exact name ("Campaign" or "Program.Campaign", as listed), or by a name fragment (case-insensitive). */
  async search(name: string | undefined, exact: boolean): Promise<Campaign[]> {
    const rows = !name
      ? await this.manager.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign ORDER BY id`)
      : exact
        ? await this.manager.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE name = $1 OR program_name || '.' || name = $1 ORDER BY id`, [name])
        : await this.manager.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE strpos(lower(name), lower($1)) > 0 ORDER BY id`, [name]);
    return rowsOf(rows).map(toCampaign);
  }

  private one(result: unknown): Campaign | null {
    const rows = rowsOf(result);
    return rows.length ? toCampaign(rows[0]) : null;
  }
}

function toCampaign(r: Record<string, unknown>): Campaign {
  return {
    id: Number(r.id),
    programName: String(r.program_name),
    name: String(r.name),
    description: String(r.description ?? ""),
    steps: (r.steps as CampaignStep[]) ?? [],
  };
}
