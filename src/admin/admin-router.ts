/**
 * The admin API of SPEC §6: JSON over HTTP for operators and tests, behind the admin token.
 * Errors are { "error": { "code", "message" } } with 400/401/404.
 */
import type { AuthThrottle } from "../auth-throttle";
import { timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { EmailStatusQueryService } from "../domain/email-status-query.service";
import type { ErasureService } from "../domain/erasure.service";
import { DomainError } from "../domain/errors";
import type { LeadQueryService } from "../domain/lead-query.service";
import type { LeadService } from "../domain/lead.service";
import type { LeadSearchService } from "../domain/lead-search.service";
import type { ListService } from "../domain/list.service";
import type { CampaignService } from "../domain/campaign.service";
import type { FieldRegistry } from "../domain/field-registry";
import type { SfdcSyncService } from "../domain/sfdc-sync.service";
import type { OneClickService } from "../domain/one-click.service";
import type { OutboxStore } from "../domain/outbox-ports";
import { setField } from "../domain/lead-fields";
import { badTextMessage } from "../domain/text";
import { findBadRequestText } from "../web/request-text";
import { Channels, type EmailStatus, type Lead, type LeadInput } from "../domain/types";
import type { Logger } from "../logger";

export interface AdminDeps {
  readonly adminToken: string;
  readonly leads: Pick<LeadService, "createLead" | "updateLead" | "deleteLead">;
  readonly queries: Pick<LeadQueryService, "getLeadById">;
  readonly emailStatus: Pick<EmailStatusQueryService, "statusOf" | "unsubscribed" | "search">;
  readonly erasure: Pick<ErasureService, "erase">;
  readonly lists: Pick<ListService, "createList">;
  readonly fields: Pick<FieldRegistry, "declare">;
  readonly campaigns: Pick<CampaignService, "create" | "changeDataValue">;
  readonly partitionName: (id: number) => Promise<string>;
  readonly logger: Logger;
  readonly throttle?: Pick<AuthThrottle, "refusal" | "failed">;
  /** Unsubscribe links and the suppression check. */
  readonly oneClick?: Pick<OneClickService, "links" | "check">;
  /** The webhook outbox, when a webhook is configured. */
  readonly outbox?: Pick<OutboxStore, "failures" | "replayFrom" | "setEnabled">;
  /** The lead list (keyset-paged search). */
  readonly search?: Pick<LeadSearchService, "list">;
  /** PUBLIC_URL: the base of unsubscribe links (else the request's own). */
  readonly publicUrl?: string;
  /** The Salesforce channel, when configured (its kept notifications). */
  readonly sfdc?: Pick<SfdcSyncService, "kept">;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  // Authenticate first: an unauthenticated request gets 401, and its body is never parsed.
  // A source with too many wrong tokens gets 429 before its token is looked at.
  router.use((req, res, next) => {
    const source = req.ip ?? "";
    const refused = deps.throttle?.refusal(source, "admin");
    if (refused) {
      res.set("Retry-After", String(refused.retryAfterSeconds));
      next(new HttpError(429, "tooManyFailures", `too many wrong tokens; try again in ${refused.retryAfterSeconds} s`));
      return;
    }
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const given = Buffer.from(m ? m[1].trim() : "", "utf8");
    const expected = Buffer.from(deps.adminToken, "utf8");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      deps.throttle?.failed(source, "admin");
      next(new HttpError(401, "unauthorized", "missing or wrong bearer token"));
      return;
    }
    next();
  });
  router.use(express.json({ limit: "1mb" }));
  // Bad characters (NUL, lone surrogates, …) in the path, the query or the body: 400 naming the field.
  router.use((req, _res, next) => {
    const found = findBadRequestText(req);
    next(found ? new HttpError(400, "badValue", badTextMessage(found)) : undefined);
  });

  const view = async (lead: Lead, partition?: string) => ({
    id: lead.id,
    email: lead.email,
    unsubscribed: lead.unsubscribed,
    unsubscribedReason: lead.unsubscribedReason,
    partition: partition ?? (await deps.partitionName(lead.partitionId)),
    foreignSysPersonId: lead.foreignSysPersonId,
    foreignSysType: lead.foreignSysType,
    fields: lead.fields,
    createdAt: lead.createdAt,
    updatedAt: lead.updatedAt,
  });

  // The lead list: every filter optional, keyset-paged by id (cursor = the last id of a page).
  router.get("/leads", async (req, res) => {
    if (!deps.search) throw new HttpError(404, "notFound", "no such admin endpoint");
    const { text, bool, date, limit } = queryReader(req, ["email", "q", "partition", "unsubscribed", "updatedSince", "limit", "cursor", "count"]);
    const since = date("updatedSince");
    const page = await deps.search.list({
      email: text("email"),
      q: text("q"),
      partition: text("partition"),
      unsubscribed: bool("unsubscribed"),
      updatedSince: since,
      limit: limit(),
      cursor: text("cursor"),
      count: bool("count"),
    });
    const names = new Map<number, string>();
    const leads = [];
    for (const lead of page.leads) {
      if (!names.has(lead.partitionId)) names.set(lead.partitionId, await deps.partitionName(lead.partitionId));
      leads.push(await view(lead, names.get(lead.partitionId)));
    }
    res.json({ leads, nextCursor: page.nextCursor, ...(page.total !== undefined ? { total: page.total } : {}) });
  });

  router.get("/leads/:id", async (req, res) => {
    res.json(await view(await deps.queries.getLeadById(leadId(req.params.id))));
  });

  router.post("/leads", async (req, res) => {
    const body = objectBody(req);
    const lead = await deps.leads.createLead(leadInput(body), {
      channel: Channels.adminApi,
      partitionName: optionalString(body, "partition"),
      createPartition: optionalBoolean(body, "createPartition"),
    });
    res.status(201).json({ id: lead.id });
  });

  router.patch("/leads/:id", async (req, res) => {
    const lead = await deps.leads.updateLead(leadId(req.params.id), leadInput(objectBody(req)), Channels.adminApi);
    res.json(await view(lead));
  });

  router.delete("/leads/:id", async (req, res) => {
    await deps.leads.deleteLead(leadId(req.params.id), Channels.adminApi);
    res.status(204).end();
  });

  // Salesforce notifications acknowledged without being applied (they could never apply).
  router.get("/sfdc/kept-notifications", async (req, res) => {
    const raw = typeof req.query.limit === "string" ? req.query.limit : "100";
    if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) throw new HttpError(400, "badValue", "limit must be 1 to 1000");
    res.json({ notifications: deps.sfdc ? await deps.sfdc.kept(Number(raw)) : [] });
  });

  router.post("/unsubscribe-links", async (req, res) => {
    if (!deps.oneClick) throw new HttpError(404, "notFound", "no such admin endpoint");
    const body = objectBody(req);
    const base = deps.publicUrl ?? `${req.protocol}://${/^[A-Za-z0-9.\-:[\]]+$/.test(req.get("host") ?? "") ? req.get("host") : "localhost"}`;
    const links = await deps.oneClick.links({ emails: stringList(body, "emails"), leadIds: idList(body, "leadIds"), label: optionalString(body, "label") });
    res.json(links.map((l) => ("token" in l ? { email: l.email, ...(l.leadId !== undefined ? { leadId: l.leadId } : {}), url: `${base}/u/${l.token}` } : l)));
  });

  router.post("/email-status/check", async (req, res) => {
    if (!deps.oneClick) throw new HttpError(404, "notFound", "no such admin endpoint");
    const emails = stringList(objectBody(req), "emails");
    if (!emails) throw new HttpError(400, "badValue", "emails is required");
    res.json(await deps.oneClick.check(emails));
  });

  router.get("/webhook/failed", async (_req, res) => {
    if (!deps.outbox) throw new HttpError(404, "notFound", "no such admin endpoint");
    const rows = await deps.outbox.failures(1000);
    res.json({ events: rows.map((e) => ({ eventId: e.eventId, address: e.email || null, unsubscribed: e.unsubscribed, at: e.at, channel: e.channel, attempts: e.attempts, lastError: e.lastError, nextAttemptAt: e.nextAttemptAt })) });
  });

  router.post("/webhook/replay", async (req, res) => {
    if (!deps.outbox) throw new HttpError(404, "notFound", "no such admin endpoint");
    const fromEventId = requiredString(objectBody(req), "fromEventId");
    const queued = await deps.outbox.replayFrom(fromEventId);
    if (queued === null) throw new HttpError(404, "notFound", `no event ${fromEventId.slice(0, 40)} (delivered events are kept WEBHOOK_RETENTION_DAYS)`);
    res.json({ queued });
  });

  // Stops writing webhook events for this database (until a process starts with WEBHOOK_URL again).
  router.delete("/webhook", async (_req, res) => {
    if (!deps.outbox) throw new HttpError(404, "notFound", "no such admin endpoint");
    await deps.outbox.setEnabled(false);
    res.status(204).end();
  });

  router.post("/lists", async (req, res) => {
    const body = objectBody(req);
    const name = optionalString(body, "name");
    if (!name) throw new HttpError(400, "badValue", "name is required");
    res.status(201).json({ id: await deps.lists.createList(optionalString(body, "programName") ?? "", name) });
  });

  router.post("/fields", async (req, res) => {
    const body = objectBody(req);
    const def = await deps.fields.declare({
      name: requiredString(body, "name"),
      attrType: requiredString(body, "attrType"),
      displayName: optionalString(body, "displayName"),
    });
    res.status(201).json({ name: def.name, attrType: def.type, displayName: def.displayName });
  });

  router.post("/campaigns", async (req, res) => {
    const body = objectBody(req);
    const steps = body.steps ?? [];
    if (!Array.isArray(steps)) throw new HttpError(400, "badValue", "steps must be an array");
    const id = await deps.campaigns.create({
      programName: requiredString(body, "programName"),
      name: requiredString(body, "name"),
      description: optionalString(body, "description"),
      steps: steps.map((s: unknown, i: number) => {
        const o = (s ?? {}) as Record<string, unknown>;
        if (o.type !== "changeDataValue" || typeof o.attribute !== "string" || !["string", "boolean", "number"].includes(typeof o.value)) {
          throw new HttpError(400, "badValue", `steps[${i}] must be { "type": "changeDataValue", "attribute": string, "value": string }`);
        }
        return { type: "changeDataValue" as const, attribute: o.attribute, value: String(o.value) };
      }),
    });
    res.status(201).json({ id });
  });

  router.post("/flow/change-data-value", async (req, res) => {
    const body = objectBody(req);
    const ids = body.leadIds;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => Number.isInteger(x) && x > 0 && x <= 2147483647)) {
      throw new HttpError(400, "badValue", "leadIds must be a non-empty array of lead ids");
    }
    if (ids.length > 10000) throw new HttpError(400, "badValue", "at most 10000 leadIds per call");
    const value = body.value;
    if (!["string", "boolean", "number"].includes(typeof value)) throw new HttpError(400, "badValue", "value must be a string, boolean or number");
    const campaignId = body.campaignId;
    if (campaignId !== undefined && !(Number.isInteger(campaignId) && (campaignId as number) > 0)) throw new HttpError(400, "badValue", "campaignId must be a campaign id");
    const result = await deps.campaigns.changeDataValue(ids as number[], requiredString(body, "attribute"), String(value), campaignId as number | undefined);
    res.json(result);
  });

  /**
   * `?unsubscribed=true` alone (and `format`): the suppression export, streamed as JSON lines
   * (default) or CSV (?format=csv or Accept: text/csv). With any of q, changedSince, limit,
   * cursor or count, or without unsubscribed=true: a page of the search.
   */
  router.get("/email-status", async (req, res) => {
    const paged = ["q", "changedSince", "limit", "cursor", "count"].some((k) => k in req.query) || req.query.unsubscribed !== "true";
    if (paged) {
      const { text, bool, date, limit } = queryReader(req, ["q", "unsubscribed", "changedSince", "limit", "cursor", "count"]);
      const page = await deps.emailStatus.search({ q: text("q"), unsubscribed: bool("unsubscribed"), changedSince: date("changedSince"), limit: limit(), cursor: text("cursor"), count: bool("count") });
      res.json({ statuses: page.statuses.map(statusView), nextCursor: page.nextCursor, ...(page.total !== undefined ? { total: page.total } : {}) });
      return;
    }
    const csv = req.query.format === "csv" || (req.query.format === undefined && /text\/csv/.test(String(req.headers.accept ?? "")));
    res.status(200).type(csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    if (csv) res.write("email,unsubscribed,reason,channel,changedAt\r\n");
    for await (const page of deps.emailStatus.unsubscribed()) {
      const chunk = page
        .map((s) =>
          csv
            ? [s.email, "true", s.reason ?? "", s.channel ?? "", s.changedAt?.toISOString() ?? ""].map(csvCell).join(",") + "\r\n"
            : JSON.stringify({ email: s.email, unsubscribed: true, reason: s.reason, channel: s.channel, changedAt: s.changedAt?.toISOString() ?? null }) + "\n",
        )
        .join("");
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  });

  router.post("/erase", async (req, res) => {
    const body = objectBody(req);
    const result = await deps.erasure.erase(requiredString(body, "email"), Channels.adminApi);
    res.json(result);
  });

  router.get("/email-status/:email", async (req, res) => {
    const s = await deps.emailStatus.statusOf(String(req.params.email));
    res.json({
      email: s.email,
      key: s.key,
      unsubscribed: s.unsubscribed,
      history: s.history.map((h) => ({ at: h.at.toISOString(), unsubscribed: h.unsubscribed, channel: h.channel, reason: h.reason, source: h.source, leadId: h.leadId })),
    });
  });

  router.use((_req, _res, next) => next(new HttpError(404, "notFound", "no such admin endpoint")));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    const e = error as { type?: string; status?: number };
    let status = 500;
    let code = "internal";
    let message = "internal error";
    if (error instanceof HttpError) [status, code, message] = [error.status, error.code, error.message];
    else if (error instanceof DomainError) {
      status = ["leadNotFound", "campaignNotFound", "listNotFound"].includes(error.kind) ? 404 : 400;
      code = error.kind;
      message = error.message;
    } else if (e?.type === "entity.parse.failed") [status, code, message] = [400, "badJson", "the body is not valid JSON"];
    else if (e?.type === "entity.too.large") [status, code, message] = [400, "tooLarge", "the body is too large"];
    else deps.logger.log("error", "admin request failed", { error: error instanceof Error ? error.stack : String(error) });
    res.status(status).json({ error: { code, message } });
  });
  return router;
}

function leadId(raw: string | string[] | undefined): number {
  const s = String(raw ?? "");
  if (!/^\d{1,10}$/.test(s) || Number(s) > 2147483647 || Number(s) === 0) throw new HttpError(400, "badId", `'${s.slice(0, 20)}' is not a lead id`);
  return Number(s);
}

function objectBody(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (!b || typeof b !== "object" || Array.isArray(b)) throw new HttpError(400, "badBody", "send a JSON object with Content-Type: application/json");
  return b as Record<string, unknown>;
}

function optionalString(b: Record<string, unknown>, name: string): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new HttpError(400, "badValue", `${name} must be a string`);
  return v;
}

/** A CSV cell; a leading =, +, - or @ is quoted with a ' so spreadsheets do not run it as a formula. */
function csvCell(v: string): string {
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function requiredString(b: Record<string, unknown>, name: string): string {
  const v = optionalString(b, name);
  if (v === undefined || v.trim() === "") throw new HttpError(400, "badValue", `${name} is required`);
  return v;
}

function stringList(b: Record<string, unknown>, name: string): string[] | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new HttpError(400, "badValue", `${name} must be a list of strings`);
  return v as string[];
}

function idList(b: Record<string, unknown>, name: string): number[] | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x > 0 && x <= 2147483647)) throw new HttpError(400, "badValue", `${name} must be a list of lead ids`);
  return v as number[];
}

function optionalBoolean(b: Record<string, unknown>, name: string): boolean | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new HttpError(400, "badValue", `${name} must be true or false`);
  return v;
}

const knownKeys = new Set(["email", "unsubscribed", "unsubscribedReason", "fields", "partition", "createPartition", "foreignSysPersonId", "foreignSysType"]);

function leadInput(b: Record<string, unknown>): LeadInput {
  const unknown = Object.keys(b).filter((k) => !knownKeys.has(k));
  if (unknown.length) throw new HttpError(400, "unknownProperty", `unknown properties: ${unknown.join(", ")}`);
  const input: LeadInput = {};
  const email = optionalString(b, "email");
  if (email !== undefined) input.email = email;
  const unsubscribed = optionalBoolean(b, "unsubscribed");
  if (unsubscribed !== undefined) input.unsubscribed = unsubscribed;
  const reason = optionalString(b, "unsubscribedReason");
  if (reason !== undefined) input.unsubscribedReason = reason;
  const fsid = optionalString(b, "foreignSysPersonId");
  if (fsid !== undefined) input.foreignSysPersonId = fsid;
  const fstype = optionalString(b, "foreignSysType");
  if (fstype !== undefined) input.foreignSysType = fstype;
  if (b.fields !== undefined) {
    if (!b.fields || typeof b.fields !== "object" || Array.isArray(b.fields)) throw new HttpError(400, "badValue", "fields must be an object");
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(b.fields as Record<string, unknown>)) {
      if (typeof v === "string") setField(fields, k, v);
      else if (typeof v === "number" || typeof v === "boolean") setField(fields, k, String(v));
      else if (v === null) setField(fields, k, "");
      else throw new HttpError(400, "badValue", `fields.${k} must be a string, number or boolean`);
    }
    input.fields = fields;
  }
  return input;
}

/** One reader of a request's query parameters: unknown ones refused, each given at most once. */
function queryReader(req: Request, known: readonly string[]) {
  const q = req.query as Record<string, unknown>;
  const unknown = Object.keys(q).filter((k) => !known.includes(k));
  if (unknown.length) throw new HttpError(400, "unknownProperty", `unknown parameters: ${unknown.join(", ")}`);
  const text = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw new HttpError(400, "badValue", `${name} must be given once`);
    return v;
  };
  const bool = (name: string): boolean | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (v !== "true" && v !== "false") throw new HttpError(400, "badValue", `${name} must be true or false`);
    return v === "true";
  };
  const date = (name: string): Date | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(Date.parse(v))) throw new HttpError(400, "badValue", `${name} must be a date and time (ISO 8601)`);
    return new Date(v);
  };
  const limit = (): number | undefined => {
    const v = text("limit");
    if (v === undefined) return undefined;
    if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > 1000) throw new HttpError(400, "badValue", "limit must be 1 to 1000");
    return Number(v);
  };
  return { text, bool, date, limit };
}

function statusView(s: EmailStatus) {
  return {
    email: s.email === "" ? null : s.email,
    erased: s.email === "",
    unsubscribed: s.unsubscribed,
    reason: s.reason,
    channel: s.channel,
    changedAt: s.changedAt?.toISOString() ?? null,
  };
}
