/**
 * Transactions for a bulk channel (the import), which applies many records per transaction and
 * can rehearse a whole run (a dry run) without keeping anything.
 */
import type { TransactionRunner } from "./ports";

export type BulkMode = "commit" | "rehearse";

export interface BulkTransactionRunner {
  /**
   * Runs a session. In "commit" mode each `units.run(…)` is a transaction of its own that
   * commits (transient conflicts retried). In "rehearse" mode the whole session is one
   * transaction that is rolled back at the end, and each unit is a savepoint in it whose
   * deferred checks (the invariant guard) run when the unit ends, as a commit would run them:
   * later units see what earlier ones did, and nothing is kept.
   */
  session<T>(mode: BulkMode, work: (units: TransactionRunner) => Promise<T>): Promise<T>;
}
