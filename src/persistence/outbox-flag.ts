/**
 * Whether a database's write path fills the webhook outbox: set by openDatabase when
 * WEBHOOK_URL is configured, read by the apply step (SqlWriteStore) of every transaction on
 * that DataSource. Keyed by the DataSource, so two apps in one process stay apart.
 */
import type { DataSource } from "typeorm";

const enabled = new WeakSet<DataSource>();

export function enableOutbox(dataSource: DataSource): void {
  enabled.add(dataSource);
}

export function outboxEnabled(dataSource: DataSource): boolean {
  return enabled.has(dataSource);
}
