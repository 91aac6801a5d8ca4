import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource, QueryRunner } from "typeorm";
import { ConcurrentChangeError } from "../domain/errors";
import type { Repositories, TransactionRunner } from "../domain/ports";
import { createRepositories } from "./repositories/create-repositories";

/** SQLSTATEs worth another attempt: serialization failure, deadlock, a unique race on create. */
const RETRYABLE = new Set(["40001", "40P01", "23505"]);

export interface RetryOptions {
  readonly attempts: number;
  /**
   * Run reads in transactions too. The embedded database (PGlite) is one session shared by all
   * connections: two connections' parameterized queries outside a transaction can interleave
   * their protocol messages ("unnamed prepared statement does not exist"). In a transaction,
   * pglite-socket runs one connection's messages at a time.
   */
  readonly readsInTransactions?: boolean;
  /**
   * A unit of work still running after this many milliseconds (each attempt) has its database
   * connection closed and fails: a hung or unreachable server (no answer, no error) must not
   * hold a request forever. statement_timeout cannot help there, since the server enforces it.
   * 0 or absent: no limit.
   */
  readonly deadlineMs?: number;
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

/** The unit of work outlived RetryOptions.deadlineMs; its connection was closed. */
export class TransactionDeadlineError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`transaction abandoned after ${deadlineMs} ms: the database did not answer`);
  }
}

/**
 * Runs a unit of work in one transaction (READ COMMITTED plus explicit row locks), retrying
 * transient conflicts with a short jittered back-off, so a deadlock or a concurrent change
 * costs a retry, never an error to the client.
 */
export class TypeOrmTransactionRunner implements TransactionRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly retry: RetryOptions = { attempts: 8 },
  ) {}

  /** Reads on one connection without BEGIN/COMMIT, under the same deadline as a transaction. */
  async read<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    if (this.retry.readsInTransactions) return this.run(work);
    const queryRunner = this.dataSource.createQueryRunner();
    const { watchdog, abandoned } = this.watch(queryRunner);
    try {
      return await work(createRepositories(queryRunner.manager));
    } catch (error) {
      if (abandoned()) throw new TransactionDeadlineError(this.retry.deadlineMs ?? 0);
      throw error;
    } finally {
      clearTimeout(watchdog);
      await queryRunner.release();
    }
  }

  /** Closes the query runner's connection once the deadline passes (a hung server never answers). */
  private watch(queryRunner: QueryRunner): { watchdog: NodeJS.Timeout | undefined; abandoned: () => boolean } {
    let abandoned = false;
    const deadlineMs = this.retry.deadlineMs ?? 0;
    const watchdog =
      deadlineMs > 0
        ? setTimeout(() => {
            abandoned = true;
            closeConnection(queryRunner);
          }, deadlineMs)
        : undefined;
    return { watchdog, abandoned: () => abandoned };
  }

  async run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const queryRunner = this.dataSource.createQueryRunner();
      const { watchdog, abandoned } = this.watch(queryRunner);
      try {
        // Effects outside the database (metrics, …) queued by the work run only once it committed.
        const afterCommit: (() => void)[] = [];
        const result = await queryRunner.manager.transaction((manager) => {
          if (manager.queryRunner) (manager.queryRunner.data as { afterCommit?: (() => void)[] }).afterCommit = afterCommit;
          return work(createRepositories(manager));
        });
        for (const effect of afterCommit) {
          try {
            effect();
          } catch {
            // an after-commit effect never turns a committed write into an error
          }
        }
        return result;
      } catch (error) {
        if (abandoned()) throw new TransactionDeadlineError(this.retry.deadlineMs ?? 0);
        if (attempt >= this.retry.attempts || !isRetryable(error)) throw error;
        this.retry.onRetry?.(attempt, error);
      } finally {
        clearTimeout(watchdog);
        await queryRunner.release();
      }
      await sleep(backoffMs(attempt));
    }
  }
}

/**
 * Closes the socket of the pg client a query runner holds. Its pending query fails at once
 * ("Connection terminated"), and the pool discards the client instead of handing out a
 * connection that may still be inside the abandoned transaction. PostgreSQL rolls back what the
 * closed session had not committed.
 */
export function closeConnection(queryRunner: QueryRunner): void {
  const client = (queryRunner as unknown as { databaseConnection?: { connection?: { stream?: { destroy(): void } } } }).databaseConnection;
  client?.connection?.stream?.destroy();
}

/**
 * Full-jitter exponential back-off (5, 10, 20 … ms, at most 640): two transactions that just
 * deadlocked rarely meet again at the same moment.
 */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(640, 5 * 2 ** attempt);
}

export function sqlStateOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === "string" ? code : undefined;
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof ConcurrentChangeError) return true;
  const code = sqlStateOf(error);
  return code !== undefined && RETRYABLE.has(code);
}
