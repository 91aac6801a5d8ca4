/** Ports for declared custom fields and campaigns. */
import type { FieldDefinition } from "./lead-fields";

export interface FieldRepository {
  all(): Promise<FieldDefinition[]>;
  /** Declares a field; false when the name is taken. */
  insert(def: FieldDefinition): Promise<boolean>;
}

export interface CampaignStep {
  readonly type: "changeDataValue";
  readonly attribute: string;
  readonly value: string;
}

export interface Campaign {
  readonly id: number;
  readonly programName: string;
  readonly name: string;
  readonly description: string;
  readonly steps: CampaignStep[];
}

export interface CampaignRepository {
  create(c: Omit<Campaign, "id">): Promise<number | null>;
  findById(id: number): Promise<Campaign | null>;
  findByName(programName: string, name: string): Promise<Campaign | null>;
  search(name: string | undefined, exact: boolean): Promise<Campaign[]>;
}
