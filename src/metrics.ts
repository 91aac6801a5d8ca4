/**
 * Prometheus metrics, written by prom-client in a registry of this application's own (tests
 * start several in one process): SOAP requests and faults by operation and code, SOAP requests
 * refused before an operation ran (malformed XML, unknown operation, no endpoint, too large),
 * every other HTTP endpoint (admin API, web UI, Salesforce, one-click) by status and latency,
 * database pool use, email status changes with their propagation, the webhook outbox, and
 * prom-client's default process metrics (CPU, heap, event-loop lag, handles). Several processes
 * each expose their own; Prometheus sums them.
 */
import type { NextFunction, Request, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** Why a SOAP request was answered with a fault before any operation ran. */
export type SoapRefusal = "unauthenticated" | "malformed" | "unknown_operation" | "too_large" | "unreadable" | "no_endpoint";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The endpoint family of a path, a label with few values whatever the path holds. */
export function endpointOf(path: string): string {
  if (path.startsWith("/soap")) return "soap";
  if (path.startsWith("/admin/api")) return "admin";
  if (path === "/ui" || path.startsWith("/ui/")) return "ui";
  if (path.startsWith("/sfdc")) return "sfdc";
  if (path === "/u" || path.startsWith("/u/")) return "unsubscribe";
  if (path === "/metrics" || path === "/healthz" || path === "/") return path === "/" ? "home" : path.slice(1);
  return "other";
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "mktows_soap_requests_total", help: "SOAP requests by operation and outcome (ok or fault).", labelNames: ["operation", "outcome"], registers: [this.registry] });
  private readonly faults = new Counter({ name: "mktows_soap_faults_total", help: "SOAP faults by Marketo error code.", labelNames: ["code"], registers: [this.registry] });
  private readonly latency = new Histogram({ name: "mktows_soap_request_duration_seconds", help: "SOAP request duration by operation.", labelNames: ["operation"], buckets: BUCKETS, registers: [this.registry] });
  private readonly refused = new Counter({
    name: "mktows_soap_refused_total",
    help: "SOAP requests answered with a fault before an operation ran, by reason and Marketo error code.",
    labelNames: ["code", "reason"],
    registers: [this.registry],
  });
  private readonly http = new Counter({ name: "mktows_http_requests_total", help: "HTTP requests by endpoint family, method and status code.", labelNames: ["endpoint", "method", "status"], registers: [this.registry] });
  private readonly httpLatency = new Histogram({ name: "mktows_http_request_duration_seconds", help: "HTTP request duration by endpoint family.", labelNames: ["endpoint"], buckets: BUCKETS, registers: [this.registry] });
  private readonly statusChanges = new Counter({
    name: "mktows_email_status_changes_total",
    help: "Committed changes of an address's status (unsubscribe or resubscribe) by channel.",
    labelNames: ["channel", "to"],
    registers: [this.registry],
  });
  private readonly propagated = new Counter({ name: "mktows_propagated_leads_total", help: "Other leads whose Unsubscribed changed because their address's status changed (committed).", registers: [this.registry] });
  private readonly standbyReads = new Counter({
    name: "mktows_standby_reads_total",
    help: "Reads that may come from the standby (DATABASE_READ_URL), by where they ran and why the primary answered (lag, error, paused).",
    labelNames: ["reason", "where"],
    registers: [this.registry],
  });

  /** The webhook outbox's undelivered events and the oldest one's age, when a webhook is configured. */
  outbox: (() => { count: number; oldestSeconds: number }) | undefined;

  constructor(pool: () => PoolStats | undefined = () => undefined) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names *_total, which `promtool check metrics` refuses; the same
    // counts stay in nodejs_active_handles / _requests / _resources by type.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) this.registry.removeSingleMetric(name);
    new Gauge({
      name: "mktows_db_pool_connections",
      help: "Database pool connections by state.",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: "total" }, p.total);
        this.set({ state: "idle" }, p.idle);
        this.set({ state: "waiting" }, p.waiting);
      },
    });
    const outbox = () => this.outbox?.();
    new Gauge({
      name: "mktows_webhook_outbox_events",
      help: "Undelivered webhook events (all processes of the database).",
      registers: [this.registry],
      collect() {
        const o = outbox();
        if (o) this.set(o.count);
      },
    });
    new Gauge({
      name: "mktows_webhook_outbox_oldest_seconds",
      help: "Age of the oldest undelivered webhook event.",
      registers: [this.registry],
      collect() {
        const o = outbox();
        if (o) this.set(o.oldestSeconds);
      },
    });
  }

  soapRequest(operation: string, outcome: "ok" | "fault", code: number | undefined, seconds: number): void {
    this.requests.inc({ operation, outcome });
    if (code !== undefined) this.faults.inc({ code: String(code) });
    this.latency.observe({ operation }, seconds);
  }

  standbyRead(where: string, reason?: string): void {
    this.standbyReads.inc(reason ? { reason, where } : { where });
  }

  soapRefused(reason: SoapRefusal, code: number): void {
    this.refused.inc({ code: String(code), reason });
    this.faults.inc({ code: String(code) });
  }

  statusChanged(e: { unsubscribed: boolean; channel: string; propagatedTo: number }): void {
    this.statusChanges.inc({ channel: e.channel, to: e.unsubscribed ? "unsubscribed" : "subscribed" });
    this.propagated.inc(e.propagatedTo);
  }

  /** Express middleware: every HTTP request, counted when its answer is finished. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const endpoint = endpointOf(req.path);
    res.once("finish", () => {
      this.http.inc({ endpoint, method: req.method, status: String(res.statusCode) });
      this.httpLatency.observe({ endpoint }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
