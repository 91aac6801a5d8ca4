/**
 * Applies the durable-unsubscribe rules (SPEC §2) to one lead write, inside the transaction of
 * that write. The lead subscriber calls it around every insert, update and removal of a lead;
 * the decisions come from email-status.policy.ts, the master status is the source of truth and
 * a lead's Unsubscribed is its projection.
 *
 * Locking: the master rows of every key a write touches are locked (created if missing) in
 * hash order before anything is decided, so concurrent writes on one address serialize and an
 * email change (two keys) cannot deadlock against another.
 */
import { booleanText, changeDataValueRow, newLeadRow, deleteLeadRow, type ValueChange } from "./activity-log.service";
import { emailKey, type EmailHasher } from "./email";
import { decideOnCreate, decideOnUpdate, type FlagDecision } from "./email-status.policy";
import { AccessDeniedError, ConcurrentChangeError, InvalidWriteError } from "./errors";
import type { FieldCatalogue } from "./lead-fields";
import type { NewActivity, Repositories } from "./ports";
import { SystemReasons, type Lead, type WriteIntent } from "./types";

/** What the "before" step decided, carried to the "after" step of the same write. */
export interface PendingWrite {
  readonly decision: FlagDecision;
  /** The lead as it was before an update (absent on create). */
  readonly previous?: Lead;
}

export interface EmailStatusServiceDeps {
  readonly hasher: EmailHasher;
  readonly fields: () => FieldCatalogue;
  readonly now?: () => Date;
  /** Told of every committed change of an address's status (metrics). */
  readonly onStatusChanged?: (e: { unsubscribed: boolean; channel: string; propagatedTo: number }) => void;
}

export class EmailStatusService {
  constructor(private readonly deps: EmailStatusServiceDeps) {}

  /** Before INSERT: derive the key, lock the master, set the new lead's flag (D3). */
  async beforeCreate(lead: Lead, intent: WriteIntent, repos: Repositories): Promise<PendingWrite> {
    this.deriveKey(lead);
    const master = lead.emailHash ? await this.lockOne(lead, repos) : false;
    const decision = decideOnCreate({ key: lead.emailKey, masterUnsubscribed: master, requested: intent.requestedUnsubscribed });
    lead.unsubscribed = decision.unsubscribed;
    return { decision };
  }

  /** After INSERT: activity rows, then the master change and its propagation (D1). */
  async afterCreate(lead: Lead, pending: PendingWrite, intent: WriteIntent, repos: Repositories): Promise<void> {
    const rows: NewActivity[] = [newLeadRow(lead, intent.channel)];
    if (lead.unsubscribed) {
      rows.push(changeDataValueRow(lead.id, lead.emailHash, this.flagChange(false, true, pending.decision), intent.channel));
    }
    await repos.activities.insertMany(rows);
    await this.changeMaster(lead, pending.decision, intent, repos);
  }

  /**
   * Before UPDATE: keep the email (an empty one means "not given"), lock the old and new keys,
   * re-read the row under its lock, and decide the flag (D1, D2, D5, D6).
   */
  async beforeUpdate(previous: Lead, lead: Lead, intent: WriteIntent, repos: Repositories): Promise<PendingWrite> {
    if (emailKey(lead.email) === null) lead.email = previous.email;
    this.deriveKey(lead);
    if (lead.emailKey === previous.emailKey) lead.emailHash = previous.emailHash;

    const entries = new Map<string, string>();
    if (previous.emailHash && previous.email) entries.set(previous.emailHash, previous.email);
    if (lead.emailHash && lead.email) entries.set(lead.emailHash, lead.email);
    const statuses = await repos.emailStatuses.lock([...entries].map(([emailHash, email]) => ({ emailHash, email })));

    // A row this transaction locked before the save was reloaded by the save under that lock, so
    // `previous` is current; otherwise lock it now and read what is committed.
    const current = repos.leads.isLockedHere(lead.id) ? { emailHash: previous.emailHash, unsubscribed: previous.unsubscribed } : await repos.leads.lockRow(lead.id);
    if (!current) throw new ConcurrentChangeError(`lead ${lead.id} was deleted meanwhile`);
    if (current.emailHash !== previous.emailHash) throw new ConcurrentChangeError(`lead ${lead.id} changed email meanwhile`);

    const masterBefore = previous.emailHash ? (statuses.get(previous.emailHash)?.unsubscribed ?? false) : false;
    const masterAfter = lead.emailHash ? (statuses.get(lead.emailHash)?.unsubscribed ?? false) : false;
    const decision = decideOnUpdate({
      before: { key: previous.emailKey, unsubscribed: current.unsubscribed },
      afterKey: lead.emailKey,
      masterBefore,
      masterAfter,
      requested: intent.requestedUnsubscribed,
    });
    if (decision.masterUnsubscribed === false && lead.emailHash) await this.checkMayResubscribe(lead.emailHash, intent, repos);
    lead.unsubscribed = decision.unsubscribed;
    return { decision, previous: { ...previous, unsubscribed: current.unsubscribed } };
  }

  /** After UPDATE: a Change Data Value row per changed field, then the master and propagation. */
  async afterUpdate(lead: Lead, pending: PendingWrite, intent: WriteIntent, repos: Repositories): Promise<void> {
    const previous = pending.previous;
    if (!previous) throw new InvalidWriteError("update without its previous state");
    const changes = this.fieldChanges(previous, lead);
    if (previous.unsubscribed !== lead.unsubscribed) {
      changes.push(this.flagChange(previous.unsubscribed, lead.unsubscribed, pending.decision));
    }
    await repos.activities.insertMany(changes.map((c) => changeDataValueRow(lead.id, lead.emailHash, c, intent.channel)));
    await this.changeMaster(lead, pending.decision, intent, repos);
  }

  /** After DELETE: the master status stays as it is (D4); the deletion is logged. */
  async afterRemove(lead: Lead, intent: WriteIntent, repos: Repositories): Promise<void> {
    await repos.activities.insertMany([deleteLeadRow(lead, intent.channel)]);
  }

  /** D2 reaches every partition: a caller limited to some may not re-subscribe an address that has leads elsewhere. */
  private async checkMayResubscribe(emailHash: string, intent: WriteIntent, repos: Repositories): Promise<void> {
    if (intent.mayResubscribe === false) throw new AccessDeniedError("this API user may not re-subscribe addresses");
    if (intent.scopePartitionIds && (await repos.leads.countWithEmailOutside(emailHash, intent.scopePartitionIds)) > 0) {
      throw new AccessDeniedError("the address also has leads in workspaces this API user may not use; a re-subscribe would reach them");
    }
  }

  /** Locks (creating if missing) the master rows of these addresses, in hash order. */
  async lockAddresses(emails: string[], repos: Repositories): Promise<void> {
    const entries = new Map<string, string>();
    for (const email of emails) {
      const key = emailKey(email);
      if (key) entries.set(this.deps.hasher(key), email);
    }
    if (entries.size > 0) await repos.emailStatuses.lock([...entries].map(([emailHash, email]) => ({ emailHash, email })));
  }

  /**
   * An unsubscribe of an address rather than of a lead (an import's unsubscribe list): the master
   * status becomes unsubscribed, with its history row, whether or not any lead has the address,
   * and every lead with it follows (D1) with a Change Data Value row of the channel, which asked
   * for the address and so for each of them. An address already unsubscribed changes nothing
   * (D6). Returns the leads that changed; null when the address was already unsubscribed.
   */
  async unsubscribeAddress(email: string, intent: WriteIntent, repos: Repositories): Promise<number[] | null> {
    const key = emailKey(email);
    if (!key) throw new InvalidWriteError("an address to unsubscribe must not be empty");
    const hash = this.deps.hasher(key);
    const statuses = await repos.emailStatuses.lock([{ emailHash: hash, email }]);
    if (statuses.get(hash)?.unsubscribed) return null;
    // No lead asked for this: every lead with the address gets the channel's own row.
    return this.setAddressStatus({ emailHash: hash, email, unsubscribed: true, causedBy: null, fanOutReason: undefined }, intent, repos);
  }

  hashOf(email: string | null | undefined): string | null {
    const key = emailKey(email);
    return key ? this.deps.hasher(key) : null;
  }

  private deriveKey(lead: Lead): void {
    lead.emailKey = emailKey(lead.email);
    if (lead.emailKey === null) lead.email = null;
    lead.emailHash = lead.emailKey ? this.deps.hasher(lead.emailKey) : null;
  }

  private async lockOne(lead: Lead, repos: Repositories): Promise<boolean> {
    const hash = lead.emailHash as string;
    const statuses = await repos.emailStatuses.lock([{ emailHash: hash, email: lead.email ?? "" }]);
    return statuses.get(hash)?.unsubscribed ?? false;
  }

  /** D1/D2: the lead's write changes its address's status; the other leads follow (updateLeadEmailStatus rows). */
  private async changeMaster(lead: Lead, decision: FlagDecision, intent: WriteIntent, repos: Repositories): Promise<void> {
    if (decision.masterUnsubscribed === undefined || !lead.emailHash) return;
    await this.setAddressStatus(
      { emailHash: lead.emailHash, email: lead.email ?? "", unsubscribed: decision.masterUnsubscribed, causedBy: lead.id, fanOutReason: SystemReasons.propagate },
      intent,
      repos,
    );
  }

  /**
   * The one place an address's status changes: the master row and its history, then one
   * set-based UPDATE brings every lead with the address (but the causing one) along, then one
   * insert of their Change Data Value rows. Returns the leads that changed.
   */
  private async setAddressStatus(
    change: { emailHash: string; email: string; unsubscribed: boolean; causedBy: number | null; fanOutReason: string | undefined },
    intent: WriteIntent,
    repos: Repositories,
  ): Promise<number[]> {
    const { emailHash, unsubscribed, causedBy } = change;
    await repos.emailStatuses.change(emailHash, change.email, {
      at: this.deps.now?.() ?? new Date(),
      unsubscribed,
      channel: intent.channel.name,
      reason: intent.channel.reason,
      source: intent.channel.source,
      leadId: causedBy,
    });
    const others = await repos.leads.applyStatusToAllWithEmail(emailHash, unsubscribed, causedBy);
    const notify = this.deps.onStatusChanged;
    if (notify) repos.afterCommit(() => notify({ unsubscribed, channel: intent.channel.name, propagatedTo: others.length }));
    const row: ValueChange = {
      field: "Unsubscribed",
      displayName: "Unsubscribed",
      oldValue: booleanText(!unsubscribed),
      newValue: booleanText(unsubscribed),
      ...(change.fanOutReason ? { systemReason: change.fanOutReason } : {}),
    };
    if (others.length > 0) await repos.activities.insertMany(others.map((id) => changeDataValueRow(id, emailHash, row, intent.channel)));
    return others;
  }

  private flagChange(oldValue: boolean, newValue: boolean, decision: FlagDecision): ValueChange {
    return {
      field: "Unsubscribed",
      displayName: "Unsubscribed",
      oldValue: booleanText(oldValue),
      newValue: booleanText(newValue),
      ...(decision.cause === "rule" ? { systemReason: SystemReasons.reset } : {}),
    };
  }

  private fieldChanges(previous: Lead, lead: Lead): ValueChange[] {
    const catalogue = this.deps.fields();
    const changes: ValueChange[] = [];
    const add = (field: string, oldValue: string, newValue: string) => {
      if (oldValue !== newValue) changes.push({ field, displayName: catalogue.displayName(field), oldValue, newValue });
    };
    add("Email", previous.email ?? "", lead.email ?? "");
    add("UnsubscribedReason", previous.unsubscribedReason ?? "", lead.unsubscribedReason ?? "");
    const names = new Set([...Object.keys(previous.fields ?? {}), ...Object.keys(lead.fields ?? {})]);
    for (const name of [...names].sort()) add(name, previous.fields?.[name] ?? "", lead.fields?.[name] ?? "");
    return changes;
  }
}
