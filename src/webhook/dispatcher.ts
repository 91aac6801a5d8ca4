/**
 * Delivers the webhook outbox (issue 14): every committed change of an address's status, as
 * signed JSON, at least once, in commit order per address, retried with backoff, resumed after
 * a restart (the outbox is a table; a crashed process's leases run out). Several processes may
 * run one each: an event is leased by one at a time.
 *
 * Signature (as Stripe and Svix do): `Mktows-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed by WEBHOOK_SECRET>`; `Mktows-Event-Id` is the event's id (the receiver's
 * deduplication key: at least once means a retry after a lost answer sends it again).
 */
import { createHmac, randomUUID } from "node:crypto";
import type { OutboxEvent, OutboxStore } from "../domain/outbox-ports";
import type { Config } from "../config";
import type { Logger } from "../logger";

/** WEBHOOK_* (config.ts): where, the secret, timeout, first retry delay, lease, poll interval, retention. */
export type DispatcherOptions = NonNullable<Config["webhook"]>;

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}

export function eventBody(e: OutboxEvent): string {
  return JSON.stringify({
    id: e.eventId,
    type: "email_status.changed",
    address: e.email === "" ? null : e.email,
    addressHash: e.emailHash,
    unsubscribed: e.unsubscribed,
    at: e.at.toISOString(),
    channel: e.channel,
    reason: e.reason,
    source: e.source,
  });
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPrune = 0;
  /** For /metrics: refreshed each round. */
  depth = { count: 0, oldestSeconds: 0 };

  constructor(
    private readonly store: OutboxStore,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
    this.poke();
  }

  /** Runs a round now (after a commit that changed a status), or right after the running one. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => this.logger.log("warn", "webhook round failed", { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Stops taking events; waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    for (;;) {
      // A lease per round: a process that stalled past its lease cannot mark what another took over.
      const owner = randomUUID();
      const events = await this.store.lease(50, this.options.leaseMs, owner);
      if (events.length > 0) {
        // One event per address in a batch (the lease takes heads only): in parallel across addresses.
        await Promise.all(events.map((e) => this.deliver(e, owner)));
      }
      if (events.length < 50 || this.stopped) break;
    }
    this.depth = await this.store.depth();
    if (Date.now() - this.lastPrune > 3600_000) {
      this.lastPrune = Date.now();
      await this.store.prune(new Date(Date.now() - this.options.retentionDays * 86400_000));
    }
  }

  private async deliver(e: OutboxEvent, owner: string): Promise<void> {
    const body = eventBody(e);
    const timestamp = Math.floor(Date.now() / 1000);
    let problem: string;
    try {
      const res = await fetch(this.options.url, {
        method: "POST",
        headers: { "content-type": "application/json", "mktows-event-id": e.eventId, "mktows-signature": signature(this.options.secret, timestamp, body), "user-agent": "mktows-webhook/1" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await this.store.delivered(e.id, owner);
        return;
      }
      problem = `HTTP ${res.status}`;
    } catch (error) {
      problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    const delay = Math.min(this.options.retryBaseMs * 2 ** Math.min(e.attempts, 20), 3600_000);
    await this.store.failed(e.id, problem, new Date(Date.now() + delay), owner);
    this.logger.log("warn", "webhook delivery failed", { eventId: e.eventId, attempt: e.attempts + 1, error: problem, retryInMs: delay });
  }
}
