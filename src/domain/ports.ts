/**
 * What the domain needs from persistence, as narrow interfaces. One set of repositories is
 * built per transaction (STYLE habit 4); nothing here holds a global connection.
 */
import type { Activity, ActivityAttribute, EmailStatus, EmailStatusChange, Lead, LeadInput } from "./types";

export interface LeadRepository {
  /**
   * A new, unsaved lead with defaults, in the given partition. With an id, the lead keeps that
   * id (an import keeps Marketo's), and saving it moves the id sequence past it.
   */
  create(partitionId: number, id?: number): Lead;
  findById(id: number): Promise<Lead | null>;
  /** Reads a lead and locks its row for the rest of the transaction. */
  findByIdForUpdate(id: number): Promise<Lead | null>;
  findByForeignId(foreignSysType: string, foreignSysPersonId: string): Promise<Lead | null>;
  findByEmailHash(emailHash: string): Promise<Lead[]>;
  /** The most recently updated lead with that key (syncLead matching). */
  findLatestByEmailHash(emailHash: string): Promise<Lead | null>;
  /** Inserts or updates through the ORM, so the lead subscriber applies the rules. */
  save(lead: Lead, intent: import("./types").WriteIntent): Promise<Lead>;
  remove(lead: Lead, intent: import("./types").WriteIntent): Promise<void>;
  /** Set-based propagation: every other lead with the key takes the status. Returns their ids. */
  applyStatusToAllWithEmail(emailHash: string, unsubscribed: boolean, exceptLeadId: number | null): Promise<number[]>;
  /** How many leads with the address are outside these partitions. */
  countWithEmailOutside(emailHash: string, partitionIds: number[]): Promise<number>;
  /** Whether this transaction already holds the lead's row lock (taken by findByIdForUpdate or lockRow). */
  isLockedHere(id: number): boolean;
  /** The lead's email hash and flag as committed rows show them, locking the row. */
  lockRow(id: number): Promise<{ emailHash: string | null; unsubscribed: boolean } | null>;
  /** The person page's search (LeadSearchService.searchLeads): any one criterion matches. */
  search(query: LeadSearchQuery): Promise<Lead[]>;
}

export interface LeadSearchQuery {
  readonly id?: number;
  /** A part of the email key, already normalised by emailKey(). */
  readonly emailKeyPart?: string;
  /** A part of "FirstName LastName", matched ignoring case. */
  readonly namePart?: string;
  readonly limit: number;
}

export interface EmailStatusRepository {
  /**
   * Makes sure a master row exists for each hash and locks them all, in hash order, for the
   * rest of the transaction. Returns the statuses.
   */
  lock(entries: { emailHash: string; email: string }[]): Promise<Map<string, EmailStatus>>;
  find(emailHash: string): Promise<EmailStatus | null>;
  /** Writes the new status and appends a history row. */
  change(emailHash: string, email: string, change: EmailStatusChange): Promise<void>;
  history(emailHash: string): Promise<EmailStatusChange[]>;
  /** Erasure: blanks the plaintext address in the master row and its history. */
  blankPlaintext(emailHash: string): Promise<void>;
  /** Unsubscribed addresses (non-blank), in hash order after `afterHash`, for the suppression export. */
  unsubscribedPage(afterHash: string, limit: number): Promise<EmailStatus[]>;
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
  insertMany(rows: NewActivity[]): Promise<void>;
  find(query: ActivityQuery): Promise<{ rows: Activity[]; remaining: number }>;
  /** Email Address change rows whose text may name an address (a prefilter; the caller decides). */
  emailChangeRowsMentioning(fragment: string | null): Promise<{ id: number; attributes: ActivityAttribute[] }[]>;
  replaceAttributes(id: number, attributes: ActivityAttribute[]): Promise<void>;
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

export interface Repositories {
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
