/**
 * Campaigns with Change Data Value flow steps (SPEC §4 "Flow step"): created through the admin
 * API, listed by getCampaignsForSource, run by requestCampaign and by the admin flow endpoint.
 * Each lead's steps run in one transaction of their own, through the same write path as every
 * other channel, with the flow channel's Reason and Source.
 */
import type { Campaign, CampaignStep } from "./catalogue-ports";
import type { EmailHasher } from "./email";
import { DomainError, InvalidLeadKeyError, InvalidValueError, LeadNotFoundError } from "./errors";
import { findLeadsByKey } from "./lead-key";
import { partitionsOf, type CallerScope } from "./caller-scope";
import type { LeadService } from "./lead.service";
import type { TransactionRunner } from "./ports";
import { Channels, type Lead, type LeadKey } from "./types";

export class CampaignNotFoundError extends DomainError {
  readonly kind = "campaignNotFound";
}

export interface FlowResult {
  readonly updated: number[];
  readonly notFound: number[];
}

export class CampaignService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly leads: Pick<LeadService, "updateLeads">;
    },
  ) {}

  async create(input: { programName: string; name: string; description?: string; steps: CampaignStep[] }): Promise<number> {
    const programName = input.programName.trim();
    const name = input.name.trim();
    if (!programName || !name) throw new InvalidValueError("a campaign needs programName and name");
    for (const s of input.steps) {
      if (s.type !== "changeDataValue" || !s.attribute?.trim() || typeof s.value !== "string") {
        throw new InvalidValueError('each step is { "type": "changeDataValue", "attribute": <field>, "value": <text> }');
      }
    }
    const id = await this.deps.tx.run((repos) => repos.campaigns.create({ programName, name, description: input.description ?? "", steps: input.steps }));
    if (id === null) throw new InvalidValueError(`campaign ${programName}.${name} exists already`);
    return id;
  }

  async search(name: string | undefined, exact: boolean): Promise<Campaign[]> {
    return this.deps.tx.run((repos) => repos.campaigns.search(name, exact));
  }

  async find(ref: { id?: number; programName?: string; name?: string }): Promise<Campaign> {
    const campaign = await this.deps.tx.run((repos) =>
      ref.id !== undefined ? repos.campaigns.findById(ref.id) : repos.campaigns.findByName(ref.programName ?? "", ref.name ?? ""),
    );
    if (!campaign) throw new CampaignNotFoundError(ref.id !== undefined ? `Campaign not found: id ${ref.id}` : `Campaign not found: ${ref.programName}.${ref.name}`);
    return campaign;
  }

  /** requestCampaign: runs the campaign's steps on the leads the keys name (unknown keys are skipped). */
  async request(campaign: Campaign, keys: LeadKey[], caller?: CallerScope): Promise<FlowResult> {
    const ids = await this.deps.tx.run(async (repos) => {
      const scope = await partitionsOf(caller, repos);
      const out: number[] = [];
      const mine = (l: Lead) => !scope || scope.includes(l.partitionId);
      for (const key of keys) {
        if (!["IDNUM", "EMAIL", "SFDCLEADID", "SFDCCONTACTID"].includes(key.type)) continue;
        const leads = await findLeadsByKey(key, this.deps.hasher, repos).catch((error: unknown) => {
          if (error instanceof InvalidLeadKeyError) return []; // an unusable key names no lead: skipped
          throw error;
        });
        out.push(...leads.filter(mine).map((l) => l.id));
      }
      return [...new Set(out)];
    });
    return this.runSteps(campaign.steps, ids, campaign, caller);
  }

  /** The admin flow endpoint: one Change Data Value step on many leads. */
  async changeDataValue(leadIds: number[], attribute: string, value: string, campaignId?: number): Promise<FlowResult> {
    const campaign = campaignId !== undefined ? await this.find({ id: campaignId }) : undefined;
    return this.runSteps([{ type: "changeDataValue", attribute, value }], leadIds, campaign);
  }

  private async runSteps(steps: CampaignStep[], leadIds: number[], campaign?: Campaign, caller?: CallerScope): Promise<FlowResult> {
    const channel = Channels.flow(campaign?.programName, campaign?.name);
    const fields: Record<string, string> = {};
    for (const s of steps) fields[s.attribute] = s.value;
    const updated: number[] = [];
    const notFound: number[] = [];
    const results = await this.deps.leads.updateLeads(leadIds, { fields }, channel, caller);
    results.forEach((result, i) => {
      if ("ok" in result) updated.push(leadIds[i]);
      else if (result.error instanceof LeadNotFoundError) notFound.push(leadIds[i]);
      else throw result.error;
    });
    return { updated, notFound };
  }
}
