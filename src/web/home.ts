/** GET /: what this server is and where its endpoints are (no secrets, no data). */
import type { Request, Response } from "express";
import { html, page } from "./html";
import { supportedVersions } from "../soap/versions";

export function homePage(_req: Request, res: Response): void {
  const versions = supportedVersions.map((v) => html`<li><a href="/soap/mktows/${v.name}?WSDL">/soap/mktows/${v.name}</a></li>`);
  const body = html`<h1>mktows</h1>
<p>A drop-in server for the Marketo SOAP API (MktowsAPI) with durable unsubscribe.</p>
<h2>Endpoints</h2>
<ul>
<li>SOAP endpoints (POST; each link is its WSDL): <ul>${versions}</ul></li>
<li><a href="/ui/">/ui/</a>: the person page (log in with the admin token)</li>
<li>/admin/api/…: the admin API (JSON, <code>Authorization: Bearer &lt;ADMIN_TOKEN&gt;</code>)</li>
<li><a href="/healthz">/healthz</a>: health check</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
</ul>`;
  res.set({ "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" });
  res.type("html").send(page({ title: "mktows", body }));
}
