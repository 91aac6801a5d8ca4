/**
 * The one write path's vocabulary (STYLE habit 6). A channel turns its requests into write
 * plans; LeadWriteService locks what they touch, folds them through the rules in memory
 * (write-decider.ts) and gets a WriteOutcome back: plain data that persistence applies in a
 * fixed handful of statements. The lead subscriber checks every lead row of that apply against
 * the outcome (checkLeadRow). One lead is a set of one.
 */
import { emailKey, type EmailHasher } from "./email";
import type { DomainError } from "./errors";
import type { NormalisedInput } from "./lead-input";
import type { NewActivity } from "./ports";
import type { Channel, EmailStatus, EmailStatusChange, Lead, WriteIntent } from "./types";

/** Which lead a write plan writes. */
export type WriteTarget =
  /** syncLead's matching (SPEC §5): Id > ForeignSysPersonId > email; a create goes to `createIn`. */
  | {
      readonly kind: "match";
      readonly dedupByEmail: boolean;
      /** The import keeps Marketo's ids: an unknown Id is created with that id, and never matches by email. */
      readonly keepGivenId: boolean;
      /** Where a create goes; an error when the request's workspace cannot take one (only creates fail). */
      readonly createIn: number | DomainError;
      /** The caller's partitions (all when absent): matching and writes stay inside them. */
      readonly scope?: readonly number[];
    }
  /** An existing lead by id (admin, person page, flow steps, Salesforce): missing is LeadNotFound. */
  | { readonly kind: "existing"; readonly leadId: number; readonly scope?: readonly number[] }
  /** Always a new lead (admin create, Salesforce's unlinked records). */
  | { readonly kind: "new"; readonly partitionId: number };

export type WritePlan =
  | { readonly op: "write"; readonly target: WriteTarget; readonly data: NormalisedInput; readonly intent: WriteIntent }
  /** Deletes a lead (D4: its address keeps its status). */
  | { readonly op: "delete"; readonly leadId: number; readonly channel: Channel }
  /** mergeLeads (D9). */
  | { readonly op: "merge"; readonly winnerId: number; readonly loserIds: readonly number[]; readonly channel: Channel }
  /** An unsubscribe of an address rather than of a lead (an import's unsubscribe list). */
  | { readonly op: "unsubscribeAddress"; readonly email: string; readonly channel: Channel }
  /**
   * A one-click unsubscribe link (SPEC §4): the address by its hash (the link carries no
   * plaintext), the lead the link was made for, and the link's label (the email's name).
   */
  | { readonly op: "oneClick"; readonly emailHash: string; readonly leadId?: number; readonly label?: string; readonly channel: Channel }
  /** Erasure (SPEC §1): every lead with the address goes, the address stays unsubscribed. */
  | { readonly op: "erase"; readonly email: string; readonly channel: Channel }
  /** Activity rows of a change outside the lead tables (list membership), written with the unit. */
  | { readonly op: "log"; readonly activities: readonly NewActivity[] };

export type WriteStatus = "CREATED" | "UPDATED" | "DELETED" | "LOGGED";

export interface WriteDone {
  readonly status: WriteStatus;
  /** The lead written (the winner for a merge); absent for address plans. */
  readonly lead?: Lead;
  /** The lead as it was before an update. */
  readonly previous?: Lead;
  /** Leads a plan changed besides its own (propagation), or deleted (erasure). */
  readonly others: readonly number[];
  /** unsubscribeAddress: the address was unsubscribed already (D6). */
  readonly unchanged?: boolean;
  /** erase: activity rows rewritten without the address. */
  readonly blanked?: number;
}

export type PlanResult = { readonly ok: WriteDone } | { readonly error: DomainError };

/** What the lock step reads: the keys of every plan of a unit. */
export interface LockRequest {
  readonly addresses: { readonly emailHash: string; readonly email: string }[];
  readonly leadIds: number[];
  readonly foreignIds: { readonly type: string; readonly id: string }[];
}

/** What the lock step returns: under the locks, every master row and lead the unit may touch. */
export interface LockedSnapshot {
  readonly masters: ReadonlyMap<string, EmailStatus>;
  readonly leads: readonly Lead[];
}

/** An address's status change, with the history row that explains it. */
export interface MasterChange {
  readonly emailHash: string;
  /** The address as given ('' keeps the stored one). */
  readonly email: string;
  readonly change: EmailStatusChange;
  /** The lead whose write caused it (a lead this unit creates: its row object). */
  readonly causedBy: Lead | null;
  /** How many other leads took the status (metrics). */
  readonly propagatedTo: number;
}

/** An activity row, built once the ids of the leads this unit creates are known. */
export type PendingActivity = () => NewActivity;

/** The data a unit of work applies, in one transaction, in a fixed number of statements. */
export interface WriteOutcome {
  /** New lead rows (id 0: the sequence assigns one). */
  readonly inserts: Lead[];
  /** Existing lead rows as they end, each written whole. */
  readonly updates: Lead[];
  readonly deletes: number[];
  /** Leads whose only change is the flag a propagation set (D1/D2): by the status they take. */
  readonly propagations: { readonly unsubscribed: boolean; readonly leadIds: number[] }[];
  readonly activities: PendingActivity[];
  /** In order; the last change of an address is its final status. */
  readonly masterChanges: MasterChange[];
  /** Erasure: addresses whose plaintext goes from the master row and history. */
  readonly blankAddresses: string[];
  /** Erasure: activity rows whose attributes are rewritten without the address. */
  readonly blankActivities: { readonly id: number; readonly attributes: { name: string; value: string }[] }[];
  /** New leads that keep the createdAt/updatedAt they were given (an import's); the others take the database's time. */
  readonly givenTimes?: ReadonlySet<Lead>;
  /** The decided status of every address the unit locked: what every lead row with it must carry. */
  readonly decided: ReadonlyMap<string, boolean>;
  /** The flag each written lead without an address must carry (D7: its own). */
  readonly ownFlags: ReadonlyMap<Lead, boolean>;
}

export function isEmptyOutcome(o: WriteOutcome): boolean {
  return !o.inserts.length && !o.updates.length && !o.deletes.length && !o.propagations.length && !o.activities.length && !o.masterChanges.length;
}

/**
 * The lead subscriber's check of one lead row an apply step writes, before any SQL: the row must
 * be one the outcome decided (`planned`), the values written must be that row's, its key and hash
 * those of its email, and its flag the decided status of its address (D1–D5), or its own decided
 * flag when it has no address (D7). Returns what is wrong, or null.
 */
export function checkLeadRow(
  outcome: WriteOutcome | undefined,
  planned: Lead | undefined,
  written: Pick<Lead, "email" | "emailKey" | "emailHash" | "unsubscribed">,
  hasher: EmailHasher,
): string | null {
  if (!outcome) return "a lead write without a plan (lead rows are written only by the write service's apply step)";
  if (!planned || (!outcome.inserts.includes(planned) && !outcome.updates.includes(planned))) return "a lead row its plan did not decide";
  const name = `lead ${planned.id || "(new)"}`;
  if (written.email !== planned.email || written.unsubscribed !== planned.unsubscribed) return `${name}: the values written are not the ones decided`;
  const key = emailKey(written.email);
  if (written.emailKey !== key) return `${name}: email key does not match its email`;
  const hash = key ? hasher(key) : null;
  if (written.emailHash !== hash) return `${name}: email hash does not match its email`;
  if (hash === null) {
    return outcome.ownFlags.get(planned) === written.unsubscribed ? null : `${name}: Unsubscribed is not the flag its plan decided`;
  }
  const decided = outcome.decided.get(hash);
  if (decided === undefined) return `${name}: its address was not locked by its plan`;
  if (decided !== written.unsubscribed) return `${name}: Unsubscribed=${written.unsubscribed} disagrees with its address's decided status (${decided})`;
  return null;
}
