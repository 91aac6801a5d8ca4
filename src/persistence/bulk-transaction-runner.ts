import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource, EntityManager } from "typeorm";
import type { BulkMode, BulkTransactionRunner } from "../domain/bulk-ports";
import type { Repositories, TransactionRunner } from "../domain/ports";
import { createRepositories } from "./repositories/create-repositories";
import { backoffMs, isRetryable } from "./transaction-runner";

/**
 * BulkTransactionRunner on TypeORM. "commit" hands out the ordinary transaction runner.
 * "rehearse" keeps one connection in one transaction for the whole session, runs each unit in
 * a savepoint (TypeORM's nested transaction), fires the deferred constraint triggers at the end
 * of each unit (SET CONSTRAINTS ALL IMMEDIATE, what COMMIT would do), and rolls everything
 * back when the session ends. Effects queued for after commit are dropped: nothing commits.
 */
export class TypeOrmBulkTransactionRunner implements BulkTransactionRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly attempts = 8,
  ) {}

  async session<T>(mode: BulkMode, work: (units: TransactionRunner) => Promise<T>): Promise<T> {
    if (mode === "commit") return work(this.tx);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      try {
        // A rehearsal reads what it wrote: reads go through the same transaction.
        return await work({ run: (unit) => this.savepoint(runner.manager, unit), read: (unit) => unit(createRepositories(runner.manager)) });
      } finally {
        await runner.rollbackTransaction();
      }
    } finally {
      await runner.release();
    }
  }

  private async savepoint<T>(manager: EntityManager, unit: (repos: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await manager.transaction(async (inner) => {
          // Deferred, as in a transaction of its own: the rules write a lead before its master row.
          await inner.query("SET CONSTRAINTS ALL DEFERRED");
          const result = await unit(createRepositories(inner));
          await inner.query("SET CONSTRAINTS ALL IMMEDIATE");
          await inner.query("SET CONSTRAINTS ALL DEFERRED");
          return result;
        });
      } catch (error) {
        if (attempt >= this.attempts || !isRetryable(error)) throw error;
        await sleep(backoffMs(attempt));
      }
    }
  }
}
