/**
 * Reads from a streaming standby (DATABASE_READ_URL) for the paths that may read from it: the
 * suppression export, getMultipleLeads pages, the admin lead list and search (README,
 * Operations: scaling). Everything else stays on the primary.
 *
 * A standby read never shows less than the primary had committed when the request came: the
 * primary's WAL insert position is read first (one statement), then the standby is asked
 * whether it has replayed that far, and only then does the read's REPEATABLE READ transaction
 * start there. Until it has, the standby is asked again; after DATABASE_READ_MAX_LAG_MS (or when the
 * standby fails or cannot be reached) the read runs on the primary instead, and the standby is
 * left alone for a few seconds. So a caller that wrote and then reads its list reads its write,
 * and a standby that fell behind costs latency, never a missing unsubscribe in an export.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { DomainError } from "../domain/errors";
import type { Repositories, TransactionRunner } from "../domain/ports";
import { createRepositories } from "./repositories/create-repositories";
import { closeConnection, TransactionDeadlineError } from "./transaction-runner";

/**
 * True when the standby has replayed the primary's WAL up to $1 (the primary's insert position
 * when the request came), so every commit the primary had made by then is replayed; or when the
 * server is not in recovery (a read URL that points at the primary itself). Asked before the
 * read's transaction starts: replay only moves forward, so the snapshot taken afterwards sees
 * those commits. (Comparing snapshots is not enough: a hot standby's snapshot lists no
 * in-progress transactions, and transactions do not commit in xid order.)
 */
const CAUGHT_UP = `SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS fresh`;

/** After a fallback, reads go to the primary for this long before the standby is tried again. */
const STANDBY_PAUSE_MS = 5000;

export interface StandbyReadOptions {
  /** How long to wait for the standby to catch up before reading from the primary. */
  readonly maxLagMs: number;
  /** A standby read still running after this long has its connection closed (0: no limit). */
  readonly deadlineMs: number;
  /** Told where each read ran: the standby, or the primary and why. */
  readonly onRead?: (where: "standby" | "primary", reason?: "lag" | "error" | "paused", error?: unknown) => void;
}

export class StandbyReadRunner implements Pick<TransactionRunner, "read"> {
  private pausedUntil = 0;

  constructor(
    private readonly primary: DataSource,
    private readonly standby: DataSource,
    private readonly fallback: Pick<TransactionRunner, "read">,
    private readonly options: StandbyReadOptions,
  ) {}

  async read<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    if (Date.now() < this.pausedUntil) return this.onPrimary(work, "paused");
    const until = Date.now() + this.options.maxLagMs;
    let lsn: string;
    try {
      // The insert position, not the write or flush one: with synchronous_commit=off a commit
      // a client has seen may still be in the primary's WAL buffers.
      lsn = String(((await this.primary.query(`SELECT pg_current_wal_insert_lsn()::text AS lsn`)) as { lsn: string }[])[0].lsn);
    } catch {
      // The primary is the one that answers for the fallback too; its error is the answer.
      return this.fallback.read(work);
    }
    for (let attempt = 0; ; attempt++) {
      let outcome: { fresh: false } | { fresh: true; value: T };
      try {
        outcome = await this.attempt(lsn, work);
      } catch (error) {
        // A rule's error (bad input) is the answer wherever it ran; anything else is the standby's.
        if (error instanceof DomainError) throw error;
        this.pausedUntil = Date.now() + STANDBY_PAUSE_MS;
        return this.onPrimary(work, "error", error);
      }
      if (outcome.fresh) {
        this.options.onRead?.("standby");
        return outcome.value;
      }
      if (Date.now() >= until) {
        this.pausedUntil = Date.now() + STANDBY_PAUSE_MS;
        return this.onPrimary(work, "lag");
      }
      await sleep(Math.min(2 ** attempt, 25));
    }
  }

  private async onPrimary<T>(work: (repos: Repositories) => Promise<T>, reason: "lag" | "error" | "paused", error?: unknown): Promise<T> {
    this.options.onRead?.("primary", reason, error);
    return this.fallback.read(work);
  }

  /** The replay check on the standby, then (if it has caught up) the work in one REPEATABLE READ transaction there. */
  private async attempt<T>(lsn: string, work: (repos: Repositories) => Promise<T>): Promise<{ fresh: false } | { fresh: true; value: T }> {
    const runner = this.standby.createQueryRunner();
    let abandoned = false;
    const watchdog =
      this.options.deadlineMs > 0
        ? setTimeout(() => {
            abandoned = true;
            closeConnection(runner);
          }, this.options.deadlineMs)
        : undefined;
    try {
      const fresh = ((await runner.query(CAUGHT_UP, [lsn])) as { fresh: boolean }[])[0]?.fresh === true;
      if (!fresh) return { fresh: false };
      await runner.startTransaction("REPEATABLE READ");
      try {
        const value = await work(createRepositories(runner.manager));
        await runner.commitTransaction();
        return { fresh: true, value };
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (abandoned) throw new TransactionDeadlineError(this.options.deadlineMs);
      throw error;
    } finally {
      clearTimeout(watchdog);
      await runner.release();
    }
  }
}
