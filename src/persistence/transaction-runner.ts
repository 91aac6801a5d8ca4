import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { ConcurrentChangeError } from "../domain/errors";
import type { Repositories, TransactionRunner } from "../domain/ports";
import { createRepositories } from "./repositories/create-repositories";

/** SQLSTATEs worth another attempt: serialization failure, deadlock, a unique race on create. */
const RETRYABLE = new Set(["40001", "40P01", "23505"]);

export interface RetryOptions {
  readonly attempts: number;
  readonly onRetry?: (attempt: number, error: unknown) => void;
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

  async run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => work(createRepositories(manager)));
      } catch (error) {
        if (attempt >= this.retry.attempts || !isRetryable(error)) throw error;
        this.retry.onRetry?.(attempt, error);
        await sleep(Math.random() * 10 * attempt);
      }
    }
  }
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
