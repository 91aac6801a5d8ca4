/**
 * Unsubscribe links (SPEC §4 one-click channel, RFC 8058) at /u/<token>, no session, no cookie,
 * no redirect:
 * - POST (the mail provider's `List-Unsubscribe=One-Click`, form-urlencoded or multipart, or the
 *   page's button) unsubscribes the address everywhere and answers 200;
 * - GET shows the masked address and one button, and never changes anything (mail scanners
 *   follow links).
 * A token that is not one of ours, tampered or of a key past its grace time, is 404 and changes nothing.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { OneClickService } from "../domain/one-click.service";
import type { Logger } from "../logger";
import { html, page } from "./html";

export interface OneClickRouterDeps {
  readonly oneClick: Pick<OneClickService, "view" | "unsubscribe">;
  readonly logger: Logger;
}

const HEADERS = {
  "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export function createOneClickRouter(deps: OneClickRouterDeps): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set(HEADERS);
    next();
  });

  router.get("/:token", async (req, res) => {
    const view = await deps.oneClick.view(String(req.params.token));
    if (!view) return notFound(res);
    const who = view.maskedEmail ?? "this address";
    const body = view.unsubscribed
      ? html`<h1>Unsubscribed</h1><p><strong>${who}</strong> is unsubscribed from all email.</p>`
      : html`<h1>Unsubscribe</h1><p>Stop all email to <strong>${who}</strong>?</p>
          <form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>`;
    res.type("html").send(page({ title: "Unsubscribe", body }));
  });

  // Any POST to a valid link unsubscribes, as RFC 8058 senders expect; the body (bounded) only
  // tells the provider's one-click (form-urlencoded or multipart) from the page's button.
  router.post("/:token", express.raw({ type: () => true, limit: "16kb" }), async (req, res) => {
    const started = process.hrtime.bigint();
    if (!(await deps.oneClick.unsubscribe(String(req.params.token)))) return notFound(res);
    const oneClick = Buffer.isBuffer(req.body) && /List-Unsubscribe(=|"\s*\r?\n\r?\n)One-Click/i.test(req.body.toString("latin1"));
    deps.logger.log("info", "one-click unsubscribe", { via: oneClick ? "List-Unsubscribe-Post" : "link page", ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000 });
    if (oneClick) res.type("text/plain").send("Unsubscribed.\n");
    else res.type("html").send(page({ title: "Unsubscribed", body: html`<h1>Unsubscribed</h1><p>You will get no more email at this address.</p>` }));
  });

  router.use((_req, res) => notFound(res));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    const e = error as { type?: string; status?: number };
    if (e?.type === "entity.too.large") {
      res.status(413).type("text/plain").send("Request too large.\n");
      return;
    }
    // A path that does not even decode (`/u/%`) is no token either.
    if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) return notFound(res);
    deps.logger.log("error", "one-click request failed", { error: error instanceof Error ? error.stack : String(error) });
    res.status(500).type("text/plain").send("Please try again later.\n");
  });
  return router;
}

function notFound(res: Response): void {
  res.status(404).type("text/plain").send("This unsubscribe link is not valid.\n");
}
