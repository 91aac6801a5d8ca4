/**
 * syncMultipleLeads as one transaction: every address of the batch is locked up front, in hash
 * order (one round trip, and no deadlock between two batches). A record either applies whole
 * (lead, master status, propagation, activities) or not at all, and a failing record does not
 * undo the others (see syncMany for how, without paying for a savepoint per record). A process killed mid-batch leaves
 * none of the batch applied. Records apply in order: a repeated key updates the lead an earlier
 * record created.
 */
import { emailKey, type EmailHasher } from "./email";
import { DomainError } from "./errors";
import type { EmailStatusService } from "./email-status.service";
import type { LeadService, SyncOptions } from "./lead.service";
import type { TransactionRunner } from "./ports";
import type { LeadInput, SyncResult } from "./types";

type Prepared = { readonly data: Awaited<ReturnType<LeadService["prepare"]>> } | { readonly error: DomainError; readonly leadId: number };

/** A record failed inside the savepoint-free attempt: run the batch again with savepoints. */
class RecordFailedInBatch extends Error {}

export type BatchRecordResult = { readonly ok: SyncResult } | { readonly error: DomainError; readonly leadId: number };

export class BatchSyncService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly leads: Pick<LeadService, "prepare" | "syncLeadWith">;
      readonly emailStatus: Pick<EmailStatusService, "lockAddresses">;
    },
  ) {}

  async syncMany(inputs: LeadInput[], options: SyncOptions): Promise<BatchRecordResult[]> {
    // Field checks happen before the transaction: a bad record never costs a savepoint.
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
    // Fast path: no savepoints. A record can only fail on checks made before its first write,
    // but that is not something to rely on silently: if any record fails inside the
    // transaction, the whole attempt is rolled back and the batch runs again with a savepoint
    // per record, so a failing record can never leave half of itself behind.
    try {
      return await this.run(prepared, inputs, options, false);
    } catch (error) {
      if (!(error instanceof RecordFailedInBatch)) throw error;
      return this.run(prepared, inputs, options, true);
    }
  }

  private run(prepared: Prepared[], inputs: LeadInput[], options: SyncOptions, savepoints: boolean): Promise<BatchRecordResult[]> {
    return this.deps.tx.run(async (repos) => {
      const emails = prepared.flatMap((p) => ("data" in p && p.data.email ? [p.data.email] : []));
      // Records matched by Id or foreign id lock their lead's current address too: take those
      // locks up front with the others, in the one hash order, or two batches can deadlock.
      const current: string[] = [];
      for (const p of prepared) {
        if (!("data" in p)) continue;
        const { id, foreignSysPersonId, foreignSysType } = p.data;
        const lead =
          id !== undefined
            ? await repos.leads.findById(id)
            : foreignSysPersonId
              ? await repos.leads.findByForeignId(foreignSysType ?? "CUSTOM", foreignSysPersonId)
              : null;
        if (lead?.email) current.push(lead.email);
      }
      await this.deps.emailStatus.lockAddresses([...emails, ...current], repos);
      // Under those locks, every address's current lead in one query; records then keep it up to date.
      const hashes = new Set(emails.map((e) => this.deps.hasher(emailKey(e) as string)));
      const latest = await repos.leadPages.latestIdsByEmailHashes([...hashes]);
      const hinted: SyncOptions = {
        ...options,
        emailMatchHint: (hash) => latest.get(hash) ?? (hashes.has(hash) ? null : undefined),
      };
      const results: BatchRecordResult[] = [];
      for (const [i, p] of prepared.entries()) {
        if ("error" in p) {
          results.push(p);
          continue;
        }
        try {
          const ok = savepoints
            ? await repos.nested((r) => this.deps.leads.syncLeadWith(r, p.data, hinted))
            : await this.deps.leads.syncLeadWith(repos, p.data, hinted);
          // This record's lead is now its address's most recently updated one.
          if (ok.lead.emailHash) latest.set(ok.lead.emailHash, ok.leadId);
          results.push({ ok });
        } catch (error) {
          if (!(error instanceof DomainError) || error.kind === "concurrentChange" || error.kind === "invalidWrite") throw error;
          if (!savepoints) throw new RecordFailedInBatch();
          results.push({ error, leadId: inputs[i].id ?? 0 });
        }
      }
      return results;
    });
  }
}
