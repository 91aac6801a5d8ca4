/**
 * What the domain needs from persistence, as narrow interfaces. One set of repositories is
 * built per transaction (STYLE habit 4); nothing here holds a global connection.
 */
import type { Activity, ActivityAttribute, EmailStatus, EmailStatusChange, Lead, LeadInput } from "./types";

export interface LeadRepository {
  findById(id: number): Promise<Lead | null>;
  findByForeignId(foreignSysType: string, foreignSysPersonId: string): Promise<Lead | null>;
  findByEmailHash(emailHash: string): Promise<Lead[]>;
  /** The most recently updated lead with that key (syncLead matching). */
  findLatestByEmailHash(emailHash: string): Promise<Lead | null>;
  /** The leads with these ids that exist (any order). */
  findByIds(ids: number[]): Promise<Lead[]>;
  /** The person page's search (LeadSearchService.searchLeads): any one criterion matches. */
  search(query: LeadSearchQuery): Promise<Lead[]>;
  /** Leads matching the filter with ids above `afterId`, in id order. */
  list(filter: LeadListFilter, afterId: number, limit: number): Promise<Lead[]>;
  count(filter: LeadListFilter): Promise<number>;
}

/** The admin API's lead list: every filter optional, keyset-paged by id. */
export interface LeadListFilter {
  readonly emailHash?: string;
  /** A part of the email key (normalised) or of "FirstName LastName". */
  readonly textPart?: string;
  readonly emailKeyPart?: string;
  readonly partitionId?: number;
  readonly unsubscribed?: boolean;
  readonly updatedSince?: Date;
}

export interface LeadSearchQuery {
  readonly id?: number;
  /** A part of the email key, already normalised by emailKey(). */
  readonly emailKeyPart?: string;
  /** A part of "FirstName LastName", matched ignoring case. */
  readonly namePart?: string;
  readonly limit: number;
  /** Matches to skip (the person page's next pages). */
  readonly offset?: number;
}

export interface EmailStatusFilter {
  readonly unsubscribed?: boolean;
  /** A part of the address, matched case-insensitively (erased addresses have none). */
  readonly addressPart?: string;
  readonly changedSince?: Date;
}

export interface EmailStatusRepository {
  find(emailHash: string): Promise<EmailStatus | null>;
  history(emailHash: string): Promise<EmailStatusChange[]>;
  /** Unsubscribed addresses (non-blank), in hash order after `afterHash`, for the suppression export. */
  unsubscribedPage(afterHash: string, limit: number): Promise<EmailStatus[]>;
  /** Addresses matching every filter given, in hash order after `afterHash` (the admin search). */
  search(filter: EmailStatusFilter, afterHash: string, limit: number): Promise<EmailStatus[]>;
  count(filter: EmailStatusFilter): Promise<number>;
  /** Which of these addresses are unsubscribed (erased ones included), in one query. */
  unsubscribedAmong(emailHashes: string[]): Promise<Set<string>>;
}

export interface NewActivity {
  leadId: number;
  typeId: number;
  typeName: string;
  mktgAssetName: string;
  attributes: ActivityAttribute[];
  campaign: string | null;
  emailHash: string | null;
}

export interface ActivityQuery {
  leadIds: number[];
  typeNames?: string[];
  excludeTypeNames?: string[];
  afterId?: number;
  since?: Date;
  until?: Date;
  limit: number;
}

export interface ActivityRepository {
  find(query: ActivityQuery): Promise<{ rows: Activity[]; remaining: number }>;
  /** Email Address change rows whose text may name an address (a prefilter; the caller decides). */
  emailChangeRowsMentioning(fragment: string | null): Promise<{ id: number; attributes: ActivityAttribute[] }[]>;
}

export interface PartitionRepository {
  defaultPartitionId(): Promise<number>;
  findOrCreate(name: string, createWorkspace: boolean): Promise<number>;
  findByName(name: string): Promise<number | null>;
  nameOf(id: number): Promise<string | null>;
  primaryPartitionOfWorkspace(workspace: string): Promise<number | null>;
}

/** Static lists and their members. */
export interface ListRepository {
  findByName(programName: string | null, name: string): Promise<{ id: number; programName: string; name: string } | null>;
  findById(id: number): Promise<{ id: number; programName: string; name: string } | null>;
  create(programName: string, name: string): Promise<number>;
  memberIds(listId: number): Promise<number[]>;
  /** The lists a lead is a member of. */
  memberIdsOfLead(leadId: number): Promise<number[]>;
  /** Of these leads, the ones that are members. */
  membersAmong(listId: number, leadIds: number[]): Promise<Set<number>>;
  addMembers(listId: number, leadIds: number[]): Promise<number[]>;
  removeMembers(listId: number, leadIds: number[]): Promise<number[]>;
}

/**
 * The lead write path's persistence (LeadWriteService): the only writer of lead, activity and
 * email-status rows besides migrations.
 */
export interface WriteStore {
  /** Locks and reads what a unit of work may touch, in one statement (migration 1764200000000). */
  lockForWrite(request: import("./write-plan").LockRequest): Promise<import("./write-plan").LockedSnapshot>;
  /** Writes a decided outcome in a fixed number of statements; new leads get their ids. */
  apply(outcome: import("./write-plan").WriteOutcome): Promise<void>;
  /** Keeps the plaintext of addresses a link names by hash (no status changes). */
  rememberAddresses(addresses: readonly { emailHash: string; email: string }[]): Promise<void>;
}

export interface Repositories {
  writes: WriteStore;
  leads: LeadRepository;
  leadPages: import("./stream-ports").LeadPageRepository;
  changes: import("./stream-ports").ChangeRepository;
  lists: ListRepository;
  fields: import("./catalogue-ports").FieldRepository;
  campaigns: import("./catalogue-ports").CampaignRepository;
  emailStatuses: EmailStatusRepository;
  activities: ActivityRepository;
  partitions: PartitionRepository;
  sfdcRecords: import("./sfdc-ports").SfdcRecordRepository;
  /** Runs an effect outside the database once this transaction has committed (never if it rolls back). */
  afterCommit(effect: () => void): void;
  /** Runs work in a savepoint of this transaction: if it throws, only its own writes are undone. */
  nested<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}

/** Runs a unit of work in one database transaction, retrying transient conflicts. */
export interface TransactionRunner {
  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Reads outside a transaction (no BEGIN/COMMIT round trips); for work that writes nothing. */
  read<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}

export type { LeadInput };
