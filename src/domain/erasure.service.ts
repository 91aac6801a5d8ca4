/**
 * Erasure, a person's right to be forgotten (SPEC §1): every lead with the address is deleted,
 * the plaintext is blanked in the master row, its history and the activity rows that name it,
 * and the address is recorded as unsubscribed with reason "erased", so an erased address that
 * comes back is still unsubscribed (D3). One transaction, under the address's lock.
 */
import type { LeadWriteService } from "./lead-write.service";
import type { TransactionRunner } from "./ports";
import type { Channel } from "./types";
import { ERASED_REASON } from "./write-decider";

export { ERASED_REASON };

export interface ErasureResult {
  readonly deletedLeads: number;
  readonly blankedActivities: number;
}

/** One erase plan of the write path, in a transaction of its own. */
export class ErasureService {
  constructor(private readonly deps: { readonly tx: TransactionRunner; readonly writes: Pick<LeadWriteService, "runIn"> }) {}

  async erase(email: string, channel: Channel): Promise<ErasureResult> {
    return this.deps.tx.run(async (repos) => {
      const [result] = await this.deps.writes.runIn(repos, [{ op: "erase", email, channel }]);
      if ("error" in result) throw result.error;
      return { deletedLeads: result.ok.others.length, blankedActivities: result.ok.blanked ?? 0 };
    });
  }
}
