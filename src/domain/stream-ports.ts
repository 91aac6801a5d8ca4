/**
 * Read-side ports for the paged streams (getMultipleLeads, getLeadChanges). Positions are
 * keyset cursors; the SOAP layer turns them into opaque stream-position strings.
 */
import type { Activity, Lead } from "./types";

/** Lead pages ordered by (updated_at, id); `updatedMicros` keeps PostgreSQL's microseconds exact. */
export interface LeadCursor {
  readonly updatedMicros: string;
  readonly id: number;
}

export interface LeadPageQuery {
  readonly since: Date;
  readonly until: Date;
  readonly after?: LeadCursor;
  readonly limit: number;
  /** Only leads in these partitions (a workspace-limited caller); all when absent. */
  readonly partitionIds?: number[];
}

/** Activity pages ordered by commit order (transaction id, then id). */
export interface ChangeCursor {
  readonly txId: string;
  readonly id: number;
}

export interface ChangeQuery {
  readonly after?: ChangeCursor;
  readonly since?: Date;
  readonly until?: Date;
  readonly typeNames?: string[];
  readonly excludeTypeNames?: string[];
  readonly leadIds?: number[];
  /** Only rows of leads in these partitions (a workspace-limited caller); all when absent. */
  readonly partitionIds?: number[];
  readonly limit: number;
}

export interface LeadPageRepository {
  pageByUpdatedAt(q: LeadPageQuery): Promise<{ leads: Lead[]; last?: LeadCursor; remaining: number }>;
  /** Leads with these ids, after `afterId`, in id order. */
  pageByIds(ids: number[], afterId: number, limit: number, partitionIds?: number[]): Promise<{ leads: Lead[]; remaining: number }>;
  findByEmailHashes(hashes: string[]): Promise<Lead[]>;
  /** For each address, the id of its most recently updated lead (syncLead's email match). */
  latestIdsByEmailHashes(hashes: string[]): Promise<Map<string, number>>;
  findByForeignIds(foreignSysType: string, ids: string[]): Promise<Lead[]>;
}

export interface ChangeRepository {
  page(q: ChangeQuery): Promise<{ rows: Activity[]; last?: ChangeCursor; remaining: number }>;
}
