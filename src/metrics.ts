/**
 * Prometheus metrics (text exposition format 0.0.4), kept in this process: requests and
 * faults by operation and code, latency, database pool use, and email status changes with
 * their propagation. Several processes each expose their own; Prometheus sums them.
 */
type Labels = Record<string, string>;

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) s.counts[i]++;
    });
    s.sum += seconds;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      BUCKETS.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export class Metrics {
  readonly requests = new Counter("mktows_soap_requests_total", "SOAP requests by operation and outcome (ok or fault).");
  readonly faults = new Counter("mktows_soap_faults_total", "SOAP faults by Marketo error code.");
  readonly latency = new Histogram("mktows_soap_request_duration_seconds", "SOAP request duration by operation.");
  readonly statusChanges = new Counter("mktows_email_status_changes_total", "Committed changes of an address's status (unsubscribe or resubscribe) by channel.");
  readonly propagated = new Counter("mktows_propagated_leads_total", "Other leads whose Unsubscribed changed because their address's status changed (committed).");
  readonly standbyReads = new Counter("mktows_standby_reads_total", "Reads that may come from the standby (DATABASE_READ_URL), by where they ran and why the primary answered (lag, error, paused).");

  /** The webhook outbox's undelivered events and the oldest one's age, when a webhook is configured. */
  outbox: (() => { count: number; oldestSeconds: number }) | undefined;

  constructor(private readonly pool: () => PoolStats | undefined = () => undefined) {}

  soapRequest(operation: string, outcome: "ok" | "fault", code: number | undefined, seconds: number): void {
    this.requests.inc({ operation, outcome });
    if (code !== undefined) this.faults.inc({ code: String(code) });
    this.latency.observe({ operation }, seconds);
  }

  statusChanged(e: { unsubscribed: boolean; channel: string; propagatedTo: number }): void {
    this.statusChanges.inc({ to: e.unsubscribed ? "unsubscribed" : "subscribed", channel: e.channel });
    this.propagated.inc({}, e.propagatedTo);
  }

  private outboxGauges(): string {
    const o = this.outbox?.();
    if (!o) return "";
    return [
      "# HELP mktows_webhook_outbox_events Undelivered webhook events (all processes of the database).",
      "# TYPE mktows_webhook_outbox_events gauge",
      `mktows_webhook_outbox_events ${o.count}`,
      "# HELP mktows_webhook_outbox_oldest_seconds Age of the oldest undelivered webhook event.",
      "# TYPE mktows_webhook_outbox_oldest_seconds gauge",
      `mktows_webhook_outbox_oldest_seconds ${o.oldestSeconds}`,
    ].join("\n");
  }

  render(): string {
    const pool = this.pool();
    const gauges = pool
      ? [
          "# HELP mktows_db_pool_connections Database pool connections by state.",
          "# TYPE mktows_db_pool_connections gauge",
          `mktows_db_pool_connections{state="total"} ${pool.total}`,
          `mktows_db_pool_connections{state="idle"} ${pool.idle}`,
          `mktows_db_pool_connections{state="waiting"} ${pool.waiting}`,
        ].join("\n")
      : "";
    const mem = process.memoryUsage();
    return (
      [
        this.requests.render(),
        this.faults.render(),
        this.latency.render(),
        this.statusChanges.render(),
        this.propagated.render(),
        this.standbyReads.render(),
        gauges,
        this.outboxGauges(),
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n" + `process_resident_memory_bytes ${mem.rss}`,
      ]
        .filter(Boolean)
        .join("\n") + "\n"
    );
  }
}
