/**
 * What the Salesforce sync needs from persistence: the processed Notification Ids and the last
 * values seen per Salesforce record (SPEC §4: Salesforce sends current values, not changes).
 */
import type { SfdcRecordState } from "./sfdc-sync.policy";
import type { UnusableNotification } from "./sfdc-sync.service";

/** A notification acknowledged without being applied, as the operator sees it. */
export interface KeptNotification {
  readonly notificationId: string | null;
  readonly sobjectId: string | null;
  readonly sobjectType: string | null;
  readonly reason: string;
  readonly excerpt: string;
  readonly receivedAt: Date;
}

export interface SfdcRecordRepository {
  /**
   * Records a Notification Id as processed in this transaction; false when it was recorded
   * already (a redelivery). A concurrent delivery of the same id waits for this one to end.
   */
  markProcessed(notificationId: string, sobjectId: string): Promise<boolean>;
  /** Locks the record's row (creating a placeholder) and returns what was last seen; null when never. */
  lock(sobjectId: string, sobjectType: string): Promise<SfdcRecordState | null>;
  /** Stores what this notification leaves as the last seen values. */
  save(sobjectId: string, state: SfdcRecordState, notificationId: string): Promise<void>;
  /** Keeps a notification that can never apply; false when its Notification Id was kept already. */
  keep(n: UnusableNotification): Promise<boolean>;
  kept(limit: number): Promise<KeptNotification[]>;
}
