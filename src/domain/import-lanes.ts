/**
 * How the import applies its rows (import.service.ts): in batches of a transaction each, in lanes
 * that run side by side, a row's lane following from a routing key so that rows with the same key
 * apply in file order.
 */
import { DomainError } from "./errors";
import { ImportStoppedError, type ImportPart, type ImportSummary } from "./import.types";
import type { Repositories, TransactionRunner } from "./ports";

/** A row refused by the import's checks or by the write path. */
export interface Rejection {
  readonly rejected: string;
}

/** Applies a unit's rows, in one unit of work of the write path; an outcome per row, in order. */
export type UnitApply<R, O> = (rows: R[], repos: Repositories) => Promise<(O | Rejection)[]>;

export interface Result<O> {
  readonly line: number;
  readonly outcome: O | Rejection;
}

/** What a window's lanes did: an outcome per row applied, and the stop, when a lane stopped. */
export interface LaneResults<O> {
  /** Every row a unit committed (or a check refused), in no particular order. */
  readonly results: Result<O>[];
  /** A lane that stopped: its rows from the stop on were not applied. */
  readonly stop?: ImportStoppedError;
}

/**
 * Splits rows into lanes by a routing key (file order kept within a lane), applies each lane
 * as one batch, the lanes side by side, and waits for all of them, even when one fails: the rows
 * the other lanes committed are in the results, so that a stop reports what was kept.
 */
export async function inLanes<R extends { line: number }, O>(
  units: TransactionRunner,
  rows: R[],
  lanes: number,
  key: (row: R) => string,
  part: ImportPart,
  summary: ImportSummary,
  apply: UnitApply<R, O>,
): Promise<LaneResults<O>> {
  const split: R[][] = Array.from({ length: lanes }, () => []);
  for (const row of rows) split[lanes === 1 ? 0 : hash(key(row)) % lanes].push(row);
  const settled = await Promise.allSettled(split.map((lane) => inUnits(units, lane, part, summary, apply)));
  const results: Result<O>[] = [];
  let stop: ImportStoppedError | undefined;
  for (const [i, s] of settled.entries()) {
    if (s.status === "rejected") throw s.reason;
    s.value.outcomes.forEach((outcome, j) => results.push({ line: split[i][j].line, outcome }));
    if (s.value.stop && (!stop || s.value.stop.line < stop.line)) stop = s.value.stop;
  }
  return { results, ...(stop ? { stop } : {}) };
}

/**
 * Applies a batch in one unit. When something no row check explains breaks it, the batch is
 * applied again one row per unit, to keep the good rows and find the bad one: a domain error
 * rejects that row; anything else stops the lane there (fail closed), with the outcomes of the
 * rows before it, which are committed.
 */
export async function inUnits<R extends { line: number }, O>(
  units: TransactionRunner,
  rows: R[],
  part: ImportPart,
  summary: ImportSummary,
  apply: UnitApply<R, O>,
): Promise<{ outcomes: (O | Rejection)[]; stop?: ImportStoppedError }> {
  if (rows.length === 0) return { outcomes: [] };
  try {
    return { outcomes: await units.run((repos) => apply(rows, repos)) };
  } catch {
    const outcomes: (O | Rejection)[] = [];
    for (const row of rows) {
      try {
        outcomes.push((await units.run((repos) => apply([row], repos)))[0]);
      } catch (error) {
        if (!(error instanceof DomainError)) return { outcomes, stop: new ImportStoppedError(part, row.line, summary, error) };
        outcomes.push({ rejected: error.message });
      }
    }
    return { outcomes };
  }
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && "rejected" in value;
}

/** FNV-1a: spreads routing keys over lanes. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Groups an async sequence into arrays of up to `size` items. */
export async function* batches<T>(rows: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
