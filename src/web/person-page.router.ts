/**
 * The person page (SPEC §4): a server-rendered web UI under /ui, behind the admin token. Log in
 * with ADMIN_TOKEN (a signed session cookie, see session.ts), search leads, and open a lead:
 * Info (its fields and the Unsubscribed box), Activity log, Email status, Delete. Every change
 * goes through LeadService with Channels.personPage, so the durable-unsubscribe rules and the
 * activity rows are the same as on every other channel. Handlers translate: form → one service
 * call → redirect (POST/redirect/GET), page data → views.
 */
import type { UiSessionRevocations } from "../domain/session-ports";
import type { AuthThrottle } from "../auth-throttle";
import { badTextMessage } from "../domain/text";
import { findBadRequestText } from "./request-text";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { ErasureService } from "../domain/erasure.service";
import type { EmailStatusQueryService } from "../domain/email-status-query.service";
import { DomainError, LeadNotFoundError } from "../domain/errors";
import type { LeadSearchService } from "../domain/lead-search.service";
import type { LeadQueryService } from "../domain/lead-query.service";
import type { LeadService } from "../domain/lead.service";
import { Channels, type Lead } from "../domain/types";
import type { Logger } from "../logger";
import { href, STYLESHEET } from "./html";
import {
  activityTab,
  deleteTab,
  eraseAction,
  emailStatusTab,
  errorPage,
  infoTab,
  leadPath,
  loginPage,
  personPage,
  resubscribeConfirmPage,
  searchPage,
  addressPage,
  type LeadRow,
} from "./person-page.views";
import { readCookie, SESSION_COOKIE, sessionCookie, SessionSigner, type UiSession } from "./session";

export interface PersonPageDeps {
  readonly adminToken: string;
  readonly leads: Pick<LeadService, "updateLead" | "deleteLead">;
  readonly queries: Pick<LeadQueryService, "getLeadById" | "getLeads" | "getActivity">;
  readonly search: Pick<LeadSearchService, "searchLeads">;
  readonly emailStatus: Pick<EmailStatusQueryService, "statusOf">;
  readonly erasure: Pick<ErasureService, "erase">;
  /** The display name of a lead field (its SOAP attrName otherwise). */
  readonly fieldLabel: (attrName: string) => string;
  readonly partitionName: (id: number) => Promise<string>;
  readonly logger: Logger;
  /** Sessions ended by logout (on every process of the database). */
  readonly sessions?: UiSessionRevocations;
  readonly throttle?: Pick<AuthThrottle, "refusal" | "failed">;
  /** How long a login lasts; 12 hours unless set. */
  readonly sessionMaxAgeSeconds?: number;
}

const SEARCH_LIMIT = 50;
const ACTIVITY_LIMIT = 200;

/** Messages after a redirect, by code: the query string never carries text to show. */
const FLASHES: Record<string, (n: number) => string> = {
  unsubscribed: (n) => `Unsubscribed: ${leadsText(n)} with this address ${n === 1 ? "is" : "are"} now unsubscribed.`,
  resubscribed: (n) => `Re-subscribed: ${leadsText(n)} with this address ${n === 1 ? "is" : "are"} now subscribed.`,
  nochange: () => "Nothing changed.",
  stale: () => "This lead changed after the page was loaded, so nothing was saved. This is how it is now.",
  deleted: (n) => `Lead ${n} was deleted.`,
  erased: (n) => `Erased: ${leadsText(n)} deleted; the address stays unsubscribed and its plaintext is gone.`,
};

class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export function createPersonPageRouter(deps: PersonPageDeps): Router {
  const router = express.Router();
  const signer = new SessionSigner(deps.adminToken, { maxAgeSeconds: deps.sessionMaxAgeSeconds ?? 12 * 3600 });
  const sessions = new WeakMap<Request, UiSession>();
  const csrfOf = (req: Request): string => {
    const session = sessions.get(req);
    if (!session) throw new PageError(401, "Not logged in", "Log in first.");
    return signer.csrfToken(session);
  };

  router.use((_req, res, next) => {
    // Pages carry personal data: not cached, not framed, no scripts at all, no referrer.
    res.set({
      "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
    });
    next();
  });
  router.get("/assets/style.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "public, max-age=3600").send(STYLESHEET);
  });
  router.use(express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 }));
  // NUL, lone surrogates and the like in the path, a search or a form: 400 naming the field.
  router.use((req, _res, next) => {
    const found = findBadRequestText(req);
    next(found ? new PageError(400, "Not accepted", badTextMessage(found)) : undefined);
  });

  router.get("/login", (req, res) => {
    if (signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE))) return res.redirect(303, "/ui/");
    res.type("html").send(loginPage({}));
  });
  router.post("/login", (req, res) => {
    const source = req.ip ?? "";
    const refused = deps.throttle?.refusal(source, "admin");
    if (refused) {
      deps.logger.log("warn", "web ui login throttled", { ip: req.ip, retryAfterSeconds: refused.retryAfterSeconds });
      res.status(429).set("Retry-After", String(refused.retryAfterSeconds)).type("html").send(loginPage({ error: `Too many wrong tokens. Try again in ${refused.retryAfterSeconds} seconds.` }));
      return;
    }
    if (!signer.checkToken(formField(req, "token") ?? "")) {
      deps.throttle?.failed(source, "admin");
      deps.logger.log("warn", "web ui login refused", { ip: req.ip });
      res.status(401).type("html").send(loginPage({ error: "That is not the admin token." }));
      return;
    }
    res.set("Set-Cookie", sessionCookie(signer.issue(), { maxAgeSeconds: signer.maxAgeSeconds, secure: req.secure }));
    res.redirect(303, "/ui/");
  });

  // Everything below needs a session; every POST below also needs the session's CSRF token.
  router.use(async (req, res, next) => {
    const session = signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!session || (await deps.sessions?.isRevoked(session.nonce))) return res.redirect(303, "/ui/login");
    sessions.set(req, session);
    if (req.method === "POST" && !signer.checkCsrf(session, formField(req, "_csrf"))) {
      throw new PageError(403, "Form expired", "This form is out of date or did not come from this site. Go back, reload the page and try again.");
    }
    next();
  });

  router.post("/logout", async (req, res) => {
    // The cookie is removed from this browser, and the session refused by every process even
    // if a copy of the cookie is replayed.
    const session = sessions.get(req);
    if (session) await deps.sessions?.revoke(session.nonce, new Date((session.issuedAt + signer.maxAgeSeconds) * 1000));
    res.set("Set-Cookie", sessionCookie("", { maxAgeSeconds: 0, secure: req.secure }));
    res.redirect(303, "/ui/login");
  });

  router.get("/", async (req, res) => {
    const q = typeof req.query.q === "string" ? req.query.q : "";
    const pageNumber = typeof req.query.page === "string" && /^\d{1,5}$/.test(req.query.page) && Number(req.query.page) > 0 ? Number(req.query.page) : 1;
    // One more than a page: whether there is a next one.
    const found = q.trim() ? await deps.search.searchLeads(q, SEARCH_LIMIT + 1, (pageNumber - 1) * SEARCH_LIMIT) : null;
    const results = found ? await rows(found.slice(0, SEARCH_LIMIT)) : null;
    // An address is looked up as an address too: it may have a status and no lead (an unsubscribe list, a link, an erasure).
    const addressStatus = q.includes("@") ? await deps.emailStatus.statusOf(q.trim()).catch(() => null) : null;
    // An erased address has no plaintext left: show it as it was typed.
    const address = addressStatus ? { ...addressStatus, email: addressStatus.email || q.trim() } : null;
    res.type("html").send(
      searchPage({ q, results, csrf: csrfOf(req), flash: flash(req), paging: { page: pageNumber, size: SEARCH_LIMIT, more: (found?.length ?? 0) > SEARCH_LIMIT }, address }),
    );
  });

  // An address's status and history, whether or not a lead has it.
  router.get("/address", async (req, res) => {
    const email = typeof req.query.email === "string" ? req.query.email.trim() : "";
    if (!email.includes("@")) throw new PageError(400, "Not an address", "Give an email address.");
    const stored = await deps.emailStatus.statusOf(email);
    const status = { ...stored, email: stored.email || email };
    const leads = await rows(await deps.queries.getLeads({ type: "EMAIL", value: email }).catch(() => []));
    res.type("html").send(addressPage(status, leads, csrfOf(req)));
  });

  router.get("/leads/:id", async (req, res) => {
    const row = await rowOf(leadId(req));
    const status = row.lead.email ? await deps.emailStatus.statusOf(row.lead.email) : null;
    const content = infoTab(row.lead, row.partition, csrfOf(req), deps.fieldLabel, status?.unsubscribed ? status.history[0] : undefined);
    res.type("html").send(personPage({ row, tab: "info", csrf: csrfOf(req), flash: flash(req), content }));
  });

  router.get("/leads/:id/activity", async (req, res) => {
    const row = await rowOf(leadId(req));
    const page = await deps.queries.getActivity({ type: "IDNUM", value: String(row.lead.id) }, { limit: ACTIVITY_LIMIT });
    const content = activityTab(page.activities, page.remaining);
    res.type("html").send(personPage({ row, tab: "activity", csrf: csrfOf(req), content }));
  });

  router.get("/leads/:id/email-status", async (req, res) => {
    const row = await rowOf(leadId(req));
    const status = row.lead.email ? await deps.emailStatus.statusOf(row.lead.email) : null;
    const content = emailStatusTab(status, await sharing(row));
    res.type("html").send(personPage({ row, tab: "email-status", csrf: csrfOf(req), content }));
  });

  router.get("/leads/:id/delete", async (req, res) => {
    const row = await rowOf(leadId(req));
    const erase = eraseAction(row.lead, csrfOf(req), (await sharing(row)).length);
    res.type("html").send(personPage({ row, tab: "delete", csrf: csrfOf(req), content: deleteTab(row.lead, csrfOf(req), [erase]) }));
  });

  // The Unsubscribed box. Checking it unsubscribes at once; clearing it asks first, because a
  // re-subscribe changes every lead with the address (D2).
  router.post("/leads/:id/unsubscribed", async (req, res) => {
    const lead = await deps.queries.getLeadById(leadId(req));
    const wanted = formField(req, "unsubscribed") === "1";
    const was = formField(req, "was");
    if (was !== undefined && (was === "1") !== lead.unsubscribed) return res.redirect(303, href(leadPath(lead.id), { done: "stale" }));
    if (wanted === lead.unsubscribed) return res.redirect(303, href(leadPath(lead.id), { done: "nochange" }));
    if (!wanted) return res.redirect(303, `/ui/leads/${lead.id}/resubscribe`);
    const saved = await deps.leads.updateLead(lead.id, { unsubscribed: true }, Channels.personPage);
    res.redirect(303, href(leadPath(lead.id), { done: "unsubscribed", n: await countWithFlag(saved, true) }));
  });

  router.get("/leads/:id/resubscribe", async (req, res) => {
    const row = await rowOf(leadId(req));
    if (!row.lead.unsubscribed) return res.redirect(303, href(leadPath(row.lead.id), { done: "nochange" }));
    res.type("html").send(resubscribeConfirmPage({ row, sharing: await sharing(row), csrf: csrfOf(req) }));
  });

  router.post("/leads/:id/resubscribe", async (req, res) => {
    const lead = await deps.queries.getLeadById(leadId(req));
    if (!lead.unsubscribed) return res.redirect(303, href(leadPath(lead.id), { done: "nochange" }));
    const saved = await deps.leads.updateLead(lead.id, { unsubscribed: false }, Channels.personPage);
    res.redirect(303, href(leadPath(lead.id), { done: "resubscribed", n: await countWithFlag(saved, false) }));
  });

  router.post("/leads/:id/delete", async (req, res) => {
    const id = leadId(req);
    if (formField(req, "confirm") !== "yes") throw new PageError(400, "Not deleted", "Tick the box to confirm the deletion.");
    await deps.leads.deleteLead(id, Channels.personPage);
    res.redirect(303, href("/ui/", { done: "deleted", n: id }));
  });

  router.post("/leads/:id/erase", async (req, res) => {
    const lead = await deps.queries.getLeadById(leadId(req));
    if (formField(req, "confirm") !== "yes") throw new PageError(400, "Not erased", "Tick the box to confirm the erasure.");
    if (!lead.email) throw new PageError(400, "Not erased", "This lead has no email address to erase; delete it instead.");
    const result = await deps.erasure.erase(lead.email, Channels.personPage);
    res.redirect(303, href("/ui/", { done: "erased", n: result.deletedLeads }));
  });

  router.use(() => {
    throw new PageError(404, "Not found", "There is no such page.");
  });
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    void _next;
    let status = 500;
    let title = "Something went wrong";
    let message = "The request failed. It has been logged.";
    const e = error as { type?: string };
    if (error instanceof PageError) [status, title, message] = [error.status, error.title, error.message];
    else if (error instanceof LeadNotFoundError) [status, title, message] = [404, "Lead not found", "There is no lead with this id (it may have been deleted)."];
    else if (error instanceof DomainError) [status, title, message] = [400, "Not saved", error.message];
    else if (e?.type === "entity.too.large" || e?.type === "parameters.too.many") [status, title, message] = [400, "Not saved", "The form is too large."];
    else deps.logger.log("error", "web ui request failed", { path: req.path, error: error instanceof Error ? error.stack : String(error) });
    const session = sessions.get(req);
    res.status(status).type("html").send(errorPage({ title, message, csrf: session ? signer.csrfToken(session) : undefined }));
  });

  async function rows(leads: Lead[]): Promise<LeadRow[]> {
    const names = new Map<number, string>();
    for (const lead of leads) if (!names.has(lead.partitionId)) names.set(lead.partitionId, await deps.partitionName(lead.partitionId));
    return leads.map((lead) => ({ lead, partition: names.get(lead.partitionId) ?? String(lead.partitionId) }));
  }

  async function rowOf(id: number): Promise<LeadRow> {
    return (await rows([await deps.queries.getLeadById(id)]))[0];
  }

  /** Every lead with this lead's address, in every partition (just this one without an email). */
  async function sharing(row: LeadRow): Promise<LeadRow[]> {
    return row.lead.email ? rows(await deps.queries.getLeads({ type: "EMAIL", value: row.lead.email })) : [row];
  }

  async function countWithFlag(lead: Lead, unsubscribed: boolean): Promise<number> {
    const all = lead.email ? await deps.queries.getLeads({ type: "EMAIL", value: lead.email }) : [lead];
    return all.filter((l) => l.unsubscribed === unsubscribed).length;
  }

  return router;
}

function flash(req: Request): string | undefined {
  const code = typeof req.query.done === "string" ? req.query.done : "";
  const n = typeof req.query.n === "string" && /^\d{1,10}$/.test(req.query.n) ? Number(req.query.n) : 0;
  return Object.hasOwn(FLASHES, code) ? FLASHES[code](n) : undefined;
}

function leadsText(n: number): string {
  return n === 1 ? "1 lead" : `${n} leads`;
}

function formField(req: Request, name: string): string | undefined {
  const body: unknown = req.body;
  if (!body || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

function leadId(req: Request): number {
  const s = String(req.params.id ?? "");
  if (!/^\d{1,10}$/.test(s) || Number(s) > 2147483647 || Number(s) === 0) throw new PageError(404, "Lead not found", "That is not a lead id.");
  return Number(s);
}
