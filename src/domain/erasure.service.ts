/**
 * Erasure, a person's right to be forgotten (SPEC §1): every lead with the address is deleted,
 * the plaintext is blanked in the master row, its history and the activity rows that name it,
 * and the address is recorded as unsubscribed with reason "erased", so an erased address that
 * comes back is still unsubscribed (D3). One transaction, under the address's lock.
 */
import { emailKey, type EmailHasher } from "./email";
import type { EmailStatusService } from "./email-status.service";
import { InvalidValueError } from "./errors";
import type { TransactionRunner } from "./ports";
import type { Channel } from "./types";

export const ERASED_REASON = "erased";

export interface ErasureResult {
  readonly deletedLeads: number;
  readonly blankedActivities: number;
}

export class ErasureService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      readonly emailStatus: Pick<EmailStatusService, "lockAddresses">;
      readonly now?: () => Date;
    },
  ) {}

  async erase(email: string, channel: Channel): Promise<ErasureResult> {
    const key = emailKey(email);
    if (!key) throw new InvalidValueError("email is empty");
    const hash = this.deps.hasher(key);
    return this.deps.tx.run(async (repos) => {
      await this.deps.emailStatus.lockAddresses([email], repos);
      const leads = await repos.leads.findByEmailHash(hash);
      for (const lead of leads) {
        const fresh = await repos.leads.findByIdForUpdate(lead.id);
        if (fresh) await repos.leads.remove(fresh, { channel });
      }
      await repos.emailStatuses.change(hash, "", {
        at: this.deps.now?.() ?? new Date(),
        unsubscribed: true,
        channel: channel.name,
        reason: ERASED_REASON,
        source: channel.source,
        leadId: null,
      });
      await repos.emailStatuses.blankPlaintext(hash);

      // Activity rows that name the address (Email Address changes, of any lead). SQL only narrows
      // the candidates; whether a value is this address is decided with the one emailKey().
      const at = key.lastIndexOf("@");
      const fragment = at >= 0 && /^[\x20-\x7e]+$/.test(key.slice(at)) ? key.slice(at) : null;
      let blanked = 0;
      for (const row of await repos.activities.emailChangeRowsMentioning(fragment)) {
        let changed = false;
        const attributes = row.attributes.map((a) => {
          if ((a.name === "Old Value" || a.name === "New Value") && emailKey(a.value) === key) {
            changed = true;
            return { ...a, value: "" };
          }
          return a;
        });
        if (changed) {
          await repos.activities.replaceAttributes(row.id, attributes);
          blanked++;
        }
      }
      return { deletedLeads: leads.length, blankedActivities: blanked };
    });
  }
}
