/**
 * syncMultipleLeads as one unit of work of the write path, in one transaction: the records are
 * checked against the field catalogue first (a bad one is FAILED before the transaction), then
 * matched, decided and applied together (LeadWriteService), in request order: a repeated key
 * updates the lead an earlier record created. A record whose request is bad fails alone and
 * writes nothing; any other failure rolls the whole batch back (a process killed mid-batch
 * leaves none of it applied).
 */
import { isRequestError, type DomainError } from "./errors";
import type { NormalisedInput } from "./lead-input";
import type { LeadService, SyncOptions } from "./lead.service";
import type { TransactionRunner } from "./ports";
import type { LeadInput, SyncResult } from "./types";

export type BatchRecordResult = { readonly ok: SyncResult } | { readonly error: DomainError; readonly leadId: number };

export class BatchSyncService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly leads: Pick<LeadService, "prepare" | "syncManyWith">;
    },
  ) {}

  async syncMany(inputs: LeadInput[], options: SyncOptions): Promise<BatchRecordResult[]> {
    const prepared = await Promise.all(
      inputs.map(async (input): Promise<NormalisedInput | DomainError> => {
        try {
          return await this.deps.leads.prepare(input);
        } catch (error) {
          if (isRequestError(error)) return error;
          throw error;
        }
      }),
    );
    const ready = prepared.flatMap((p, i) => (isRequestError(p) ? [] : [{ i, data: p }]));
    const applied = ready.length ? await this.deps.tx.run((repos) => this.deps.leads.syncManyWith(repos, ready.map((r) => r.data), options)) : [];
    const results: BatchRecordResult[] = prepared.map((p, i) => ({ error: p as DomainError, leadId: inputs[i].id ?? 0 }));
    ready.forEach(({ i }, j) => {
      const r = applied[j];
      results[i] = "ok" in r ? r : { error: r.error, leadId: inputs[i].id ?? 0 };
    });
    return results;
  }
}
