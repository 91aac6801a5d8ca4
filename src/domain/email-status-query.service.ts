/** Reads an address's master status and its history (the admin API's email-status view). */
import { emailKey, type EmailHasher } from "./email";
import { InvalidValueError } from "./errors";
import type { TransactionRunner } from "./ports";
import type { EmailStatus, EmailStatusChange } from "./types";

export interface EmailStatusView {
  email: string;
  key: string;
  unsubscribed: boolean;
  history: EmailStatusChange[];
}

export class EmailStatusQueryService {
  constructor(
    private readonly deps: {
      readonly tx: TransactionRunner;
      readonly hasher: EmailHasher;
      /** Where the export reads: the standby when there is one (it sees every commit from before each page's read). */
      readonly exportReads?: Pick<TransactionRunner, "read">;
    },
  ) {}

  /** An unknown address is subscribed with an empty history. */
  async statusOf(email: string): Promise<EmailStatusView> {
    const key = emailKey(email);
    if (!key) throw new InvalidValueError("email is empty");
    const hash = this.deps.hasher(key);
    return this.deps.tx.read(async (repos) => {
      const status = await repos.emailStatuses.find(hash);
      const history = status ? await repos.emailStatuses.history(hash) : [];
      return { email: status ? status.email : email, key, unsubscribed: status?.unsubscribed ?? false, history };
    });
  }

  /** Every unsubscribed address with its plaintext, page by page (the suppression export). */
  async *unsubscribed(pageSize = 5000): AsyncGenerator<EmailStatus[]> {
    let after = "";
    for (;;) {
      const page = await (this.deps.exportReads ?? this.deps.tx).read((repos) => repos.emailStatuses.unsubscribedPage(after, pageSize));
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1].emailHash;
    }
  }
}
