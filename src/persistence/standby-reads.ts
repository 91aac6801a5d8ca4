/**
 * Reads from a streaming standby (DATABASE_READ_URL) for the paths that may read from it: the
 * suppression export, getMultipleLeads pages, the admin lead list and search (README,
 * Operations: scaling). Everything else stays on the primary.
 *
 * A standby read never shows less than the primary had committed when the request came: the
 * primary's snapshot is taken first (one statement), then the read runs in a REPEATABLE READ
 * transaction on the standby whose snapshot must see every transaction that snapshot saw as
 * ended. Until it does, the standby is asked again; after DATABASE_READ_MAX_LAG_MS (or when the
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
 * True when this standby transaction's snapshot sees everything the primary's snapshot $1 saw
 * as ended: its xmax is not below the primary's, and no transaction it still takes for in
 * progress was ended for the primary. On a server that is not in recovery (a read URL that
 * points at the primary itself) it is true.
 */
const CAUGHT_UP = `
  SELECT NOT pg_is_in_recovery() OR (
           pg_snapshot_xmax(pg_current_snapshot()) >= pg_snapshot_xmax($1::pg_snapshot)
           AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(pg_current_snapshot()) AS x WHERE pg_visible_in_snapshot(x, $1::pg_snapshot))
         ) AS fresh`;

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
    let snapshot: string;
    try {
      snapshot = String(((await this.primary.query(`SELECT pg_current_snapshot()::text AS s`)) as { s: string }[])[0].s);
    } catch {
      // The primary is the one that answers for the fallback too; its error is the answer.
      return this.fallback.read(work);
    }
    for (let attempt = 0; ; attempt++) {
      let outcome: { fresh: false } | { fresh: true; value: T };
      try {
        outcome = await this.attempt(snapshot, work);
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

  /** One REPEATABLE READ transaction on the standby: the freshness check, then (if fresh) the work, on the same snapshot. */
  private async attempt<T>(snapshot: string, work: (repos: Repositories) => Promise<T>): Promise<{ fresh: false } | { fresh: true; value: T }> {
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
      await runner.startTransaction("REPEATABLE READ");
      try {
        const fresh = ((await runner.query(CAUGHT_UP, [snapshot])) as { fresh: boolean }[])[0]?.fresh === true;
        const outcome: { fresh: false } | { fresh: true; value: T } = fresh ? { fresh: true, value: await work(createRepositories(runner.manager)) } : { fresh: false };
        await runner.commitTransaction();
        return outcome;
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
