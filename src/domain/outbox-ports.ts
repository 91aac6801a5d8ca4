/** The webhook outbox as the dispatcher sees it (issue 14); SQL in persistence/webhook-outbox.ts. */
export interface OutboxEvent {
  readonly id: number;
  readonly eventId: string;
  readonly emailHash: string;
  /** '' once the address was erased. */
  readonly email: string;
  readonly unsubscribed: boolean;
  readonly at: Date;
  readonly channel: string;
  readonly reason: string | null;
  readonly source: string | null;
  readonly attempts: number;
}

export interface OutboxStore {
  /** Leases up to `limit` events that may be sent now: each the oldest undelivered one of its address. */
  lease(limit: number, leaseMs: number, owner: string): Promise<OutboxEvent[]>;
  /** Marks a leased event delivered; nothing when `owner` no longer holds the lease. */
  delivered(id: number, owner: string): Promise<void>;
  /** A failed attempt: sent again at `retryAt` (by the lease's owner only). */
  failed(id: number, error: string, retryAt: Date, owner: string): Promise<void>;
  /** Whether the database writes outbox rows (every process and command, whatever its configuration). */
  setEnabled(on: boolean): Promise<void>;
  enabled(): Promise<boolean>;
  /** Undelivered events and the age of the oldest, in seconds (0 when none). */
  depth(): Promise<{ count: number; oldestSeconds: number }>;
  /** Undelivered events that failed at least once, oldest first. */
  failures(limit: number): Promise<(OutboxEvent & { lastError: string | null; nextAttemptAt: Date })[]>;
  /** Sends again every event from this one on (by commit order); false when the id is unknown. */
  replayFrom(eventId: string): Promise<number | null>;
  /** Deletes delivered events older than this. */
  prune(before: Date): Promise<number>;
}
