/**
 * The Salesforce sync channel (SPEC §4 "Salesforce sync", §6): applies Salesforce outbound
 * messages for Lead and Contact records. Each notification runs in a transaction of its own
 * that also records its Notification Id (a redelivery is applied once) and the record's last
 * seen values, so a notification acts only on what changed on the Salesforce side
 * (sfdc-sync.policy.ts). Lead writes go through LeadService, and so through the rules, with
 * the channel's Reason "Sync from SFDC" and Source "Sales".
 *
 * Matching: the lead linked to the record (ForeignSysType SFDC, ForeignSysPersonId = the id,
 * 18- or 15-character form), else the most recently updated lead with the email, which gets
 * linked unless another system's foreign id is on it; else a new lead, linked.
 */
import { emailKey, type EmailHasher } from "./email";
import { DomainError, isRequestError } from "./errors";
import { mask } from "./one-click.service";
import type { LeadService } from "./lead.service";
import type { Repositories, TransactionRunner } from "./ports";
import type { KeptNotification } from "./sfdc-ports";
import { decideOnNotification, isSalesforceId, salesforceId18, sameSalesforceId, type SfdcDecision } from "./sfdc-sync.policy";
import { Channels, type LeadInput } from "./types";

/** One Notification of an outbound message, in the words of the domain. */
export interface SfdcNotification {
  /** The Notification Id (04l…), unique per delivery attempt series. */
  readonly notificationId: string;
  /** "Lead" or "Contact" (xsi:type of the sObject). */
  readonly sobjectType: string;
  readonly sobjectId: string;
  /** undefined: not in the message (or nil); "" : empty. */
  readonly email?: string;
  readonly optedOut?: boolean;
  readonly firstName?: string;
  readonly lastName?: string;
  /** SystemModstamp, when the outbound message sends it. */
  readonly modifiedAt?: Date;
}

/** A notification that can never apply (bad characters, impossible values): acknowledged and kept. */
export interface UnusableNotification {
  readonly notificationId?: string;
  readonly sobjectId?: string;
  readonly sobjectType?: string;
  readonly problem: string;
  /** The notification's values as received, control characters escaped, for the operator. */
  readonly excerpt: string;
}

export interface SfdcOutboundMessage {
  readonly organizationId: string;
  readonly notifications: readonly SfdcNotification[];
  readonly unusable?: readonly UnusableNotification[];
}

export type SfdcOutcome = "applied" | "duplicate" | "stale" | "kept";

export type SfdcReceipt = Record<SfdcOutcome, number>;

/** The message comes from another Salesforce org than the configured one. */
export class ForeignOrganizationError extends DomainError {
  readonly kind = "foreignOrganization";
}

const SOBJECT_TYPES = new Set(["Lead", "Contact"]);

export class SfdcSyncService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly leads: Pick<LeadService, "updateLeadWith" | "createLeadWith">;
      /** SFDC_ORGANIZATION_ID. */
      readonly organizationId: string;
    },
  ) {}

  /** Applies every notification of one message, in order; refuses the whole message first if it is not ours. */
  async receive(message: SfdcOutboundMessage): Promise<SfdcReceipt> {
    if (!sameSalesforceId(message.organizationId, this.deps.organizationId)) {
      throw new ForeignOrganizationError("OrganizationId is not the organization this endpoint accepts");
    }
    const receipt: SfdcReceipt = { applied: 0, duplicate: 0, stale: 0, kept: 0 };
    for (const u of message.unusable ?? []) receipt[await this.keep(u)]++;
    for (const n of message.notifications) {
      const problem = !SOBJECT_TYPES.has(n.sobjectType)
        ? `only Lead and Contact notifications are accepted, not '${n.sobjectType.slice(0, 40)}'`
        : !isSalesforceId(n.sobjectId)
          ? `'${n.sobjectId.slice(0, 40)}' is not a Salesforce id`
          : undefined;
      receipt[problem ? await this.keep(unusable(n, problem)) : await this.applyOrKeep(n)]++;
    }
    return receipt;
  }

  /** Kept notifications, newest first (for the operator). */
  kept(limit: number): Promise<KeptNotification[]> {
    return this.deps.tx.run((repos) => repos.sfdcRecords.kept(limit));
  }

  /** A notification the rules refuse (a bad value) can never apply: kept, not retried by Salesforce for a day. */
  private async applyOrKeep(n: SfdcNotification): Promise<SfdcOutcome> {
    try {
      return await this.applyNotification(n);
    } catch (error) {
      if (!isRequestError(error)) throw error;
      return this.keep(unusable(n, error.message));
    }
  }

  private async keep(u: UnusableNotification): Promise<SfdcOutcome> {
    const kept = await this.deps.tx.run((repos) => repos.sfdcRecords.keep(u));
    return kept ? "kept" : "duplicate";
  }

  private applyNotification(n: SfdcNotification): Promise<SfdcOutcome> {
    const sobjectId = salesforceId18(n.sobjectId);
    return this.deps.tx.run(async (repos) => {
      if (!(await repos.sfdcRecords.markProcessed(n.notificationId, sobjectId))) return "duplicate";
      const previous = await repos.sfdcRecords.lock(sobjectId, n.sobjectType);
      const decision = decideOnNotification(previous, {
        optedOut: n.optedOut,
        emailHash: n.email === undefined ? undefined : this.hashOf(n.email),
        modifiedAt: n.modifiedAt,
      });
      if (decision.stale) return "stale";
      await this.writeLead(n, sobjectId, decision, repos);
      await repos.sfdcRecords.save(sobjectId, decision.next, n.notificationId);
      return "applied";
    });
  }

  private async writeLead(n: SfdcNotification, sobjectId: string, decision: SfdcDecision, repos: Repositories): Promise<void> {
    const channel = Channels.sfdc;
    const unsubscribed = decision.unsubscribed !== undefined ? { unsubscribed: decision.unsubscribed } : {};
    const linked = (await repos.leads.findByForeignId("SFDC", sobjectId)) ?? (await repos.leads.findByForeignId("SFDC", sobjectId.slice(0, 15)));
    if (linked) {
      // Only an email that changed on the Salesforce side is written: an unrelated edit must not
      // undo an email change made here.
      // A re-subscribe undoes only Salesforce's own unsubscribe: one made elsewhere (SOAP, a
      // one-click link, an import, erasure) is not Salesforce's to clear (refused: the
      // notification is kept for an operator).
      await this.deps.leads.updateLeadWith(repos, linked.id, { ...(decision.emailChanged ? { email: n.email } : {}), ...unsubscribed }, channel, { resubscribeOnlyFrom: "sfdc" });
      return;
    }
    const link: LeadInput = { foreignSysPersonId: sobjectId, foreignSysType: "SFDC" };
    const hash = n.email === undefined ? null : this.hashOf(n.email);
    const byEmail = hash ? await repos.leads.findLatestByEmailHash(hash) : null;
    if (byEmail) {
      const mayLink = !byEmail.foreignSysPersonId || byEmail.foreignSysType === "SFDC";
      // A record no lead is linked to may unsubscribe the address it names, never re-subscribe
      // it: otherwise anyone who can post here could clear an unsubscribe made elsewhere.
      const allowed = decision.unsubscribed === false ? {} : unsubscribed;
      await this.deps.leads.updateLeadWith(repos, byEmail.id, { ...(mayLink ? link : {}), ...allowed }, channel);
      return;
    }
    const fields: Record<string, string> = {};
    if (n.firstName) fields.FirstName = n.firstName;
    if (n.lastName) fields.LastName = n.lastName;
    await this.deps.leads.createLeadWith(repos, { ...link, ...(hash ? { email: n.email } : {}), ...unsubscribed, fields }, channel);
  }

  private hashOf(email: string): string | null {
    const key = emailKey(email);
    return key ? this.deps.hasher(key) : null;
  }
}

function unusable(n: SfdcNotification, problem: string): UnusableNotification {
  const values = { type: n.sobjectType, id: n.sobjectId, email: n.email === undefined ? undefined : mask(n.email), optedOut: n.optedOut, firstName: n.firstName, lastName: n.lastName, modifiedAt: n.modifiedAt?.toISOString() };
  return { notificationId: n.notificationId, sobjectId: n.sobjectId, sobjectType: n.sobjectType, problem, excerpt: JSON.stringify(values).slice(0, 2000) };
}
