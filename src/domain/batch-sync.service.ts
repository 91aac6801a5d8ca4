/**
 * syncMultipleLeads as one transaction: every address of the batch is locked up front, in hash
 * order (one round trip, and no deadlock between two batches), and each record runs in a
 * savepoint, so a record either applies whole (lead, master status, propagation, activities) or
 * not at all, and a failing record does not undo the others. A process killed mid-batch leaves
 * none of the batch applied. Records apply in order: a repeated key updates the lead an earlier
 * record created.
 */
import { DomainError } from "./errors";
import type { EmailStatusService } from "./email-status.service";
import type { LeadService, SyncOptions } from "./lead.service";
import type { TransactionRunner } from "./ports";
import type { LeadInput, SyncResult } from "./types";

export type BatchRecordResult = { readonly ok: SyncResult } | { readonly error: DomainError; readonly leadId: number };

export class BatchSyncService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly leads: Pick<LeadService, "prepare" | "syncLeadWith">;
      readonly emailStatus: Pick<EmailStatusService, "lockAddresses">;
    },
  ) {}

  async syncMany(inputs: LeadInput[], options: SyncOptions): Promise<BatchRecordResult[]> {
    // Field checks happen before the transaction: a bad record never costs a savepoint.
    type Prepared = { readonly data: Awaited<ReturnType<LeadService["prepare"]>> } | { readonly error: DomainError; readonly leadId: number };
    const prepared: Prepared[] = await Promise.all(
      inputs.map(async (input): Promise<Prepared> => {
        try {
          return { data: await this.deps.leads.prepare(input) };
        } catch (error) {
          if (error instanceof DomainError) return { error, leadId: input.id ?? 0 };
          throw error;
        }
      }),
    );
    return this.deps.tx.run(async (repos) => {
      const emails = prepared.flatMap((p) => ("data" in p && p.data.email ? [p.data.email] : []));
      await this.deps.emailStatus.lockAddresses(emails, repos);
      const results: BatchRecordResult[] = [];
      for (const [i, p] of prepared.entries()) {
        if ("error" in p) {
          results.push(p);
          continue;
        }
        try {
          results.push({ ok: await repos.nested((r) => this.deps.leads.syncLeadWith(r, p.data, options)) });
        } catch (error) {
          if (!(error instanceof DomainError) || error.kind === "concurrentChange" || error.kind === "invalidWrite") throw error;
          results.push({ error, leadId: inputs[i].id ?? 0 });
        }
      }
      return results;
    });
  }
}
