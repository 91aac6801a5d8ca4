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
      /** Where the export and the search read: the standby when there is one (it sees every commit from before each page's read). */
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

  /**
   * The admin API's search: addresses matching every filter given, `limit` at a time after the
   * cursor (the last address hash of the previous page). Hash order is stable under writes: an
   * address is listed once, whatever changes while the pages are read.
   */
  async search(query: EmailStatusSearch): Promise<{ statuses: EmailStatus[]; nextCursor: string | null; total?: number }> {
    const limit = Math.max(1, Math.min(Math.trunc(query.limit ?? 100), 1000));
    if (query.cursor !== undefined && !/^[0-9a-f]{64}$/.test(query.cursor)) throw new InvalidValueError("cursor is not one this server handed out");
    // Case is folded once, by PostgreSQL's ILIKE (not also here, where İ and ß fold otherwise).
    const part = query.q?.trim().normalize("NFC").slice(0, 254) || undefined;
    const filter = { unsubscribed: query.unsubscribed, addressPart: part, changedSince: query.changedSince };
    return (this.deps.exportReads ?? this.deps.tx).read(async (repos) => {
      const statuses = await repos.emailStatuses.search(filter, query.cursor ?? "", limit);
      const nextCursor = statuses.length === limit ? statuses[statuses.length - 1].emailHash : null;
      return { statuses, nextCursor, ...(query.count ? { total: await repos.emailStatuses.count(filter) } : {}) };
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

export interface EmailStatusSearch {
  readonly q?: string;
  readonly unsubscribed?: boolean;
  readonly changedSince?: Date;
  readonly limit?: number;
  readonly cursor?: string;
  readonly count?: boolean;
}
