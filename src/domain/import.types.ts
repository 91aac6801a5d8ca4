/**
 * The words of the import channel (import.service.ts): the rows it reads, its options, the
 * counts and rejects of its summary, and the error that stops it.
 */
import type { BulkTransactionRunner } from "./bulk-ports";
import type { LeadService } from "./lead.service";
import type { LeadWriteService } from "./lead-write.service";
import type { LeadInput } from "./types";

/**
 * A value the import left out of a lead it kept (a bad number, a control character, an email
 * that is not an address) or read differently ("$1,250,000" as 1250000): the row's lead is
 * written all the same, without that value.
 */
export interface FieldWarning {
  /** The column's name in the file's header. */
  readonly column: string;
  /** The cell as the file has it (clipped, control characters shown as U+XXXX). */
  readonly value: string;
  readonly reason: string;
}

/** One lead row of the export, as the column mapping made it. `input.id` is the Marketo Id. */
export interface LeadRow {
  readonly line: number;
  readonly input: LeadInput;
  /** Values of the row that the lead is written without. */
  readonly warnings?: readonly FieldWarning[];
}

/** One address of the unsubscribe list. */
export interface AddressRow {
  readonly line: number;
  readonly email: string;
}

/** A row refused before it reached the import (a bad email, boolean, number…). */
export interface RejectedRow {
  readonly line: number;
  readonly rejected: string;
}

export interface ImportSources {
  readonly unsubscribes?: AsyncIterable<AddressRow | RejectedRow>;
  readonly leads?: AsyncIterable<LeadRow | RejectedRow>;
}

export type ImportPart = "unsubscribes" | "leads";

export interface ImportOptions {
  readonly dryRun: boolean;
  /** Rows per transaction. */
  readonly batchSize: number;
  /**
   * Transactions run side by side (default 1). Rows are routed by their address (else their Id),
   * so the rows of one address keep their file order and two lanes rarely wait on each other.
   * A dry run has one transaction, so one lane.
   */
  readonly lanes?: number;
  /** Called after each batch with the rows of that part done so far. */
  readonly onProgress?: (part: ImportPart, rowsDone: number) => void;
  /** How many rejected rows the summary lists (all are counted). Default 100. */
  readonly keepRejects?: number;
  /** How many field warnings the summary lists (all are counted). Default 100. */
  readonly keepWarnings?: number;
}

export interface LeadCounts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Leads this import unsubscribed (Unsubscribed=true in the row; D1 then reaches their address). */
  unsubscribed: number;
  /** Rows with Unsubscribed=false whose lead stays unsubscribed: an import never clears one. */
  keptUnsubscribed: number;
  /** Rows whose Marketo Id is not the id of the lead they updated (matched by SFDC id). */
  otherId: number;
  rejected: number;
  /** Rows written without one or more of their values (each value a warning). */
  warnedRows: number;
  warnings: number;
}

export interface AddressCounts {
  rows: number;
  /** Addresses this import unsubscribed. */
  unsubscribed: number;
  alreadyUnsubscribed: number;
  /** Leads that became unsubscribed with their address. */
  leadsUnsubscribed: number;
  rejected: number;
}

export interface Reject {
  readonly part: ImportPart;
  readonly line: number;
  readonly reason: string;
}

export interface Warning extends FieldWarning {
  readonly part: ImportPart;
  readonly line: number;
}

/**
 * Where a run stopped and what it had committed by then (counts are of committed rows only).
 * Every row before `firstNotApplied` was committed or rejected; of the rows after it, those of
 * `committedAfter` were committed too (other lanes of the same batch), the rest were not.
 */
export interface StopPoint {
  readonly part: ImportPart;
  readonly firstNotApplied: number;
  readonly committedAfter: number[];
  readonly cause: string;
}

export interface ImportSummary {
  readonly dryRun: boolean;
  unsubscribes?: AddressCounts;
  leads?: LeadCounts;
  /** The first rejected rows (options.keepRejects), in file order. */
  readonly rejects: Reject[];
  /** The first field warnings (options.keepWarnings), in file order. */
  readonly warnings: Warning[];
  /** Set when the run stopped before the end. */
  stop?: StopPoint;
}

/** An error no row explains (the database went away, a rule refused a row): the import stops there. */
export class ImportStoppedError extends Error {
  constructor(
    readonly part: ImportPart,
    readonly line: number,
    readonly summary: ImportSummary,
    readonly cause: unknown,
  ) {
    super(`import stopped at ${part} line ${line}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "ImportStoppedError";
  }
}

export interface ImportServiceDeps {
  readonly leads: Pick<LeadService, "prepare" | "syncManyWith">;
  readonly writes: Pick<LeadWriteService, "runIn">;
  readonly bulk: BulkTransactionRunner;
}
